"""Tokens under faults and abuse: outages, accounts to reconnect, ambiguous names, leaky platform errors."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.cli.doctor import diagnose
from callback.data.store import ReconnectNeeded
from callback.data.tokens import TokenStore
from callback.platform.tiktok import PlatformError
from callback.tokens import fresh_token

ROOT = Path(__file__).resolve().parent.parent
REJECTED = "TikTok rejected the refresh token (invalid_grant)"


@pytest.fixture
def gl(live_service, sandbox):
    """Run `greenlight ...` against the live service's data dir and the sandbox; one account connected."""
    assert live_service.connect().status_code == 200
    cfg = live_service.app.config
    env = live_service.cli_env(GREENLIGHT_HTTP_RETRIES="1", GREENLIGHT_REDIRECT_URI="")
    sandbox.state.calls.clear()

    def run(*args, input=None, **extra_env):
        return CliRunner().invoke(cli, list(args), env={**env, **extra_env}, input=input)

    run.store = TokenStore(cfg["DATA_DIR"])
    run.account = run.store.list()[0]
    run.open_id = run.account["open_id"]
    run.sandbox, run.service = sandbox, live_service
    run.settings = {
        "DATA_DIR": cfg["DATA_DIR"],
        "FACTS_FILE": cfg["FACTS_FILE"],
        "HTTP_RETRIES": 1,
        **{
            k: cfg[k]
            for k in (
                "TIKTOK_CLIENT_KEY",
                "TIKTOK_CLIENT_SECRET",
                "TIKTOK_API_BASE",
                "TIKTOK_AUTH_BASE",
                "HTTP_TIMEOUT",
                "HTTP_BACKOFF",
            )
        },
    }
    return run


def expires_in(gl, seconds: float, **fields) -> None:
    gl.store.update(gl.open_id, expires_at=time.time() + seconds, **fields)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- 8. revoking an account marked "needs reconnect" still revokes what can be revoked --


def test_revoke_of_an_account_to_reconnect_revokes_its_still_valid_access_token(gl):
    # Another tool rotated the refresh token: ours is rejected, yet the grant and access token live on.
    gl.store.update(gl.open_id, refresh_token="rft.burned-elsewhere-0123456789")
    r = gl("tokens", "refresh", "--force")
    assert r.exit_code == 3 and "NEEDS RECONNECT" in r.output
    assert gl.store.get(gl.open_id)["needs_reconnect"]
    assert gl.sandbox.state.authorized(gl.open_id) == [gl.sandbox.client.key]
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes")
    assert r.exit_code == 0 and "revoked at TikTok" in r.output, r.output
    assert gl.sandbox.calls("revoke") == 1
    assert gl.sandbox.state.authorized(gl.open_id) == []
    assert gl.sandbox.state.check_access(gl.account["access_token"]) is None
    assert gl.store.list() == []


def test_revoke_of_an_account_to_reconnect_with_an_expired_token_only_deletes_locally(gl):
    expires_in(gl, -1, needs_reconnect=REJECTED)
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes")
    assert r.exit_code == 0 and "already unusable" in r.output
    assert gl.sandbox.calls("revoke") == 0 and gl.sandbox.calls("token") == 0 and gl.store.list() == []


# -- 9. a display name shared by several accounts is refused, never guessed --


def test_a_shared_display_name_is_refused_by_revoke_and_token(gl):
    second = gl.sandbox.users()[1].open_id
    assert gl.service.connect(open_id=second).status_code == 200
    gl.store.update(second, display_name="Sandbox Creator")
    ids = sorted([gl.open_id, second])
    gl.sandbox.state.calls.clear()

    r = gl("tokens", "revoke", "--yes", "Sandbox Creator")
    assert r.exit_code == 1 and r.stdout == ""
    assert all(i in r.stderr for i in ids), r.stderr
    assert "2 connected accounts are named 'Sandbox Creator'" in r.stderr
    assert "connect at" not in r.stderr  # nothing to connect: the name is ambiguous, not unknown
    assert "greenlight tokens revoke -- " in r.stderr  # these open_ids start with "-"
    assert gl.sandbox.calls("revoke") == 0 and gl.sandbox.calls("token") == 0
    assert sorted(a["open_id"] for a in gl.store.list()) == ids
    assert all(gl.sandbox.state.authorized(i) for i in ids)

    r = gl("token", "--account", "Sandbox Creator")
    assert r.exit_code == 1 and r.stdout == ""
    assert all(i in r.stderr for i in ids) and "connect at" not in r.stderr
    assert "--account" in r.stderr
    assert gl.sandbox.calls("token") == 0
    assert all(a.get("last_used_at") is None for a in gl.store.list())  # neither was handed out

    d = diagnose("Sandbox Creator", gl.settings)
    assert d.problems == 1 and all(i in d.lines[0] for i in ids) and "Connect an account" not in d.lines[0]


# -- 10. a refresh that fails for now does not withhold a token that still works --


@pytest.mark.parametrize("fault", ["server_error", "temporarily_unavailable", "http_502", "hang", "unreachable"])
def test_token_hands_out_the_still_valid_token_during_an_outage(gl, fault):
    expires_in(gl, 120)  # within REFRESH_MARGIN: a refresh is due, but the token works for 2 more minutes
    extra = {}
    if fault == "unreachable":
        extra["GREENLIGHT_TIKTOK_API_BASE"] = f"http://127.0.0.1:{closed_port()}"
    else:
        gl.sandbox.fault("token", fault, count=10, delay=0.5)
        extra["GREENLIGHT_HTTP_TIMEOUT"] = "0.2"
    r = gl("token", **extra)
    assert r.exit_code == 0, r.output
    assert r.stdout == gl.account["access_token"] + "\n"
    assert r.stderr.startswith("warning: ") and "Sandbox Creator" in r.stderr and "expires in 2 min" in r.stderr
    stored = gl.store.get(gl.open_id)
    assert stored["needs_reconnect"] is None and stored["refresh_token"] == gl.account["refresh_token"]
    assert stored["last_used_at"] > time.time() - 5


def test_token_fails_during_an_outage_once_the_token_has_expired(gl):
    expires_in(gl, -1)
    gl.sandbox.fault("token", "server_error", count=10)
    r = gl("token")
    assert r.exit_code == 1 and r.stdout == "" and "could not reach a fresh token" in r.stderr


def test_token_of_an_account_to_reconnect_is_handed_out_while_it_lasts(gl):
    gl.sandbox.state.refresh.clear()  # the platform forgot the refresh token
    expires_in(gl, 120)
    for _ in range(2):
        r = gl("token")
        assert r.exit_code == 0 and r.stdout == gl.account["access_token"] + "\n", r.output
        assert "must be reconnected" in r.stderr and gl.service.url + "/connect/tiktok" in r.stderr
        assert "invalid_grant" in r.stderr
    assert gl.sandbox.calls("token.refresh_token") == 1  # marked after the first: no hopeless second call
    expires_in(gl, -1)
    r = gl("token")
    assert r.exit_code == 3 and r.stdout == "" and "/connect/tiktok" in r.stderr


def test_fresh_token_rides_out_an_outage_and_logs_why(gl, caplog):
    expires_in(gl, 120)
    gl.sandbox.fault("token", "server_error", count=10)
    with caplog.at_level(logging.WARNING, logger="greenlight.tokens"):
        assert fresh_token(settings=gl.settings) == gl.account["access_token"]
    assert "could not refresh" in caplog.text and "server_error" in caplog.text
    expires_in(gl, -1)
    with pytest.raises(PlatformError):
        fresh_token(settings=gl.settings)


def test_fresh_token_of_an_account_to_reconnect_while_its_token_lasts(gl, caplog):
    expires_in(gl, 120, needs_reconnect=REJECTED)
    with caplog.at_level(logging.WARNING, logger="greenlight.tokens"):
        assert fresh_token(settings=gl.settings) == gl.account["access_token"]
    assert "must be reconnected" in caplog.text and "/connect/tiktok" in caplog.text
    assert gl.sandbox.calls("token") == 0
    expires_in(gl, -1)
    with pytest.raises(ReconnectNeeded):
        fresh_token(settings=gl.settings)


def test_doctor_says_the_token_works_for_now_but_the_account_must_reconnect(gl):
    expires_in(gl, 120, needs_reconnect=REJECTED)
    d = diagnose(None, gl.settings)
    text = "\n".join(d.lines)
    assert d.problems == 1 and "reconnect at" in text and "still works" in text
    assert "Access token: fresh" not in text
    assert "Posting as Sandbox Creator" in text  # creator_info was still asked with the working token


# -- 11. a platform error_description that echoes credentials is redacted in the CLI --


class Echoing(BaseHTTPRequestHandler):
    """A token endpoint that quotes the credentials it was sent back in its error_description."""

    status = 400

    def do_POST(self):
        form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        body = json.dumps(
            {
                "error": "invalid_request" if self.status < 500 else "server_error",
                "error_description": (
                    f"refresh token {form.get('refresh_token')} is malformed for "
                    f"client {form.get('client_secret')} (Bearer {form.get('refresh_token')})"
                ),
                "log_id": "stub",
            }
        ).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def leaky(tmp_path):
    """A token endpoint on 127.0.0.1 that echoes credentials, and an account stored for it."""
    servers = []

    def start(status: int):
        handler = type("Handler", (Echoing,), {"status": status})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    secret = "stub-secret-" + secrets.token_hex(8)  # unknown to any log redaction this process set up
    refresh = "rft." + secrets.token_urlsafe(30)
    store = TokenStore(tmp_path / "data")
    store.put(
        {
            "open_id": "-000leaky",
            "display_name": "Leaky",
            "scope": ["user.info.basic"],
            "access_token": "act." + secrets.token_urlsafe(30),
            "refresh_token": refresh,
            "expires_at": time.time() - 1,
            "refresh_expires_at": time.time() + 86400 * 100,
            "needs_reconnect": None,
        }
    )

    def run(status: int, *args):
        env = {
            "GREENLIGHT_DATA_DIR": str(tmp_path / "data"),
            "GREENLIGHT_FACTS": str(ROOT / "mkdocs.yml"),
            "TIKTOK_CLIENT_KEY": "stubclientkey",
            "TIKTOK_CLIENT_SECRET": secret,
            "GREENLIGHT_TIKTOK_API_BASE": start(status),
            "GREENLIGHT_HTTP_BACKOFF": "0.01",
            "GREENLIGHT_HTTP_RETRIES": "1",
        }
        return CliRunner().invoke(cli, list(args), env=env)

    run.secret, run.refresh, run.store = secret, refresh, store
    yield run
    for server in servers:
        server.shutdown()
        server.server_close()


def assert_clean(leaky, *texts: str) -> None:
    for text in texts:
        assert leaky.secret not in text and leaky.refresh not in text and leaky.refresh[4:] not in text, text


def test_token_does_not_print_credentials_a_platform_error_echoes(leaky, caplog):
    with caplog.at_level(logging.DEBUG):
        r = leaky(400, "token")
    assert r.exit_code == 1 and "could not reach a fresh token" in r.stderr and "[redacted]" in r.stderr
    assert_clean(leaky, r.stdout, r.stderr, caplog.text, *(rec.getMessage() for rec in caplog.records))


def test_token_warning_during_an_outage_does_not_print_credentials(leaky, caplog):
    leaky.store.update("-000leaky", expires_at=time.time() + 120)
    with caplog.at_level(logging.DEBUG):
        r = leaky(500, "token")
    assert r.exit_code == 0 and r.stderr.startswith("warning: ") and "[redacted]" in r.stderr
    assert_clean(leaky, r.stderr, caplog.text, *(rec.getMessage() for rec in caplog.records))


def test_tokens_refresh_does_not_print_or_log_credentials(leaky, caplog):
    with caplog.at_level(logging.DEBUG):
        r = leaky(400, "tokens", "refresh")
    assert r.exit_code == 1 and "FAILED: Leaky" in r.output and "[redacted]" in r.output
    assert "refreshing Leaky failed" in caplog.text
    assert_clean(leaky, r.stdout, r.stderr, caplog.text, *(rec.getMessage() for rec in caplog.records))
