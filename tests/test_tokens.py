"""Handing out fresh tokens: fresh_token(), rotation, reconnect marking, retries, many processes at once."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from callback.data.accounts import AccountError
from callback.data.store import ReconnectNeeded
from callback.data.tokens import TokenStore
from callback.platform.tiktok import PlatformError, TikTok
from callback.tokens import fresh_token

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def keeper(live_service, sandbox):
    """One account connected through the real flow; settings and environment that reach it."""
    assert live_service.connect().status_code == 200
    cfg = live_service.app.config
    settings = {
        k: cfg[k]
        for k in (
            "DATA_DIR",
            "FACTS_FILE",
            "TIKTOK_CLIENT_KEY",
            "TIKTOK_CLIENT_SECRET",
            "TIKTOK_API_BASE",
            "TIKTOK_AUTH_BASE",
            "HTTP_TIMEOUT",
            "HTTP_BACKOFF",
        )
    }
    env = live_service.cli_env()
    store = TokenStore(cfg["DATA_DIR"])
    sandbox.state.calls.clear()  # count only what the test itself causes
    return type(
        "Keeper",
        (),
        {
            "settings": settings,
            "env": env,
            "store": store,
            "service": live_service,
            "account": store.list()[0],
            "sandbox": sandbox,
        },
    )()


def expire_soon(keeper, seconds: float = 10) -> None:
    keeper.store.update(keeper.account["open_id"], expires_at=time.time() + seconds)


def test_a_fresh_token_is_handed_out_without_calling_tiktok(keeper):
    before = time.time()
    assert fresh_token(settings=keeper.settings) == keeper.account["access_token"]
    assert keeper.sandbox.calls("token.refresh_token") == 0
    assert keeper.store.get(keeper.account["open_id"])["last_used_at"] >= before


def test_a_token_near_expiry_is_refreshed_and_the_old_refresh_token_dies(keeper):
    expire_soon(keeper)
    token = fresh_token(settings=keeper.settings)
    assert token != keeper.account["access_token"] and keeper.sandbox.state.check_access(token)
    assert keeper.sandbox.calls("token.refresh_token") == 1
    stored = keeper.store.get(keeper.account["open_id"])
    assert stored["refresh_token"] != keeper.account["refresh_token"]
    assert stored["expires_at"] > time.time() + 86000
    # Rotation: the used refresh token is now rejected by the platform; the stored one works.
    client = TikTok.from_settings({**keeper.service.app.config})
    with pytest.raises(PlatformError) as exc:
        client.refresh(keeper.account["refresh_token"])
    assert exc.value.error == "invalid_grant"
    assert client.refresh(stored["refresh_token"])["access_token"].startswith("act.")


def test_rotating_lifetimes_are_taken_from_each_response(keeper):
    keeper.sandbox.state.access_ttl, keeper.sandbox.state.refresh_ttl = 7200, 15552000
    expire_soon(keeper)
    fresh_token(settings=keeper.settings)
    stored = keeper.store.get(keeper.account["open_id"])
    assert abs(stored["expires_at"] - (time.time() + 7200)) < 5
    assert abs(stored["refresh_expires_at"] - (time.time() + 15552000)) < 5


def test_rejected_refresh_token_marks_the_account_for_reconnect(keeper):
    keeper.sandbox.state.refresh.clear()  # e.g. the user revoked the app, or another tool rotated the token
    expire_soon(keeper, -1)  # expired: an unexpired token would be handed out with a warning instead
    with pytest.raises(ReconnectNeeded, match="invalid_grant"):
        fresh_token(settings=keeper.settings)
    assert "invalid_grant" in keeper.store.get(keeper.account["open_id"])["needs_reconnect"]
    with pytest.raises(ReconnectNeeded):
        fresh_token(settings=keeper.settings)
    assert keeper.sandbox.calls("token.refresh_token") == 1  # marked: no more calls that cannot succeed
    # Connecting again clears the mark.
    assert keeper.service.connect().status_code == 200
    assert fresh_token(settings=keeper.settings).startswith("act.")


def test_outage_is_retried_a_bounded_number_of_times_and_does_not_mark_the_account(keeper):
    expire_soon(keeper, -1)  # no valid token left to fall back on
    keeper.sandbox.fault("token", "server_error", count=100)
    with pytest.raises(PlatformError) as exc:
        fresh_token(settings={**keeper.settings, "HTTP_RETRIES": 2})
    assert exc.value.retryable and keeper.sandbox.calls("token") == 3
    assert keeper.store.get(keeper.account["open_id"])["needs_reconnect"] is None
    assert keeper.store.get(keeper.account["open_id"])["refresh_token"] == keeper.account["refresh_token"]


@pytest.mark.parametrize("kind", ["server_error", "temporarily_unavailable", "http_502"])
def test_transient_failures_are_ridden_out(keeper, kind):
    expire_soon(keeper)
    keeper.sandbox.fault("token", kind, count=2)
    assert fresh_token(settings=keeper.settings) != keeper.account["access_token"]
    assert keeper.sandbox.calls("token") == 3 and keeper.sandbox.calls("token.refresh_token") == 1


def test_a_hanging_platform_times_out_and_is_retried(keeper):
    expire_soon(keeper)
    keeper.sandbox.fault("token", "hang", count=1, delay=1.0)
    start = time.monotonic()
    assert fresh_token(settings={**keeper.settings, "HTTP_TIMEOUT": 0.3}).startswith("act.")
    assert time.monotonic() - start < 1.0  # gave up on the hung call at the timeout
    assert keeper.sandbox.calls("token") == 2


def test_hang_on_every_attempt_fails_after_the_bounded_retries(keeper):
    expire_soon(keeper, -1)
    keeper.sandbox.fault("token", "hang", count=3, delay=0.6)
    start = time.monotonic()
    with pytest.raises(PlatformError, match=re.escape("no answer within 0.2 s")):
        fresh_token(settings={**keeper.settings, "HTTP_TIMEOUT": 0.2, "HTTP_RETRIES": 2})
    assert time.monotonic() - start < 1.5 and keeper.sandbox.calls("token") == 3


def test_choosing_among_several_accounts(keeper):
    second = keeper.sandbox.users()[1]
    keeper.service.connect(open_id=second.open_id)
    with pytest.raises(AccountError, match="2 accounts are connected"):
        fresh_token(settings=keeper.settings)
    by_name = fresh_token("second creator", settings=keeper.settings)
    assert by_name == keeper.store.get(second.open_id)["access_token"]
    assert fresh_token(keeper.account["open_id"], settings=keeper.settings) == keeper.account["access_token"]
    with pytest.raises(AccountError, match="nobody"):
        fresh_token("nobody", settings=keeper.settings)


def test_no_account_yet(tmp_path, sandbox_config):
    with pytest.raises(AccountError, match="no TikTok account is connected"):
        fresh_token(settings={**sandbox_config, "DATA_DIR": str(tmp_path / "empty")})


def test_refresh_token_nearing_its_end_is_warned_about(keeper, caplog):
    keeper.store.update(keeper.account["open_id"], refresh_expires_at=time.time() + 3 * 86400)
    with caplog.at_level(logging.WARNING, logger="greenlight.tokens"):
        fresh_token(settings=keeper.settings)
    assert "expires in 3.0 days" in caplog.text and "/connect/tiktok" in caplog.text


def test_missing_client_credentials_are_named(keeper):
    expire_soon(keeper)
    with pytest.raises(PlatformError, match="TIKTOK_CLIENT_SECRET is not set"):
        fresh_token(settings={**keeper.settings, "TIKTOK_CLIENT_SECRET": ""})


# -- eight processes want a token at the moment it expires --

WORKER = textwrap.dedent("""
    import sys, time
    start_at, how = float(sys.argv[1]), sys.argv[2]
    from callback.cli import cli
    from callback.tokens import fresh_token
    time.sleep(max(0, start_at - time.time()))
    if how == "cli":
        cli.main(["token"], prog_name="greenlight")
    else:
        print(fresh_token())
""")


@pytest.mark.slow
def test_eight_processes_at_expiry_cause_exactly_one_refresh(keeper):
    expire_soon(keeper, 5)
    # The one refresh that happens is slow, so the other seven are sure to queue behind it.
    keeper.sandbox.fault("token", "slow", count=1, delay=0.5)
    env = {**os.environ, **keeper.env}
    start_at = time.time() + 2.5  # after every interpreter has started
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(start_at), "cli" if i % 2 else "python"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(8)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in results]
    tokens = {out.strip() for out, _ in results}
    assert len(tokens) == 1, tokens
    (token,) = tokens
    assert keeper.sandbox.calls("token.refresh_token") == 1
    assert token != keeper.account["access_token"] and keeper.sandbox.state.check_access(token)
    stored = keeper.store.get(keeper.account["open_id"])
    assert stored["access_token"] == token and stored["refresh_token"] in keeper.sandbox.state.refresh
