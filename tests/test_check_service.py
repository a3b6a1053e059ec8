"""Service checks against the real service on a loopback port (the platform is the sandbox)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask, redirect, request

from callback.sandbox.server import BackgroundServer
from fixtures.check.sites import messages, run, target

SERVICE_CHECKS = ["service.health", "service.webhook_unsigned", "service.webhook_signed", "service.connect"]


def check_live(live, check_id, **settings):
    """Run a service check against the live service with the operator's local settings."""
    base = {
        "TIKTOK_CLIENT_KEY": live.app.config["TIKTOK_CLIENT_KEY"],
        "TIKTOK_CLIENT_SECRET": live.app.config["TIKTOK_CLIENT_SECRET"],
        "TIKTOK_AUTH_BASE": live.sandbox.url,
    }
    facts = live.app.config["FACTS_FILE"]
    return run(target(facts, "/nonexistent-site", service=live.url, **{**base, **settings}), check_id)


def test_real_service_passes(live_service):
    for check_id in SERVICE_CHECKS[1:]:
        result = check_live(live_service, check_id)
        assert result.status == "pass", (check_id, messages(result))
    health = check_live(live_service, "service.health")
    # A service on this machine is fine to check, but the deployed one must be https: a warning.
    assert health.status == "warn" and messages(health, "warn").endswith("the deployed service must be https")


def test_signed_test_event_is_recorded_as_unknown(live_service):
    check_live(live_service, "service.webhook_signed")
    receipts = (live_service.data_dir).rglob("*")
    assert any(b"greenlight.check" in p.read_bytes() for p in receipts if p.is_file())


def test_secret_that_differs_from_the_service_fails(live_service):
    result = check_live(live_service, "service.webhook_signed", TIKTOK_CLIENT_SECRET="another-secret-9876543210")
    assert result.status == "fail" and "the service has another secret" in messages(result)
    assert "another-secret" not in messages(result) + result.findings[0].fix


def test_missing_secret_fails(live_service):
    result = check_live(live_service, "service.webhook_signed", TIKTOK_CLIENT_SECRET="")
    assert result.status == "fail" and "TIKTOK_CLIENT_SECRET is not set" in messages(result)


def test_client_key_that_differs_from_the_service_fails(live_service):
    result = check_live(live_service, "service.connect", TIKTOK_CLIENT_KEY="sbawsomeotherkey")
    assert result.status == "fail" and "another client_key" in messages(result)


def test_service_pointing_at_another_authorize_host_fails(live_service):
    result = check_live(live_service, "service.connect", TIKTOK_AUTH_BASE="https://www.tiktok.com")
    assert result.status == "fail" and "not https://www.tiktok.com/v2/auth/authorize/" in messages(result)


def test_service_sending_another_redirect_uri_fails(live_service):
    live_service.app.config["REDIRECT_URI"] = "https://elsewhere.example/callback/tiktok"
    result = check_live(live_service, "service.connect")
    assert result.status == "fail" and "redirect_uri https://elsewhere.example/callback/tiktok" in messages(result)


def test_service_started_with_other_scopes_fails(live_service, facts_file):
    # The operator edited the scopes but did not restart the service: the facts here differ.
    facts = facts_file(urls__service=live_service.url, platforms__tiktok__scopes=["user.info.basic", "video.publish"])
    t = target(
        facts,
        "/nonexistent-site",
        service=live_service.url,
        TIKTOK_AUTH_BASE=live_service.sandbox.url,
        TIKTOK_CLIENT_KEY=live_service.app.config["TIKTOK_CLIENT_KEY"],
    )
    result = run(t, "service.connect")
    assert result.status == "fail" and "differ from the facts'" in messages(result)


# -- defects the real service does not have, shown by a deliberately broken one --


def broken_service(key: str, auth_base: str, *, accept_unsigned=False, state=True, pkce=True) -> Flask:
    app = Flask("broken-service")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/webhooks/tiktok")
    def webhook():
        signed = "TikTok-Signature" in request.headers
        return ("", 200) if signed or accept_unsigned else ("", 401)

    @app.get("/connect/tiktok")
    def connect():
        q = {
            "client_key": key,
            "scope": "user.info.basic,video.publish,video.upload",
            "response_type": "code",
            "redirect_uri": f"{request.host_url}callback/tiktok",
        }
        if state:
            q["state"] = "s" * 32
        if pkce:
            q.update(code_challenge="c" * 64, code_challenge_method="S256")
        return redirect(f"{auth_base}/v2/auth/authorize/?{urlencode(q)}")

    return app


@pytest.fixture
def broken(facts_file):
    server = BackgroundServer()
    facts = facts_file(urls__service=server.url)

    def start(**defects):
        server.app = broken_service("sbawtestclientkey", "https://www.tiktok.com", **defects)
        return lambda check_id: run(target(facts, "/nonexistent-site", service=server.url), check_id)

    with server:
        yield start


def test_broken_service_without_defects_passes(broken):
    check = broken()
    assert [check(c).status for c in SERVICE_CHECKS[1:]] == ["pass", "pass", "pass"]


def test_webhook_accepting_unsigned_events_fails(broken):
    result = broken(accept_unsigned=True)("service.webhook_unsigned")
    assert result.status == "fail" and "anyone could forge a revocation" in messages(result)


def test_connect_without_state_fails(broken):
    result = broken(state=False)("service.connect")
    assert result.status == "fail" and "no unguessable state" in messages(result)


def test_connect_without_pkce_fails(broken):
    result = broken(pkce=False)("service.connect")
    assert result.status == "fail" and "no PKCE" in messages(result)


def test_unreachable_service_fails_every_service_check(facts_file):
    facts = facts_file()
    for check_id in SERVICE_CHECKS:
        result = run(target(facts, "/nonexistent-site", service="http://127.0.0.1:9"), check_id)
        assert result.status == "fail", check_id


def test_service_checks_skip_without_a_service_url(facts_file):
    assert run(target(facts_file(), "/nonexistent-site"), "service.health").status == "skip"


def test_http_service_off_this_machine_fails(facts_file):
    result = run(target(facts_file(), "/nonexistent-site", service="http://0.0.0.0:9"), "service.health")
    assert result.status == "fail" and "is not https" in messages(result)
