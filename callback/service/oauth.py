"""The connect flow: send the user to TikTok with state + PKCE, take the code back, keep the tokens."""

from __future__ import annotations

import logging
import re
import time

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.routing import BuildError

from callback.data.attempts import AttemptError, AttemptsFull
from callback.data.store import apply_tokens
from callback.facts.settings import ConfigError
from callback.facts.setup import OWNER_ATTEMPT as OWNER
from callback.facts.setup import public_users
from callback.platform.redirects import (
    CALLBACK_PATH,
    configured_redirect_uri,
    redirect_mismatch,
    redirect_uri_problems,
    served_redirect_uri,
)
from callback.platform.tiktok import PlatformError, TikTok, code_challenge, new_verifier
from callback.service.context import attempts, facts, store
from callback.service.limits import add_rate_limit, rate_limit
from callback.service.states import PENDING, STATE_PROBLEMS, discard, finish

log = logging.getLogger("greenlight.oauth")
bp = Blueprint("oauth", __name__)
CONNECTED = "connected_open_id"  # session key: the account the "connected" page shows
POSTING = "posting_open_id"  # session key: the account whose queue the posting page shows
REQUEST_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def platform() -> TikTok:
    """The platform client for this service's settings."""
    return TikTok.from_settings(current_app.config)


def page(template: str, status: int = 200, **context):
    """Render a page that must never be cached (it follows a sign-in)."""
    return render_template(template, **context), status, {"Cache-Control": "no-store"}


def _retry_url() -> str:
    """Where to start again: the connect page, or nothing when only the owner connects (from the CLI)."""
    return url_for("oauth.connect") if public_users(facts()) else ""


def failure(title: str, message: str, status: int, advice: str = "", reference: str = ""):
    return page(
        "error.html", status, title=title, message=message, advice=advice, reference=reference, retry_url=_retry_url()
    )


@bp.get("/connect/tiktok")
def connect():
    """Send the browser to TikTok's consent page with a fresh state and PKCE challenge."""
    if not public_users(facts()):
        # Only the owner connects, with a one-time link from `greenlight connect`: no public sign-in, no cookie.
        abort(404)
    purpose, code = request.args.get("purpose", "connect"), request.args.get("request", "")
    if purpose not in ("connect", "deletion", "post") or (purpose == "deletion" and not REQUEST_CODE.match(code)):
        return failure(
            "This link is not valid",
            "The connect link has an unknown purpose or a malformed deletion request code.",
            400,
            advice="Open the link from the page you came from again.",
        )
    rate_limit("connect")
    verifier = new_verifier()
    try:
        state = attempts().begin(verifier, purpose=purpose, request=code or None)
    except AttemptsFull:
        log.warning("connect refused: %s pending attempts is the most kept at once", attempts().max_pending)
        return failure(
            "Too many sign-ins are under way",
            "The service cannot start another sign-in right now.",
            503,
            advice="Please try again in a few minutes.",
        )
    session[PENDING] = [*session.get(PENDING, [])[-4:], state]  # a few tabs at once, not an unbounded cookie
    extra = {"disable_auto_auth": "1"} if purpose == "deletion" else {}  # make the user confirm who they are
    url = platform().authorize_url(
        facts().tiktok_scopes,
        current_app.config["REDIRECT_URI"],
        state,
        code_challenge(verifier, current_app.config["PKCE_ENCODING"]),
        **extra,
    )
    return redirect(url), 302, {"Cache-Control": "no-store"}


@bp.get(CALLBACK_PATH)
def callback():
    """Handle TikTok's redirect: errors first, then state, then the code exchange."""
    args = request.args
    if args.get("error"):
        discard(args.get("state", ""))
        if args["error"] == "access_denied":
            return page("cancelled.html", retry_url=_retry_url())
        # Show TikTok's error code, never its free text: the query string is anyone's to write.
        error = args["error"] if ERROR_CODE.match(args["error"]) else "unknown error"
        log.warning("TikTok redirected back with error %s", error)
        return failure(
            "TikTok did not connect your account",
            f"TikTok reported an error ({error}). Nothing was saved.",
            400,
            advice="Try again; if it keeps failing, tell the operator.",
        )
    try:
        record = finish(args.get("state", ""))
    except AttemptError as exc:
        return failure(
            "This sign-in could not be completed",
            STATE_PROBLEMS[exc.reason] + " Nothing was saved.",
            400,
            advice="Start again from the connect button; it only takes a moment.",
        )
    if not args.get("code"):
        return failure(
            "This sign-in could not be completed", "TikTok sent no authorization code. Nothing was saved.", 400
        )
    tiktok = platform()
    try:
        tokens = tiktok.exchange_code(args["code"], current_app.config["REDIRECT_URI"], record["verifier"])
    except PlatformError as exc:
        return _platform_failure(exc)
    try:
        user = tiktok.user_info(tokens["access_token"])
    except PlatformError as exc:  # the tokens are good: keep them; the page shows the open_id instead of a name
        log.warning("TikTok user info failed after connecting: %s", exc.error)
        user = {}
    open_id = tokens.get("open_id") or user.get("open_id")
    if not open_id:
        return failure(
            "TikTok did not say who connected",
            "TikTok's answer named no account. Nothing was saved.",
            502,
            advice="Try again in a minute.",
        )
    if record.get("purpose") == "deletion":
        return _verified_for_deletion(tiktok, open_id, tokens, record["request"])
    account = store().get(open_id) or {"open_id": open_id}
    # Keep exactly what the privacy policy lists (callback/inventory.py): open_id, display name, avatar URL.
    account.update({k: user[k] for k in ("display_name", "avatar_url") if user.get(k)})
    store().put(apply_tokens(account, tokens, time.time()))
    log.info("connected TikTok account %s", open_id)
    if record.get("purpose") == OWNER:  # shown at once: remembering it would take a cookie
        saved = store().get(open_id)  # None only if erased meanwhile: then it is not connected
        return _connected_page(saved) if saved is not None else redirect(url_for("oauth.connect"))
    # A sign-in proves this browser's user holds the account: it opens that account's posting queue too.
    session[CONNECTED] = session[POSTING] = open_id
    # Redirect so the URL with the one-time code leaves the address bar; a reload then just shows the page.
    after = "posting.page" if record.get("purpose") == "post" else "oauth.connected"
    return redirect(url_for(after)), 303, {"Cache-Control": "no-store"}


@bp.get("/connect/tiktok/connected")
def connected():
    """Show which account is connected, and any permission the user withheld."""
    account = store().get(session.get(CONNECTED) or "")
    if account is None:
        return redirect(url_for("oauth.connect"))
    return _connected_page(account)


def _connected_page(account: dict):
    """Render the connected page for an account: who it is, what it granted, what it withheld."""
    wanted = facts().tiktok.scopes
    missing = [s.name for s in wanted if s.name not in account.get("scope", [])]
    public = {k: account.get(k) for k in ("open_id", "display_name", "avatar_url")}
    return page(
        "connected.html",
        account=public,
        scopes=[s for s in wanted if s.name not in missing],
        missing=missing,
        retry_url=_retry_url(),
    )


def _platform_failure(exc: PlatformError):
    log.warning("code exchange failed: %s", exc)
    if exc.error == "invalid_grant":
        return failure(
            "This sign-in could not be completed",
            "TikTok did not accept the sign-in: it was already used or has expired. Nothing was saved.",
            400,
            reference=exc.log_id,
            advice="Start again from the connect button.",
        )
    if exc.retryable:
        return failure(
            "TikTok is not answering",
            "TikTok did not answer in time. Nothing was saved.",
            502,
            advice="Wait a minute and try again.",
            reference=exc.log_id,
        )
    return failure(
        "TikTok refused the sign-in",
        f"TikTok answered {exc.error}. Nothing was saved.",
        502,
        advice="This needs the operator: please let them know.",
        reference=exc.log_id,
    )


def _verified_for_deletion(tiktok: TikTok, open_id: str, tokens: dict, request_code: str):
    """Hand a proven open_id to the deletion flow; keep tokens only for an account already connected."""
    existing = store().get(open_id)
    if existing:
        store().put(apply_tokens(existing, tokens, time.time()))
    else:
        try:  # we only needed to know who this is: give the access straight back
            tiktok.revoke(tokens["access_token"])
        except PlatformError as exc:
            log.warning("could not revoke the verification token: %s", exc.error)
    session["verified_open_id"], session["verified_request"] = open_id, request_code
    try:
        return redirect(url_for("deletion.verified", code=request_code)), 303, {"Cache-Control": "no-store"}
    except BuildError:
        log.error("the deletion blueprint is not registered: cannot finish a verified deletion request")
        return failure(
            "Deletion requests are not available",
            "Your account was verified, but this service cannot take deletion requests right now.",
            503,
            advice="Please email the operator instead (see below).",
        )


def init_app(app: Flask) -> None:
    """Register the connect flow and check the redirect URI against what the service serves."""
    facts = app.extensions["greenlight"]["facts"]
    if app.config["PKCE_ENCODING"] not in ("hex", "base64url"):
        raise ConfigError(f"GREENLIGHT_PKCE_ENCODING must be hex or base64url, got {app.config['PKCE_ENCODING']!r}")
    app.config["REDIRECT_URI"] = uri = configured_redirect_uri(app.config, facts)
    problem = redirect_mismatch(uri, served_redirect_uri(facts.service_url))
    if problem:
        log.warning("redirect URI %s: %s (run `greenlight redirect-uri`)", uri, problem)
    for problem in redirect_uri_problems(uri, facts.app_type):
        log.warning("redirect URI %s: %s", uri, problem)
    add_rate_limit(app, "connect", int(app.config["CONNECT_RATE_LIMIT"]))
    app.register_blueprint(bp)
