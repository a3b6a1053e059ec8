"""Webhook deliveries answered below Flask (callback/service/direct.py): the same answers, for less work."""

from __future__ import annotations

import io
import logging
import time

import pytest

from callback.data.files import LockTimeout
from callback.sandbox.webhooks import signature, webhook_body
from callback.service import direct, webhooks
from data_support import snapshot

OPEN_ID = "-000DirectOpenId"


def event(config, name="post.publish.complete", content=None, *, secret=None, ts=None) -> tuple[bytes, str]:
    """A delivery the way TikTok sends it: the body and its TikTok-Signature."""
    ts = int(time.time()) if ts is None else ts
    body = webhook_body(config["TIKTOK_CLIENT_KEY"], name, OPEN_ID, content or {"publish_id": "v_pub_d"}, ts)
    return body, signature(secret or config["TIKTOK_CLIENT_SECRET"], ts, body)


def deliver(client, body: bytes, sig: str, *, chunked: bool = False, **overrides):
    """POST a delivery with its Content-Length, or without one as a chunked body reaches the app."""
    headers = {"Content-Type": "application/json", "TikTok-Signature": sig}
    if not chunked:
        return client.post("/webhooks/tiktok", data=body, headers=headers, environ_overrides=overrides)
    headers["Transfer-Encoding"] = "chunked"  # the server has already dechunked it: no length, a terminated input
    overrides = {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True, **overrides}
    return client.post("/webhooks/tiktok", headers=headers, environ_overrides=overrides)


@pytest.fixture
def flask_views(app, monkeypatch):
    """Count the requests that reached the Flask view of /webhooks/tiktok."""
    calls = []
    view = app.view_functions["webhooks.tiktok"]

    def counted():
        calls.append(1)
        return view()

    monkeypatch.setitem(app.view_functions, "webhooks.tiktok", counted)
    return calls


def answer(r) -> tuple:
    headers = {k: r.headers.get(k) for k in ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options")}
    return r.status_code, r.get_data(), headers, r.headers.get("X-Frame-Options"), r.headers.get("Cache-Control")


def test_a_well_framed_delivery_never_reaches_flask(client, app_config, flask_views):
    body, sig = event(app_config)
    r = deliver(client, body, sig)
    assert r.status_code == 200 and r.json["status"] == "ok"
    assert flask_views == []  # answered by the direct route
    r = deliver(client, body, sig, chunked=True)
    assert r.status_code == 200 and r.json["status"] == "duplicate"
    assert flask_views == [1]  # no length: Flask's route answered


@pytest.mark.parametrize("case", ["new", "duplicate", "forged", "not an event", "wrong app"])
def test_both_ways_give_byte_for_byte_the_same_answer(app_config, case):
    """The direct route and the Flask route for the same delivery: status, body and headers alike."""
    from callback import create_app

    answers, ts = [], int(time.time())
    for chunked in (False, True):
        config = {**app_config, "DATA_DIR": f"{app_config['DATA_DIR']}-{chunked}"}
        client = create_app(config).test_client()
        body, sig = event(config, ts=ts)
        if case == "duplicate":
            deliver(client, body, sig)
        elif case == "forged":
            sig = event(config, secret="another-secret-0123456789", ts=ts)[1]
        elif case == "not an event":
            body = b'{"client_key": 1}'
            sig = signature(config["TIKTOK_CLIENT_SECRET"], ts, body)
        elif case == "wrong app":
            body = body.replace(config["TIKTOK_CLIENT_KEY"].encode(), b"someoneelse")
            sig = signature(config["TIKTOK_CLIENT_SECRET"], ts, body)
        answers.append(answer(deliver(client, body, sig, chunked=chunked)))
    direct_answer, flask_answer = answers
    assert direct_answer == flask_answer
    assert direct_answer[0] == {"new": 200, "duplicate": 200, "forged": 401}.get(case, 400)
    assert direct_answer[2]["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_other_requests_to_the_path_go_to_flask(client, app_config):
    r = client.get("/webhooks/tiktok")
    assert r.status_code == 405 and r.is_json and "POST" in r.headers["Allow"]
    sig = event(app_config)[1]
    r = client.post(
        "/webhooks/tiktok",
        data=b"x" * (65 * 1024),
        headers={"Content-Type": "application/json", "TikTok-Signature": sig},
    )
    assert r.status_code == 413 and r.is_json  # over the limit: Flask refuses it unread


@pytest.mark.parametrize("length", ["\u00b2", "\uff11\uff12", "-5", "+12", "0x1f"])  # "²" would crash int()
def test_a_length_that_is_not_plain_digits_goes_to_flask(client, app_config, flask_views, length):
    body, sig = event(app_config)
    r = deliver(client, body, sig, CONTENT_LENGTH=length)
    assert r.status_code in (400, 401) and r.is_json  # whatever Flask makes of it, answered by Flask
    assert flask_views == [1]


def test_a_length_beside_transfer_encoding_goes_to_flask(client, app_config, flask_views):
    """Transfer-Encoding outranks a Content-Length (RFC 9112): the length cannot be trusted to read by."""
    body, sig = event(app_config)
    r = deliver(client, body, sig, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True})
    assert r.status_code == 200 and r.json["status"] == "ok"
    assert flask_views == [1]


def test_a_body_shorter_than_its_length_is_a_400_that_changes_nothing(client, app_config):
    body, sig = event(app_config)
    client.get("/healthz")
    before = snapshot(app_config["DATA_DIR"])
    r = deliver(client, body, sig, CONTENT_LENGTH=str(len(body) + 10))
    assert r.status_code == 400 and r.json["error"] == "bad_request"
    assert snapshot(app_config["DATA_DIR"]) == before


def test_a_locked_store_is_a_503_with_a_retry_hint(client, app, app_config, monkeypatch, caplog):
    def locked(*args, **kwargs):
        raise LockTimeout("webhooks.jsonl.lock")

    monkeypatch.setattr(app.extensions["greenlight"]["records"].events, "add", locked)
    r = deliver(client, *event(app_config))
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json == direct.BUSY and r.headers["Cache-Control"] == "no-store"
    assert "GREENLIGHT_LOCK_TIMEOUT" in caplog.text


def test_a_crash_is_a_plain_json_500_and_a_redacted_log_line(app_config, monkeypatch, caplog):
    from callback import create_app

    app = create_app({**app_config, "TESTING": False, "PURGE_INTERVAL_HOURS": "0"})

    def crash(*args, **kwargs):
        raise RuntimeError(f"broke near {app_config['TIKTOK_CLIENT_SECRET']}")

    monkeypatch.setattr(webhooks, "handle", crash)
    with caplog.at_level(logging.ERROR):
        r = deliver(app.test_client(), *event(app_config))
    assert r.status_code == 500 and r.json["error"] == "internal_server_error"
    assert "Traceback" not in r.get_data(as_text=True) and "broke" not in r.get_data(as_text=True)
    logged = "\n".join(f"{x.getMessage()}\n{x.exc_text or ''}" for x in caplog.records)
    assert "RuntimeError" in logged and app_config["TIKTOK_CLIENT_SECRET"] not in logged


def test_under_testing_a_crash_reaches_the_test(client, app_config, monkeypatch):
    monkeypatch.setattr(webhooks, "handle", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        deliver(client, *event(app_config))
