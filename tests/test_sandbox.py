"""The sandbox platform keeps TikTok's contract, so the tests that rely on it mean something."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from flask import Flask, request

from callback.sandbox import create_app, send_webhook, signature
from callback.sandbox.server import BackgroundServer

ROOT = Path(__file__).resolve().parent.parent
KEY, SECRET, REDIRECT = "sbawkey0001", "sandbox-secret-0001", "https://app.example/callback/tiktok"
VERIFIER = "v" * 43 + "-._~0123456789"


@pytest.fixture
def platform():
    app = create_app({"CLIENT_KEY": KEY, "CLIENT_SECRET": SECRET, "APP_NAME": "Clipwise"})
    return app


@pytest.fixture
def web(platform):
    return platform.test_client()


def authorize_query(**changes) -> dict:
    q = {
        "client_key": KEY,
        "scope": "user.info.basic,video.publish",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "code_challenge": hashlib.sha256(VERIFIER.encode()).hexdigest(),
        "code_challenge_method": "S256",
    }
    q.update(changes)
    return {k: v for k, v in q.items() if v is not None}


def get_code(web, **changes) -> str:
    r = web.post("/v2/auth/authorize/", data={**authorize_query(**changes), "decision": "authorize"})
    assert r.status_code == 302, r.text
    return dict(parse_qsl(urlsplit(r.headers["Location"]).query))["code"]


def token(web, **fields):
    return web.post("/v2/oauth/token/", data={"client_key": KEY, "client_secret": SECRET, **fields})


def exchange(web, code, **changes):
    return token(
        web,
        **{
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
            **changes,
        },
    )


def assert_oauth_error(r, error, status=400):
    body = r.get_json()
    assert r.status_code == status and body["error"] == error
    assert body["error_description"] and body["log_id"]


def test_consent_page_shows_the_app_and_its_scopes(web):
    html = web.get("/v2/auth/authorize/?" + urlencode(authorize_query())).get_data(as_text=True)
    assert "Clipwise would like to access your account" in html
    assert "user.info.basic" in html and "Directly post content to your TikTok profile" in html
    assert ">Authorize</button>" in html and ">Cancel</button>" in html and "Sandbox Creator" in html


def test_authorize_redirects_back_with_code_scopes_and_state(web):
    r = web.post("/v2/auth/authorize/", data={**authorize_query(), "decision": "authorize"})
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
    assert r.headers["Location"].startswith(REDIRECT + "?")
    assert q["scopes"] == "user.info.basic,video.publish" and q["state"] == "st-1" and q["code"]


def test_cancel_redirects_back_with_access_denied(web):
    r = web.post("/v2/auth/authorize/", data={**authorize_query(), "decision": "cancel"})
    q = dict(parse_qsl(urlsplit(r.headers["Location"]).query))
    assert q["error"] == "access_denied" and q["error_description"] and q["state"] == "st-1" and "code" not in q


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "user.info.basic,everything"}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_bad_authorize_requests_go_back_with_an_error(web, changes, error):
    r = web.get("/v2/auth/authorize/?" + urlencode(authorize_query(**changes)))
    assert r.status_code == 302 and dict(parse_qsl(urlsplit(r.headers["Location"]).query))["error"] == error


def test_unknown_client_or_unregistered_redirect_uri_is_an_error_page(platform, web):
    assert web.get("/v2/auth/authorize/?" + urlencode(authorize_query(client_key="nope"))).status_code == 400
    platform.extensions["sandbox"].clients[KEY].redirect_uris = (REDIRECT,)
    r = web.get("/v2/auth/authorize/?" + urlencode(authorize_query(redirect_uri=REDIRECT + "/")))
    assert r.status_code == 400 and "redirect_uri" in r.get_data(as_text=True)


def test_code_exchange_success_shape(web):
    body = exchange(web, get_code(web)).get_json()
    assert set(body) == {
        "open_id",
        "scope",
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "token_type",
    }
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400 and body["refresh_expires_in"] == 31536000
    assert body["access_token"].startswith("act.") and body["refresh_token"].startswith("rft.")


def test_codes_are_single_use(web):
    code = get_code(web)
    assert exchange(web, code).status_code == 200
    assert_oauth_error(exchange(web, code), "invalid_grant")


def test_codes_are_short_lived(platform, web):
    platform.extensions["sandbox"].code_ttl = 0
    assert_oauth_error(exchange(web, get_code(web)), "invalid_grant")


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"code_verifier": "w" * 43}, "invalid_grant"),  # does not match the challenge
        ({"code_verifier": "short"}, "invalid_grant"),  # not 43-128 chars
        ({"code_verifier": None}, "invalid_request"),
        ({"redirect_uri": REDIRECT + "/"}, "invalid_grant"),  # must equal the authorize one
    ],
)
def test_code_exchange_checks_pkce_and_redirect_uri(web, changes, error):
    fields = {
        k: v
        for k, v in {
            "code": get_code(web),
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER,
            **changes,
        }.items()
        if v is not None
    }
    assert_oauth_error(token(web, **fields), error)


def test_base64url_challenge_is_refused_by_a_hex_platform(web):
    from base64 import urlsafe_b64encode

    b64 = urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    assert_oauth_error(exchange(web, get_code(web, code_challenge=b64)), "invalid_grant")


def test_client_credentials_are_checked(web):
    code = get_code(web)
    r = web.post(
        "/v2/oauth/token/",
        data={"client_id": KEY, "client_secret": SECRET, "code": code, "grant_type": "authorization_code"},
    )
    assert_oauth_error(r, "invalid_request")
    assert "client_key" in r.get_json()["error_description"]
    r = web.post("/v2/oauth/token/", data={"client_key": KEY, "client_secret": "wrong", "code": code})
    assert_oauth_error(r, "invalid_client", 401)
    assert_oauth_error(web.post("/v2/oauth/token/", json={"client_key": KEY}), "invalid_request")
    assert_oauth_error(token(web, grant_type="password"), "unsupported_grant_type")


def test_refresh_rotates(web):
    first = exchange(web, get_code(web)).get_json()
    second = token(web, grant_type="refresh_token", refresh_token=first["refresh_token"]).get_json()
    assert second["refresh_token"] != first["refresh_token"] and second["open_id"] == first["open_id"]
    assert_oauth_error(token(web, grant_type="refresh_token", refresh_token=first["refresh_token"]), "invalid_grant")
    assert token(web, grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 200


def test_lifetimes_are_configurable():
    app = create_app({"CLIENT_KEY": KEY, "CLIENT_SECRET": SECRET, "LIFETIMES": "rotating"})
    body = exchange(app.test_client(), get_code(app.test_client())).get_json()
    assert (body["expires_in"], body["refresh_expires_in"]) == (7200, 15552000)
    app = create_app({"CLIENT_KEY": KEY, "CLIENT_SECRET": SECRET, "ACCESS_TTL": 60, "REFRESH_TTL": 120})
    body = exchange(app.test_client(), get_code(app.test_client())).get_json()
    assert (body["expires_in"], body["refresh_expires_in"]) == (60, 120)


def test_user_info_and_its_errors(web):
    tokens = exchange(web, get_code(web)).get_json()
    bearer = {"Authorization": "Bearer " + tokens["access_token"]}
    body = web.get("/v2/user/info/?fields=open_id,union_id,avatar_url,display_name", headers=bearer).get_json()
    assert body["error"] == {"code": "ok", "message": "", "log_id": body["error"]["log_id"]}
    assert set(body["data"]["user"]) == {"open_id", "union_id", "avatar_url", "display_name"}
    assert body["data"]["user"]["open_id"] == tokens["open_id"]
    r = web.get("/v2/user/info/?fields=open_id", headers={"Authorization": "Bearer act.nope"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "access_token_invalid"
    assert web.get("/v2/user/info/?fields=open_id").status_code == 401
    assert web.get("/v2/user/info/", headers=bearer).get_json()["error"]["code"] == "invalid_params"
    avatar = web.get(urlsplit(body["data"]["user"]["avatar_url"]).path)
    assert avatar.status_code == 200 and avatar.mimetype == "image/svg+xml"


def test_creator_info_for_an_unaudited_app(platform, web):
    tokens = exchange(web, get_code(web)).get_json()
    r = web.post(
        "/v2/post/publish/creator_info/query/", json={}, headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    data = r.get_json()["data"]
    assert r.get_json()["error"]["code"] == "ok"
    assert data["privacy_level_options"] == ["SELF_ONLY"] and data["creator_nickname"] == "Sandbox Creator"
    assert {
        "creator_avatar_url",
        "creator_username",
        "comment_disabled",
        "duet_disabled",
        "stitch_disabled",
        "max_video_post_duration_sec",
    } <= set(data)
    platform.extensions["sandbox"].clients[KEY].audited = True
    r = web.post(
        "/v2/post/publish/creator_info/query/", json={}, headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert "PUBLIC_TO_EVERYONE" in r.get_json()["data"]["privacy_level_options"]


def test_revoke_ends_the_authorization(web):
    tokens = exchange(web, get_code(web)).get_json()
    r = web.post(
        "/v2/oauth/revoke/", data={"client_key": KEY, "client_secret": SECRET, "token": tokens["access_token"]}
    )
    assert r.status_code == 200 and r.get_json() == {}
    assert (
        web.get(
            "/v2/user/info/?fields=open_id", headers={"Authorization": "Bearer " + tokens["access_token"]}
        ).status_code
        == 401
    )
    assert_oauth_error(token(web, grant_type="refresh_token", refresh_token=tokens["refresh_token"]), "invalid_grant")


def test_faults_and_call_counts(platform, web):
    state = platform.extensions["sandbox"]
    state.add_fault("token", "temporarily_unavailable", count=1)
    state.add_fault("token", "http_502", count=1)
    assert_oauth_error(exchange(web, "x"), "temporarily_unavailable", 503)
    r = exchange(web, "x")
    assert r.status_code == 502 and r.mimetype == "text/html"
    assert_oauth_error(exchange(web, "x"), "invalid_grant")  # faults used up
    assert web.get("/_sandbox/state").get_json()["calls"]["token"] == 3
    assert web.post("/_sandbox/faults", json={"endpoint": "token", "kind": "meteor"}).status_code == 400
    assert (
        web.post("/_sandbox/faults", json={"endpoint": "token", "kind": "server_error", "count": 2}).status_code == 200
    )
    assert_oauth_error(exchange(web, "x"), "server_error", 500)
    web.post("/_sandbox/reset")
    assert web.get("/_sandbox/state").get_json()["calls"] == {}


def test_state_summary_never_shows_tokens(web):
    exchange(web, get_code(web))
    text = web.get("/_sandbox/state").get_data(as_text=True)
    assert "act." not in text and "rft." not in text and json.loads(text)["access_tokens"] == 1


# -- webhooks --


def test_signature_matches_tiktoks_recipe():
    body = b'{"event":"authorization.removed"}'
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("secret", 1700000000, body) == f"t=1700000000,s={expected}"


@pytest.fixture
def receiver():
    """A tiny HTTP endpoint that records what it is sent."""
    got = []
    app = Flask("receiver")

    @app.post("/hook")
    def hook():
        got.append({"raw": request.get_data(), "sig": request.headers["TikTok-Signature"]})
        return ""

    with BackgroundServer(app) as server:
        yield server.url + "/hook", got


def test_send_webhook_builds_a_signed_body(receiver):
    url, got = receiver
    r = send_webhook(url, KEY, SECRET, "post.publish.complete", "-000u", {"publish_id": "p1"}, timestamp=1700000001)
    assert r.status_code == 200
    (delivery,) = got
    body = json.loads(delivery["raw"])
    assert body == {
        "client_key": KEY,
        "event": "post.publish.complete",
        "create_time": 1700000001,
        "user_openid": "-000u",
        "content": json.dumps({"publish_id": "p1"}),
    }
    assert delivery["sig"] == signature(SECRET, 1700000001, delivery["raw"])


def test_disconnect_revokes_and_sends_authorization_removed(platform, web, receiver):
    url, got = receiver
    state = platform.extensions["sandbox"]
    state.clients[KEY].webhook_url = url
    tokens = exchange(web, get_code(web)).get_json()
    r = web.post("/_sandbox/disconnect", json={"open_id": tokens["open_id"], "client_key": KEY})
    assert r.get_json()["status"] == 200
    body = json.loads(got[0]["raw"])
    assert body["event"] == "authorization.removed" and json.loads(body["content"]) == {"reason": 1}
    assert state.check_access(tokens["access_token"]) is None
    assert web.get("/_sandbox/").status_code == 200


def test_webhook_endpoint_delivers_on_request(platform, web, receiver):
    url, got = receiver
    r = web.post(
        "/_sandbox/webhook",
        json={"url": url, "event": "video.publish.completed", "user_openid": "-000u", "content": {"share_id": "s1"}},
    )
    assert r.get_json()["status"] == 200 and json.loads(got[0]["raw"])["event"] == "video.publish.completed"


@pytest.mark.slow
def test_runs_as_its_own_process():
    proc = subprocess.Popen(
        [sys.executable, "-m", "callback.sandbox", "--port", "0", "--lifetimes", "rotating"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("sandbox platform listening on http://127.0.0.1:")
        url = line.split()[-1]
        deadline = time.time() + 5
        while True:
            try:
                state = requests.get(url + "/_sandbox/state", timeout=1).json()
                break
            except requests.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.05)
        assert state["lifetimes"] == {"access": 7200, "refresh": 15552000, "rotate": True}
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
