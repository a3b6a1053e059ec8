"""The connect flow through the real service and the real file store; the sandbox is the only stand-in."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from base64 import urlsafe_b64encode
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from callback import create_app


@pytest.fixture
def svc(sandbox_config):
    return create_app(sandbox_config)


@pytest.fixture
def browser_a(svc):
    return svc.test_client()


def start(client, query: str = "") -> dict:
    """Begin a connect; return the authorize URL's parameters (plus the URL itself under 'url')."""
    r = client.get("/connect/tiktok" + query)
    assert r.status_code == 302, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return {**dict(parse_qsl(urlsplit(r.headers["Location"]).query)), "url": r.headers["Location"]}


def back(client, location: str):
    """Follow the platform's redirect back to the service (the redirect URI's host is the public one)."""
    u = urlsplit(location)
    return client.get(f"{u.path}?{u.query}")


def connect(client, sandbox, **kw):
    return back(client, sandbox.approve(start(client)["url"], **kw))


def accounts(svc) -> list[dict]:
    return svc.extensions["greenlight"]["store"].list()


def test_connect_sends_the_browser_to_tiktok_with_state_and_hex_pkce(svc, browser_a, sandbox):
    q = start(browser_a)
    assert q["url"].startswith(sandbox.url + "/v2/auth/authorize/?")
    assert q["client_key"] == "sbawtestclientkey" and "client_id" not in q
    assert q["scope"] == "user.info.basic,video.publish,video.upload"
    assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
    assert q["redirect_uri"] == "https://callback.clipwise.example/callback/tiktok"
    assert len(q["state"]) >= 32
    # The verifier stays on the server; the challenge is its hex SHA-256.
    (record,) = [json.loads(p.read_text()) for p in Path(svc.config["DATA_DIR"], "connect").iterdir()]
    verifier = record["verifier"]
    assert 43 <= len(verifier) <= 128 and all(c.isalnum() or c in "-._~" for c in verifier)
    assert q["code_challenge"] == hashlib.sha256(verifier.encode()).hexdigest()
    assert q["state"] not in json.dumps(record)  # the file is named by a hash of the state


def test_base64url_pkce_is_selectable(sandbox_config, sandbox):
    app = create_app({**sandbox_config, "PKCE_ENCODING": "base64url"})
    q = start(app.test_client())
    record = json.loads(next(Path(app.config["DATA_DIR"], "connect").iterdir()).read_text())
    digest = hashlib.sha256(record["verifier"].encode()).digest()
    assert q["code_challenge"] == urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_happy_path_stores_the_account_and_shows_who_connected(svc, browser_a, sandbox):
    user = sandbox.users()[0]
    before = time.time()
    r = connect(browser_a, sandbox)
    assert r.status_code == 303 and r.headers["Location"].endswith("/connect/tiktok/connected")
    page = browser_a.get("/connect/tiktok/connected")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"Connected as {user.display_name}" in html
    assert f"/_sandbox/avatar/{user.open_id}.svg" in html
    assert "act." not in html and "rft." not in html
    (acc,) = accounts(svc)
    assert acc["open_id"] == user.open_id and acc["display_name"] == user.display_name
    assert acc["scope"] == ["user.info.basic", "video.publish", "video.upload"]
    assert acc["access_token"].startswith("act.") and acc["refresh_token"].startswith("rft.")
    assert before + 86400 - 5 < acc["expires_at"] < time.time() + 86400 + 5
    assert before + 31536000 - 5 < acc["refresh_expires_at"] < time.time() + 31536000 + 5
    assert before <= acc["connected_at"] <= time.time()
    # Only what the privacy policy's data table lists (callback/inventory.py): no union_id, no username.
    assert set(acc) == {
        "open_id",
        "display_name",
        "avatar_url",
        "scope",
        "access_token",
        "refresh_token",
        "expires_at",
        "refresh_expires_at",
        "connected_at",
        "refreshed_at",
        "needs_reconnect",
    }
    tokens_file = os.path.join(svc.config["DATA_DIR"], "tokens.json")
    assert stat.S_IMODE(os.stat(tokens_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(svc.config["DATA_DIR"]).st_mode) == 0o700
    assert sandbox.calls("token.authorization_code") == 1 and sandbox.calls("user_info") == 1


def test_reconnecting_updates_the_same_account(svc, browser_a, sandbox):
    connect(browser_a, sandbox)
    first = accounts(svc)[0]
    connect(browser_a, sandbox)
    (again,) = accounts(svc)
    assert again["access_token"] != first["access_token"] and again["connected_at"] == first["connected_at"]


def test_two_users_become_two_accounts(svc, browser_a, sandbox):
    for user in sandbox.users():
        connect(browser_a, sandbox, open_id=user.open_id)
    assert sorted(a["open_id"] for a in accounts(svc)) == sorted(u.open_id for u in sandbox.users())


def assert_refused(r, svc, sandbox, stored: int = 0):
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Nothing was saved" in html and 'href="/connect/tiktok"' in html and "Try again" in html
    assert len(accounts(svc)) == stored
    assert "Traceback" not in html and "test-client-secret" not in html


def test_missing_state_is_refused(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    u = urlsplit(loc)
    query = "&".join(f"{k}={v}" for k, v in parse_qsl(u.query) if k != "state")
    r = browser_a.get(f"{u.path}?{query}")
    assert_refused(r, svc, sandbox)
    assert "security check" in r.get_data(as_text=True)
    assert sandbox.calls("token") == 0


def test_state_from_another_browser_is_refused_and_stays_usable_in_its_own(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    intruder = svc.test_client()
    r = back(intruder, loc)
    assert_refused(r, svc, sandbox)
    assert "not started in this browser" in r.get_data(as_text=True)
    assert sandbox.calls("token") == 0
    assert back(browser_a, loc).status_code == 303  # the rightful browser can still finish
    assert len(accounts(svc)) == 1


def test_tampered_state_is_refused(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    assert_refused(back(browser_a, loc.replace("state=", "state=x")), svc, sandbox)


def test_expired_state_is_refused(sandbox_config, sandbox):
    app = create_app({**sandbox_config, "STATE_TTL": 0})
    client = app.test_client()
    r = back(client, sandbox.approve(start(client)["url"]))
    assert_refused(r, app, sandbox)
    assert "expired" in r.get_data(as_text=True)
    assert sandbox.calls("token") == 0


def test_replayed_state_is_refused(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    assert back(browser_a, loc).status_code == 303
    stored = accounts(svc)
    for client in (browser_a, svc.test_client()):
        r = back(client, loc)
        assert_refused(r, svc, sandbox, stored=1)
        assert "already used" in r.get_data(as_text=True)
    assert accounts(svc) == stored and sandbox.calls("token") == 1


def test_reused_code_is_refused_by_tiktok_and_nothing_is_stored(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    assert back(browser_a, loc).status_code == 303
    stored = accounts(svc)
    code = dict(parse_qsl(urlsplit(loc).query))["code"]
    fresh = start(browser_a)  # a new, valid state carrying the old code
    r = browser_a.get(f"/callback/tiktok?code={code}&state={fresh['state']}")
    assert_refused(r, svc, sandbox, stored=1)
    assert "already used or has expired" in r.get_data(as_text=True)
    assert accounts(svc) == stored
    assert sandbox.calls("token.authorization_code") == 2


def test_cancel_on_the_consent_page_shows_a_friendly_page_and_stores_nothing(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"], decision="cancel")
    assert "error=access_denied" in loc
    r = back(browser_a, loc)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "You cancelled" in html and "Nothing was saved" in html
    assert 'href="/connect/tiktok"' in html
    assert accounts(svc) == [] and sandbox.calls("token") == 0
    assert list((Path(svc.config["DATA_DIR"]) / "connect").glob("*.used"))  # state consumed


def test_other_platform_errors_are_explained_without_echoing_their_text(svc, browser_a, sandbox):
    q = start(browser_a)
    r = browser_a.get(f"/callback/tiktok?error=invalid_scope&error_description=Call+0800+now&state={q['state']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "invalid_scope" in html and "0800" not in html
    r = browser_a.get("/callback/tiktok?error=Call+0800+now")
    assert (
        r.status_code == 400 and "unknown error" in r.get_data(as_text=True) and "0800" not in r.get_data(as_text=True)
    )
    assert accounts(svc) == []


def test_missing_code_is_refused(svc, browser_a, sandbox):
    q = start(browser_a)
    assert_refused(browser_a.get(f"/callback/tiktok?state={q['state']}"), svc, sandbox)


def test_connected_page_without_a_connection_goes_to_connect(browser_a):
    r = browser_a.get("/connect/tiktok/connected")
    assert r.status_code == 302 and r.headers["Location"].endswith("/connect/tiktok")


def test_withheld_scopes_are_pointed_out(svc, browser_a, sandbox, monkeypatch):
    q = start(browser_a)
    url = q["url"].replace("user.info.basic%2Cvideo.publish%2Cvideo.upload", "user.info.basic")
    back(browser_a, sandbox.approve(url))
    html = browser_a.get("/connect/tiktok/connected").get_data(as_text=True)
    assert "You did not grant video.publish, video.upload" in html


def test_bad_connect_links_are_refused(browser_a):
    assert browser_a.get("/connect/tiktok?purpose=steal").status_code == 400
    assert browser_a.get("/connect/tiktok?purpose=deletion").status_code == 400
    assert browser_a.get("/connect/tiktok?purpose=deletion&request=../../x").status_code == 400


def test_platform_outage_during_exchange_is_retried_then_explained(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    sandbox.fault("token", "server_error", count=10)
    r = back(browser_a, loc)
    html = r.get_data(as_text=True)
    assert r.status_code == 502 and "did not answer" in html and "Nothing was saved" in html
    assert sandbox.calls("token") == 1 + svc.config["HTTP_RETRIES"]
    assert accounts(svc) == []


def test_a_brief_outage_is_ridden_out(svc, browser_a, sandbox):
    loc = sandbox.approve(start(browser_a)["url"])
    sandbox.fault("token", "temporarily_unavailable", count=2)
    assert back(browser_a, loc).status_code == 303
    assert sandbox.calls("token") == 3 and len(accounts(svc)) == 1


# -- the deletion flow's "verify with TikTok" mode --


def test_deletion_verification_hands_over_the_open_id_and_keeps_no_tokens(svc, browser_a, sandbox):
    q = start(browser_a, "?purpose=deletion&request=REQ-123")
    assert q["disable_auto_auth"] == "1"
    r = back(browser_a, sandbox.approve(q["url"]))
    assert r.status_code == 303 and r.headers["Location"].endswith("/deletion/REQ-123/verified")
    with browser_a.session_transaction() as s:
        assert s["verified_open_id"] == sandbox.users()[0].open_id and s["verified_request"] == "REQ-123"
    assert accounts(svc) == []
    assert sandbox.calls("revoke") == 1 and sandbox.state.refresh == {}  # the fresh grant was given back


def test_deletion_verification_of_a_connected_account_keeps_it_connected(svc, browser_a, sandbox):
    connect(browser_a, sandbox)
    q = start(browser_a, "?purpose=deletion&request=REQ-9")
    r = back(browser_a, sandbox.approve(q["url"]))
    assert r.headers["Location"].endswith("/deletion/REQ-9/verified")
    (acc,) = accounts(svc)
    assert sandbox.state.check_access(acc["access_token"]) is not None
    assert sandbox.calls("revoke") == 0


# -- a desktop app on a loopback redirect URI, over a real HTTP server --


def test_desktop_app_on_a_loopback_redirect_uri(sandbox_config, sandbox, facts_file):
    import requests

    from callback.sandbox.server import BackgroundServer

    server = BackgroundServer()
    facts = facts_file(
        urls__service=server.url,
        platforms__tiktok__app_type="desktop",
        platforms__tiktok__redirect_uris=[server.url + "/callback/tiktok"],
    )
    server.app = create_app({**sandbox_config, "FACTS_FILE": str(facts)})
    sandbox.client.redirect_uris = (server.url + "/callback/tiktok",)  # the platform checks registration
    with server:
        s = requests.Session()
        r = s.get(server.url + "/connect/tiktok", allow_redirects=False, timeout=5)
        assert dict(parse_qsl(urlsplit(r.headers["Location"]).query))["redirect_uri"].startswith("http://127.0.0.1:")
        final = s.get(sandbox.approve(r.headers["Location"]), timeout=10)
        assert final.status_code == 200 and "Connected as Sandbox Creator" in final.text
        assert final.url == server.url + "/connect/tiktok/connected"


def test_live_service_fixture_connects(live_service):
    r = live_service.connect()
    assert r.status_code == 200 and "Connected as" in r.text
    assert len(live_service.store().list()) == 1
