"""Service checks (--service URL): health, webhook signatures both ways, and the connect redirect."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

from callback.checks.addresses import is_loopback, origin
from callback.checks.model import Finding, Skip, Target, fail, note, register, warn
from callback.checks.pages import fetch
from callback.facts.setup import public_users
from callback.platform.signatures import sign_tiktok

CHECKS: list = []
check = register(CHECKS, "service")

TEST_EVENT = "greenlight.check"  # an event no platform sends: the service records it as unknown and answers 200
AUTHORIZE_PATH = "/v2/auth/authorize/"


def given(t: Target) -> str:
    """Return the service URL under check as given, or skip when none was given."""
    if not t.service:
        raise Skip("pass --service URL to check the running callback service")
    return t.service


def base(t: Target) -> str:
    """Return the service URL under check, without a trailing slash."""
    return given(t).rstrip("/")


def test_event(client_key: str) -> bytes:
    """Return the raw body of a harmless webhook event in TikTok's shape."""
    return json.dumps(
        {
            "client_key": client_key,
            "event": TEST_EVENT,
            "create_time": int(time.time()),
            "user_openid": "",
            "content": json.dumps({"source": "greenlight check"}),
        }
    ).encode()


@check("service.health", "The service answers /healthz")
def health(t: Target) -> list[Finding]:
    service = given(t)
    url = service.rstrip("/") + "/healthz"
    resp = fetch(url)
    out = []
    if resp.status != 200:
        out.append(
            fail(
                f"{url}: {resp.error or f'answered {resp.status}'}",
                "start the service (gunicorn 'callback:create_app()') and check the address",
            )
        )
    if not service.startswith("https://"):
        if is_loopback(service):
            # A service on this machine is a demo or a preview; the published address is judged
            # by the facts checks (webhook URL, redirect URIs).
            fix = (
                "deploy the service behind https before review"
                if t.demo
                else f"check the deployed service too: --service {t.facts.service_url}"
            )
            out.append(warn(f"{service} is a local address; the deployed service must be https", fix))
        else:
            out.append(
                fail(
                    f"{service} is not https; TikTok calls only https webhooks",
                    "put the service behind TLS (a reverse proxy or your host's https)",
                )
            )
    if not is_loopback(service) and origin(service) != origin(t.facts.service_url):
        out.append(
            warn(
                f"checking {service} but the facts publish {t.facts.service_url}",
                f"check the published service, or correct {t.fact('urls.service')}",
            )
        )
    return out or [note(f"{url} answered 200")]


@check("service.webhook_unsigned", "The webhook endpoint refuses an unsigned event (401)")
def webhook_unsigned(t: Target) -> list[Finding]:
    url = base(t) + "/webhooks/tiktok"
    resp = fetch(
        url,
        "POST",
        data=test_event(t.settings.get("TIKTOK_CLIENT_KEY") or ""),
        headers={"Content-Type": "application/json"},
    )
    if resp.status == 401:
        return [note(f"{url} refused an unsigned event with 401")]
    return [
        fail(
            f"{url} answered {resp.error or resp.status} to an unsigned event, not 401: "
            "anyone could forge a revocation",
            "deploy the current service (signed webhooks only)",
        )
    ]


@check("service.webhook_signed", "The webhook endpoint accepts an event signed with TIKTOK_CLIENT_SECRET")
def webhook_signed(t: Target) -> list[Finding]:
    url = base(t) + "/webhooks/tiktok"
    secret = t.settings.get("TIKTOK_CLIENT_SECRET") or ""
    if not secret:
        return [
            fail(
                "TIKTOK_CLIENT_SECRET is not set here, so the signed test event cannot be sent",
                "set TIKTOK_CLIENT_SECRET in the environment or .env (the same secret the service uses)",
            )
        ]
    body = test_event(t.settings.get("TIKTOK_CLIENT_KEY") or "")
    header = sign_tiktok(body, secret=secret, timestamp=int(time.time()))
    resp = fetch(url, "POST", data=body, headers={"Content-Type": "application/json", "TikTok-Signature": header})
    if resp.status == 200:
        return [note(f"{url} accepted a {TEST_EVENT} event signed with this TIKTOK_CLIENT_SECRET")]
    if resp.status == 401:
        return [
            fail(
                f"{url} rejected an event signed with this TIKTOK_CLIENT_SECRET: the service has another "
                "secret (or its clock is off by more than 5 minutes)",
                "give the service and the developer portal the same TIKTOK_CLIENT_SECRET, then restart it",
            )
        ]
    return [
        fail(
            f"{url} answered {resp.error or resp.status} to a signed event; TikTok retries anything but 200",
            "look at the service's log for this request",
        )
    ]


@check("service.connect", "/connect/tiktok redirects to TikTok's authorize URL with key, scopes, redirect, state, PKCE")
def connect(t: Target) -> list[Finding]:
    url = base(t) + "/connect/tiktok"
    resp = fetch(url)
    if not public_users(t.facts):  # users: owner: the owner connects with `greenlight connect`, nobody else may
        if resp.status == 404:
            return [note(f"{url} answers 404: only the owner connects (greenlight connect), as the pages say")]
        return [
            fail(
                f"{url} answered {resp.error or resp.status}, but the facts say users: owner (no public connect page)",
                "deploy the current service with these facts",
            )
        ]
    if resp.status not in (302, 303, 307):
        return [
            fail(
                f"{url} answered {resp.error or resp.status}, not a redirect to TikTok",
                "deploy the current service and check its log",
            )
        ]
    loc = urlsplit(resp.location)
    want = urlsplit(str(t.settings.get("TIKTOK_AUTH_BASE", "https://www.tiktok.com")).rstrip("/") + AUTHORIZE_PATH)
    q = {k: v[0] for k, v in parse_qs(loc.query, keep_blank_values=True).items()}
    out = []
    if (loc.scheme, loc.netloc, loc.path) != (want.scheme, want.netloc, want.path):
        out.append(
            fail(
                f"redirects to {loc.scheme}://{loc.netloc}{loc.path}, not {want.geturl()}",
                "unset GREENLIGHT_TIKTOK_AUTH_BASE on the service (it points at a test platform)",
            )
        )
    key = t.settings.get("TIKTOK_CLIENT_KEY") or ""
    if q.get("client_key") != key:
        out.append(
            fail(
                "the service sends another client_key than TIKTOK_CLIENT_KEY here",
                "give the service the TIKTOK_CLIENT_KEY from the developer portal",
            )
        )
    sent, wanted = set(filter(None, q.get("scope", "").split(","))), set(t.facts.tiktok_scopes)
    if sent != wanted:
        out.append(
            fail(
                f"scopes sent {', '.join(sorted(sent)) or 'none'} differ from the facts' {', '.join(sorted(wanted))}",
                "restart the service with the current mkdocs.yml",
            )
        )
    redirect = q.get("redirect_uri", "")
    configured = t.settings.get("REDIRECT_URI") or t.facts.redirect_uris[0]
    if redirect not in t.facts.redirect_uris or redirect != configured:
        out.append(
            fail(
                f"redirect_uri {redirect or 'missing'} is not the facts' {configured}",
                f"make the service's GREENLIGHT_REDIRECT_URI / {t.fact('urls.service')} match the facts",
            )
        )
    if q.get("response_type") != "code":
        out.append(fail(f"response_type is {q.get('response_type')!r}, not 'code'", "deploy the current service"))
    if len(q.get("state", "")) < 16:
        out.append(
            fail(
                "no unguessable state (at least 16 characters) in the authorize URL",
                "deploy the current service: OAuth without state is open to login CSRF",
            )
        )
    if not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
        out.append(
            fail(
                "no PKCE: code_challenge with code_challenge_method=S256 is required",
                "deploy the current service (TikTok rejects web logins without PKCE)",
            )
        )
    return out or [
        note(
            f"302 to {want.netloc}{want.path} with client key, {len(wanted)} scope(s), {redirect}, state and S256 PKCE"
        )
    ]
