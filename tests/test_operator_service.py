"""The service behaves as each operator's pages say: local removals, owner-only connections, cookies, storage."""

from __future__ import annotations

import re
import time

import pytest
import requests
from click.testing import CliRunner

from callback.cli import cli
from callback.data.backends import open_backend
from callback.data.store import ReconnectNeeded, apply_tokens
from callback.facts import load_facts
from callback.facts.settings import ConfigError, load_settings
from callback.site.render import render_pages
from callback.tokens import AccessRemoved, fresh_account
from conftest import ROOT, write_facts
from data_support import everything

LOCAL = {"deployment": "local", "urls__service": "http://127.0.0.1:5000", "platforms__tiktok__app_type": "desktop"}


def connected(sandbox, settings: dict, expired: bool = False) -> str:
    """Store an account whose tokens the sandbox issued, as the connect flow would; return its open_id."""
    open_id = sandbox.users()[0].open_id
    tokens = sandbox.state.issue_tokens(sandbox.client.key, open_id, ("user.info.basic", "video.upload"))
    account = apply_tokens({"open_id": open_id, "display_name": "Sandbox Creator"}, tokens, time.time())
    if expired:
        account["expires_at"] = time.time() - 1  # the next use must refresh
    open_backend(settings).store.put(account)
    return open_id


def settings_for(sandbox_config, tmp_path, **facts) -> dict:
    path = write_facts(tmp_path / "facts.yml", **facts)
    return load_settings({**sandbox_config, "FACTS_FILE": str(path), "HTTP_RETRIES": 0}, environ={})


def test_local_a_refused_refresh_deletes_the_account(sandbox_config, sandbox, tmp_path):
    settings = settings_for(sandbox_config, tmp_path, **LOCAL)
    open_id = connected(sandbox, settings, expired=True)
    sandbox.state.revoke(sandbox.client.key, open_id)  # the user removed the app in TikTok's settings
    backend = open_backend(settings)
    with pytest.raises(AccessRemoved):
        fresh_account(backend.store, open_id, settings)
    assert backend.store.get(open_id) is None
    (receipt,) = backend.records.deletions.all()
    assert receipt["source"] == "tiktok" and receipt["status"] == "completed" and "refused" in receipt["note"]
    assert open_id not in everything(settings["DATA_DIR"])  # a hash stands for it in the receipt


def test_hosted_a_refused_refresh_only_asks_for_a_reconnect(sandbox_config, sandbox, tmp_path):
    settings = settings_for(sandbox_config, tmp_path)  # hosted: TikTok's signed webhook announces removals
    open_id = connected(sandbox, settings, expired=True)
    sandbox.state.revoke(sandbox.client.key, open_id)
    backend = open_backend(settings)
    with pytest.raises(ReconnectNeeded) as err:
        fresh_account(backend.store, open_id, settings)
    assert not isinstance(err.value, AccessRemoved)
    assert "invalid_grant" in backend.store.get(open_id)["needs_reconnect"]


def _cli_env(settings: dict, sandbox) -> dict:
    """The environment a `greenlight` command needs to reach these settings' data and the sandbox."""
    return {
        "GREENLIGHT_DATA_DIR": settings["DATA_DIR"],
        "GREENLIGHT_FACTS": settings["FACTS_FILE"],
        "TIKTOK_CLIENT_KEY": settings["TIKTOK_CLIENT_KEY"],
        "TIKTOK_CLIENT_SECRET": settings["TIKTOK_CLIENT_SECRET"],
        "GREENLIGHT_TIKTOK_API_BASE": sandbox.url,
        "GREENLIGHT_TIKTOK_AUTH_BASE": sandbox.url,
        "GREENLIGHT_HTTP_BACKOFF": "0.01",
        "GREENLIGHT_HTTP_TIMEOUT": "2",
        "GREENLIGHT_REDIRECT_URI": "",
    }


def test_local_the_refresh_timer_asks_tiktok_and_erases_a_removed_account_and_its_exports(
    sandbox_config, sandbox, tmp_path
):
    settings = settings_for(sandbox_config, tmp_path, storage={"export_env": True}, **LOCAL)
    open_id = connected(sandbox, settings)  # a fresh token: nothing to refresh, so only asking TikTok tells
    env, dotenv = _cli_env(settings, sandbox), tmp_path / "uploader.env"
    dotenv.write_text("UPLOAD_DIR=/srv/clips\n")
    run = CliRunner().invoke
    assert run(cli, ["tokens", "export", "--env", str(dotenv)], env=env).exit_code == 0
    assert f"TIKTOK_OPEN_ID={open_id}" in dotenv.read_text()
    ok = run(cli, ["tokens", "refresh"], env=env)
    assert ok.exit_code == 0 and ok.output.startswith("fresh: Sandbox Creator")
    sandbox.state.revoke(sandbox.client.key, open_id)
    result = run(cli, ["tokens", "refresh"], env=env)
    assert result.exit_code == 0, result.output
    assert "REMOVED: Sandbox Creator: TikTok refused its token" in result.output
    assert open_backend(settings).store.get(open_id) is None
    assert dotenv.read_text() == "UPLOAD_DIR=/srv/clips\n"  # the uploader's copy went with the account


def _owner_service(sandbox_config, sandbox, tmp_path):
    from callback import create_app
    from callback.sandbox.server import BackgroundServer

    server = BackgroundServer()
    facts = write_facts(
        tmp_path / "owner.yml", users="owner", urls__service=server.url, platforms__tiktok__app_type="desktop"
    )
    server.app = create_app({**sandbox_config, "FACTS_FILE": str(facts)})
    return server, facts


class Cookies:
    """Every Set-Cookie a session receives from one host, redirects included."""

    def __init__(self, host: str):
        self.host, self.names, self.session = host, set(), requests.Session()
        self.session.hooks["response"].append(self.record)

    def record(self, response, *args, **kwargs):
        if response.url.startswith(self.host):
            for header in response.raw.headers.getlist("Set-Cookie"):
                self.names.add(header.split("=", 1)[0].strip())


def test_owner_mode_connects_with_a_one_time_link_and_sets_no_cookie(sandbox_config, sandbox, tmp_path):
    server, facts = _owner_service(sandbox_config, sandbox, tmp_path)
    with server:
        jar = Cookies(server.url)
        for path in ("/connect/tiktok", "/deletion"):
            assert jar.session.get(server.url + path, timeout=5).status_code == 404
        assert jar.session.post(server.url + "/deletion", data={"account": "x"}, timeout=5).status_code == 404
        env = {
            **_cli_env({**server.app.config, "FACTS_FILE": str(facts)}, sandbox),
            "GREENLIGHT_REDIRECT_URI": server.url + "/callback/tiktok",
        }
        link = CliRunner().invoke(cli, ["--facts", str(facts), "connect"], env=env)
        assert link.exit_code == 0, link.output
        back = sandbox.approve(link.output.strip())
        page = jar.session.get(back, timeout=10)
        assert page.status_code == 200 and "Connected as Sandbox Creator" in page.text
        assert jar.session.get(back, timeout=10).status_code == 400  # the one-time link cannot be replayed
        assert jar.names == set() and not jar.session.cookies
        from fixtures.check.sites import run, target

        found = run(target(facts, tmp_path / "no-site", service=server.url), "service.connect")
        assert found.status == "pass" and "only the owner connects" in found.findings[0].message
    assert server.app.extensions["greenlight"]["store"].get(sandbox.users()[0].open_id)


def test_owner_mode_refuses_a_state_it_did_not_print(sandbox_config, sandbox, tmp_path):
    server, _facts = _owner_service(sandbox_config, sandbox, tmp_path)
    with server:
        attempts = server.app.extensions["greenlight"]["attempts"]
        state = attempts.begin("v" * 64, purpose="connect")  # not an owner's link
        r = requests.get(f"{server.url}/callback/tiktok", params={"state": state, "code": "x"}, timeout=5)
        assert r.status_code == 400 and "Set-Cookie" not in r.headers


def policy_cookies(facts_path) -> set[str]:
    """The cookie names the privacy policy lists for these facts."""
    page = render_pages(load_facts(facts_path), {"privacy.md": (ROOT / "docs" / "privacy.md").read_text()})
    section = page["privacy.md"].split("## Cookies", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.M))


def test_public_mode_sets_exactly_the_cookies_the_policy_lists(live_service, sandbox):
    jar = Cookies(live_service.url)
    assert live_service.connect(session=jar.session).status_code == 200  # connect through the sandbox
    form = jar.session.get(live_service.url + "/deletion", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    sent = jar.session.post(
        live_service.url + "/deletion",
        timeout=5,
        data={"csrf_token": token, "account": "sandbox.creator", "email": "a@b.io"},
    )
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", sent.url).group(0)
    start = jar.session.get(
        f"{live_service.url}/connect/tiktok",
        params={"purpose": "deletion", "request": code},
        allow_redirects=False,
        timeout=5,
    )
    done = jar.session.get(sandbox.approve(start.headers["Location"]), timeout=10)  # verify and delete now
    assert done.status_code == 200 and "Completed" in done.text
    assert jar.names == policy_cookies(live_service.app.config["FACTS_FILE"]) == {"session"}


def test_service_refuses_to_start_when_storage_fact_and_backend_disagree(app_config, facts_file):
    from callback import create_app

    real = {**app_config, "TESTING": False, "PURGE_INTERVAL_HOURS": "0"}
    with pytest.raises(ConfigError, match=r"the facts say storage: database.*GREENLIGHT_DATABASE_URL is not set"):
        create_app({**real, "FACTS_FILE": str(facts_file(storage="database"))})
    with pytest.raises(ConfigError, match=r"the facts say storage: file.*GREENLIGHT_DATABASE_URL is set"):
        create_app({**real, "FACTS_FILE": str(facts_file()), "DATABASE_URL": "postgresql://127.0.0.1:9/none"})
