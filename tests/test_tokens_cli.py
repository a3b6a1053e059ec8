"""`greenlight token`, `tokens list|refresh|revoke|export` and `redirect-uri`, through CliRunner."""

from __future__ import annotations

import json
import logging
import os
import stat
import time

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.tokens import TokenStore


@pytest.fixture
def gl(live_service, sandbox):
    """Run `greenlight ...` against the live service's data dir and the sandbox; one account connected."""
    assert live_service.connect().status_code == 200
    cfg = live_service.app.config
    env = live_service.cli_env(GREENLIGHT_REDIRECT_URI="")
    sandbox.state.calls.clear()

    def run(*args, input=None, **extra_env):
        return CliRunner().invoke(cli, list(args), env={**env, **extra_env}, input=input)

    run.store = TokenStore(cfg["DATA_DIR"])
    run.account = run.store.list()[0]
    run.sandbox, run.service = sandbox, live_service
    return run


def expire_soon(gl, **fields):
    gl.store.update(gl.account["open_id"], **({"expires_at": time.time() + 10} | fields))


def test_token_prints_only_the_token(gl):
    r = gl("token")
    assert r.exit_code == 0, r.output
    assert r.stdout == gl.account["access_token"] + "\n"
    assert gl.store.get(gl.account["open_id"])["last_used_at"] > time.time() - 5


def test_token_refreshes_when_near_expiry(gl):
    expire_soon(gl)
    r = gl("token", "--account", "Sandbox Creator")
    assert r.exit_code == 0 and r.stdout.strip() != gl.account["access_token"]
    assert gl.sandbox.calls("token.refresh_token") == 1


def test_token_for_an_account_that_must_reconnect(gl):
    gl.sandbox.state.refresh.clear()
    expire_soon(gl, expires_at=time.time() - 1)  # expired: an unexpired token would be printed with a warning
    r = gl("token")
    assert r.exit_code == 3 and r.stdout == ""
    assert "invalid_grant" in r.stderr and gl.service.url + "/connect/tiktok" in r.stderr


def test_token_without_accounts(gl, tmp_path):
    r = gl("token", GREENLIGHT_DATA_DIR=str(tmp_path / "none"))
    assert r.exit_code == 1 and "no TikTok account is connected yet" in r.stderr and "/connect/tiktok" in r.stderr


def test_list_shows_accounts_without_secrets(gl):
    r = gl("tokens", "list")
    assert r.exit_code == 0
    assert "Sandbox Creator" in r.output and gl.account["open_id"] in r.output
    assert "user.info.basic, video.publish, video.upload" in r.output and "status:          ok" in r.output
    assert "act." not in r.output and "rft." not in r.output
    rows = json.loads(gl("tokens", "list", "--json").output)
    assert rows[0]["open_id"] == gl.account["open_id"] and "access_token" not in rows[0]


def test_list_warns_before_the_refresh_token_expires(gl):
    expire_soon(gl, refresh_expires_at=time.time() + 5 * 86400)
    assert "refresh token expires in 5 d: reconnect soon" in gl("tokens", "list").output
    gl.store.update(gl.account["open_id"], needs_reconnect="TikTok rejected the refresh token (invalid_grant)")
    assert "needs reconnect: TikTok rejected" in gl("tokens", "list").output


def test_refresh_only_touches_accounts_near_expiry(gl):
    r = gl("tokens", "refresh")
    assert r.exit_code == 0 and r.output.startswith("fresh: Sandbox Creator")
    assert gl.sandbox.calls("token") == 0
    expire_soon(gl)
    r = gl("tokens", "refresh")
    assert r.exit_code == 0 and r.output.startswith("refreshed: Sandbox Creator")
    assert gl.sandbox.calls("token.refresh_token") == 1
    assert gl("tokens", "refresh", "--force").output.startswith("refreshed:")
    assert gl.sandbox.calls("token.refresh_token") == 2


def test_refresh_reports_reconnects_and_failures_with_exit_codes(gl, caplog):
    second = gl.sandbox.users()[1]
    gl.service.connect(open_id=second.open_id)
    gl.sandbox.state.revoke(gl.sandbox.client.key, gl.account["open_id"])  # the first user removed the app
    for acc in gl.store.list():
        gl.store.update(acc["open_id"], expires_at=time.time() + 10)
    with caplog.at_level(logging.ERROR):
        r = gl("tokens", "refresh")
    assert r.exit_code == 3
    assert "NEEDS RECONNECT: Sandbox Creator: TikTok rejected the refresh token" in r.output
    assert "refreshed: Second Creator" in r.output
    assert "needs to be connected again" in caplog.text
    gl.store.update(second.open_id, expires_at=time.time() + 10)
    gl.sandbox.fault("token", "server_error", count=20)
    r = gl("tokens", "refresh", "--account", "Second Creator")
    assert r.exit_code == 1 and "FAILED: Second Creator" in r.output
    assert gl.store.get(second.open_id)["needs_reconnect"] is None  # an outage is not the user's problem


def test_refresh_warns_when_even_a_fresh_refresh_token_is_short_lived(gl, caplog):
    gl.sandbox.state.refresh_ttl = 2 * 86400  # a platform whose refresh tokens do not get renewed
    expire_soon(gl)
    with caplog.at_level(logging.WARNING, logger="greenlight.tokens"):
        r = gl("tokens", "refresh")
    assert r.exit_code == 0 and "expires in 2.0 days: reconnect at" in caplog.text


def test_revoke_tells_tiktok_then_deletes(gl):
    token = gl.account["access_token"]
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes")
    assert r.exit_code == 0 and "revoked at TikTok" in r.output
    assert gl.sandbox.calls("revoke") == 1 and gl.sandbox.state.check_access(token) is None
    assert gl.store.list() == []


def test_revoke_asks_first(gl):
    r = gl("tokens", "revoke", "--", gl.account["open_id"], input="n\n")  # open_ids may start with "-"
    assert r.exit_code == 1 and "Aborted" in r.output
    assert len(gl.store.list()) == 1 and gl.sandbox.calls("revoke") == 0


def test_revoke_during_an_outage_deletes_nothing(gl):
    gl.sandbox.fault("revoke", "server_error", count=20)
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes")
    assert r.exit_code == 1 and "nothing was deleted" in r.stderr and "--local-only" in r.stderr
    assert len(gl.store.list()) == 1
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes", "--local-only")
    assert r.exit_code == 0 and gl.store.list() == []


def test_revoke_of_an_already_revoked_authorization_still_deletes_locally(gl):
    gl.sandbox.state.revoke(gl.sandbox.client.key, gl.account["open_id"])
    r = gl("tokens", "revoke", "Sandbox Creator", "--yes")
    assert r.exit_code == 0 and "already invalid" in r.output and gl.store.list() == []


def test_export_writes_a_private_env_file_and_keeps_other_lines(gl, tmp_path):
    env_file = tmp_path / "uploader.env"
    env_file.write_text("UPLOAD_DIR=/videos\nTIKTOK_ACCESS_TOKEN=act.stale\n# keep me\n")
    os.chmod(env_file, 0o644)
    r = gl("tokens", "export", "--env", str(env_file))
    assert r.exit_code == 0 and "act." not in r.output
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    lines = env_file.read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if "=" in line)
    assert values["UPLOAD_DIR"] == "/videos" and "# keep me" in lines
    assert values["TIKTOK_ACCESS_TOKEN"] == gl.account["access_token"]
    assert values["TIKTOK_REFRESH_TOKEN"] == gl.account["refresh_token"]
    assert values["TIKTOK_OPEN_ID"] == gl.account["open_id"]
    assert int(values["TIKTOK_EXPIRES_AT"]) == int(gl.account["expires_at"])
    assert sum(line.startswith("TIKTOK_ACCESS_TOKEN=") for line in lines) == 1


def test_redirect_uri_prints_what_to_register(gl):
    r = gl("redirect-uri")
    assert r.exit_code == 0 and r.stdout == gl.service.url + "/callback/tiktok\n" and r.stderr == ""


def test_redirect_uri_explains_problems(gl):
    r = gl("redirect-uri", GREENLIGHT_REDIRECT_URI=gl.service.url + "/callback/tiktok/?x=1")
    assert r.exit_code == 1
    assert "query string" in r.stderr and "trailing slash" in r.stderr


def test_every_command_has_help():
    for args in (
        ["token"],
        ["tokens"],
        ["tokens", "list"],
        ["tokens", "refresh"],
        ["tokens", "revoke"],
        ["tokens", "export"],
        ["redirect-uri"],
    ):
        r = CliRunner().invoke(cli, [*args, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output
