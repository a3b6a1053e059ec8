"""Security basics on every response: headers, cookies, size limit, JSON vs HTML errors, no traces."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from callback.service.limits import RateLimit

ROOT = Path(__file__).resolve().parent.parent


def csp_of(response) -> dict:
    return {d.split()[0]: d.split()[1:] for d in response.headers["Content-Security-Policy"].split("; ")}


@pytest.mark.parametrize("path", ["/deletion", "/no-such-page"])
def test_strict_headers_on_every_page(client, path):
    r = client.get(path)
    assert r.mimetype == "text/html"
    csp = csp_of(r)
    assert csp["default-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'", "https://www.tiktok.com"]
    assert csp["img-src"] == ["'self'", "https:", "data:"]  # avatars from TikTok's CDN
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # plain http: HSTS would be meaningless
    assert "no-store" in r.headers["Cache-Control"]


@pytest.mark.parametrize(
    "method,path", [("GET", "/healthz"), ("GET", "/webhooks/tiktok"), ("POST", "/webhooks/tiktok")]
)
def test_api_answers_carry_the_api_headers(client, method, path):
    r = client.open(path, method=method)
    assert r.is_json
    # OWASP's set for an API answer: it loads, runs and frames nothing, and no cache keeps it.
    assert csp_of(r) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in r.headers


def test_a_view_keeps_the_headers_it_set_itself(client):
    r = client.get("/assets/greenlight.css")
    assert r.status_code == 200 and r.headers["Cache-Control"].startswith("public, max-age=")
    assert r.headers.getlist("Cache-Control") == [r.headers["Cache-Control"]]  # not a second, no-store one
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_csp_allows_exactly_the_inline_styles_in_use(client):
    r = client.get("/deletion")
    page = r.get_data(as_text=True)
    allowed = csp_of(r)["style-src"]
    nonce = re.search(r'<style nonce="([^"]+)">', page).group(1)
    assert f"'nonce-{nonce}'" in allowed
    base = (ROOT / "callback" / "service" / "templates" / "base.html").read_text()
    for css in re.findall(r"<style>(.*?)</style>", base, re.S):
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed
    assert nonce not in client.get("/deletion").headers["Content-Security-Policy"]  # fresh per response


def test_sandbox_origin_is_allowed_for_avatars_and_the_consent_form(app_config):
    from callback import create_app

    app = create_app({**app_config, "TIKTOK_AUTH_BASE": "http://127.0.0.1:9", "TIKTOK_API_BASE": "http://127.0.0.1:9"})
    csp = csp_of(app.test_client().get("/deletion"))
    assert csp["img-src"] == ["'self'", "https:", "data:", "http://127.0.0.1:9"]
    assert csp["form-action"] == ["'self'", "http://127.0.0.1:9"]


def test_hsts_only_over_https(client, app_config):
    from callback import create_app

    assert (
        client.get("/healthz", base_url="https://callback.clipwise.example")
        .headers["Strict-Transport-Security"]
        .startswith("max-age=")
    )
    for path in ("/deletion", "/webhooks/tiktok", "/assets/greenlight.css"):  # a page, an error, an asset
        answer = client.get(path, base_url="https://callback.clipwise.example")
        assert answer.headers.getlist("Strict-Transport-Security") == ["max-age=31536000"], path
    # A forwarded header is believed only when the app is told a proxy sits in front.
    forged = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers
    proxied = create_app({**app_config, "PROXY_HOPS": 1}).test_client()
    r = proxied.get("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Strict-Transport-Security" in r.headers


def test_rate_limit_uses_the_forwarded_client_address_behind_a_proxy(app_config):
    from callback import create_app

    client = create_app({**app_config, "PROXY_HOPS": 1}).test_client()
    for _ in range(5):
        client.post("/deletion", headers={"X-Forwarded-For": "203.0.113.9"})
    assert client.post("/deletion", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    assert client.post("/deletion", headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 400  # not limited


def test_session_cookie_flags(app_config, facts_file):
    from callback import create_app

    def cookie(app) -> str:
        return app.test_client().get("/deletion").headers["Set-Cookie"]

    production = create_app({**app_config, "TESTING": False})  # https service URL in the facts
    assert all(flag in cookie(production) for flag in ("Secure", "HttpOnly", "SameSite=Lax"))
    loopback = create_app({**app_config, "FACTS_FILE": str(facts_file(urls__service="http://127.0.0.1:5000"))})
    flags = cookie(loopback)
    assert "Secure" not in flags and "HttpOnly" in flags and "SameSite=Lax" in flags


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("GET", "/webhooks/tiktok", 405),
        ("GET", "/meta/data-deletion", 405),
        ("GET", "/meta/nothing", 404),
        ("POST", "/healthz", 405),
        ("GET", "/webhooks/", 404),
    ],
)
def test_api_routes_answer_errors_in_json(client, method, path, status):
    r = client.open(path, method=method)
    assert r.status_code == status and r.is_json and set(r.json) == {"error", "message"}
    if status == 405:
        assert "Allow" in r.headers


@pytest.mark.parametrize(
    "method,path,status,words",
    [
        ("GET", "/no-such-page", 404, "Page not found"),
        ("DELETE", "/deletion", 405, "Not allowed here"),
    ],
)
def test_people_get_friendly_pages(client, method, path, status, words):
    r = client.open(path, method=method)
    assert r.status_code == status and r.mimetype == "text/html" and words in r.get_data(as_text=True)


def test_too_large_bodies_are_refused(client):
    big = b"x" * (64 * 1024 + 1)
    r = client.post("/webhooks/tiktok", data=big, headers={"TikTok-Signature": "t=1,s=" + "0" * 64})
    assert r.status_code == 413 and r.is_json
    r = client.post("/deletion", data={"account": "x" * 70_000})
    assert r.status_code == 413 and "too large" in r.get_data(as_text=True)


def test_crashes_show_no_trace_and_no_secret(app, app_config):
    secret = app_config["TIKTOK_CLIENT_SECRET"]

    def boom():
        raise RuntimeError(f"something broke while holding {secret}")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/webhooks/boom", "webhook_boom", boom)
    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500 and page.mimetype == "text/html"
    api = client.get("/webhooks/boom")
    assert api.status_code == 500 and api.json["error"] == "internal_server_error"
    for r in (page, api):
        body = r.get_data(as_text=True)
        assert secret not in body and "Traceback" not in body and "RuntimeError" not in body


def test_rate_limit_window(tmp_path):
    limit = RateLimit(2, tmp_path / "limit", window=60)
    assert limit.allow("a", now=0) and limit.allow("a", now=1)
    assert not limit.allow("a", now=2) and limit.allow("b", now=2)
    assert not limit.allow("a", now=59.9) and limit.allow("a", now=60.5)
    assert limit.allow("a", now=61.5) and not limit.allow("a", now=62)  # a sliding window, not a fixed one


def test_rate_limit_is_shared_by_processes_forked_after_it(tmp_path):
    import os

    limit = RateLimit(5, tmp_path / "limit")
    children = []
    for _ in range(3):  # like gunicorn's workers, forked after the app (and its limits) were built
        pid = os.fork()
        if pid == 0:
            os._exit(sum(limit.allow("198.51.100.4") for _ in range(3)))
        children.append(pid)
    allowed = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children)
    assert allowed == 5  # 9 tries across three processes, 5 allowed: one count, not one per process
    assert not limit.allow("198.51.100.4") and limit.allow("203.0.113.9")


def test_rate_limit_keeps_counting_a_client_among_many_others(tmp_path):
    limit = RateLimit(2, tmp_path / "limit")
    for i in range(5000):  # far more clients than slots: idle ones make way, the busy one is still counted
        limit.allow(f"10.0.{i // 256}.{i % 256}", now=i * 0.001)
        if i % 100 == 0:
            limit.allow("busy", now=i * 0.001)
    assert not limit.allow("busy", now=5.0)
    assert limit.allow("busy", now=70.0)
