"""/connect/tiktok does constant work per request, keeps a bounded number of attempts, and is rate-limited."""

from __future__ import annotations

import os

import pytest

import callback.data.attempts as attempts_module


@pytest.fixture
def app(app_config):
    from callback import create_app

    return create_app({**app_config, "CONNECT_MAX_PENDING": 20, "CONNECT_RATE_LIMIT": 5})


def connect(client, address: str):
    return client.get("/connect/tiktok", environ_base={"REMOTE_ADDR": address})


def pending(app_config) -> int:
    return len(os.listdir(os.path.join(app_config["DATA_DIR"], "connect")))


def test_each_request_does_constant_work(app, monkeypatch):
    scans = []
    real = os.scandir
    monkeypatch.setattr(attempts_module.os, "scandir", lambda path: scans.append(path) or real(path))
    client = app.test_client()
    for i in range(15):
        assert connect(client, f"198.51.100.{i}").status_code == 302
    assert len([s for s in scans if "connect" in str(s)]) <= 1  # one scan a minute, not one per request


def test_pending_attempts_are_capped(app, app_config):
    client = app.test_client()
    codes = [connect(client, f"203.0.113.{i}").status_code for i in range(30)]
    assert codes == [302] * 20 + [503] * 10
    assert pending(app_config) == 20
    page = connect(client, "203.0.113.200").get_data(as_text=True)
    assert "Too many sign-ins" in page


def test_one_client_is_rate_limited(app, app_config):
    client = app.test_client()
    codes = [connect(client, "192.0.2.7").status_code for _ in range(8)]
    assert codes == [302] * 5 + [429] * 3
    assert pending(app_config) == 5  # a refused hit writes nothing
    assert connect(client, "192.0.2.8").status_code == 302  # others are not affected
