"""The sandbox's own controls: inspect state, inject faults, disconnect users, deliver webhooks, steer posting."""

from __future__ import annotations

import hashlib
from html import escape

from flask import Blueprint, abort, redirect, render_template, request, url_for

from callback.sandbox.posting import announce
from callback.sandbox.posts import update_fields
from callback.sandbox.views import state
from callback.sandbox.webhooks import deliver

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


@bp.get("/")
def home():
    """List the sandbox's users and the apps each one has authorized."""
    return render_template("sandbox/home.html", users=list(state().users.values()), state=state())


@bp.get("/state")
def summary():
    """Return call counts and table sizes as JSON (never tokens)."""
    return state().summary()


@bp.post("/reset")
def reset():
    """Forget codes, tokens, counters and faults."""
    state().reset()
    return {"ok": True}


@bp.post("/faults")
def faults():
    """Make the next `count` calls to `endpoint` fail, or lag (kinds: see state.FAULT_KINDS)."""
    body = request.get_json(force=True)
    try:
        state().add_fault(body["endpoint"], body["kind"], int(body.get("count", 1)), float(body.get("delay", 5)))
    except (KeyError, ValueError) as exc:
        return {"error": str(exc)}, 400
    return {"ok": True}


@bp.post("/users")
def add_user():
    """Create a platform account; return its open_id."""
    body = request.get_json(force=True)
    user = state().add_user(body["display_name"], body.get("username", ""))
    return {"open_id": user.open_id}


@bp.post("/expire")
def expire():
    """Expire a user's access and/or refresh tokens (what: access, refresh or both)."""
    body = request.get_json(force=True)
    return {"expired": state().expire(body["open_id"], body.get("what", "access"))}


@bp.post("/webhook")
def webhook():
    """Deliver one signed event to `url` (default: the app's registered webhook URL)."""
    body = request.get_json(force=True)
    client = state().clients.get(body.get("client_key") or next(iter(state().clients)))
    if client is None:
        return {"error": "unknown client_key"}, 400
    return deliver(state(), client, body["event"], body["user_openid"], body.get("content", {}), body.get("url"))


@bp.post("/disconnect")
def disconnect():
    """Play a user removing an app: revoke its tokens, then send authorization.removed."""
    data = request.get_json(silent=True) or request.form
    user = state().users.get(data.get("open_id", ""))
    client = state().clients.get(data.get("client_key", ""))
    if user is None or client is None:
        return {"error": "unknown open_id or client_key"}, 400
    state().revoke(client.key, user.open_id)
    result = (
        deliver(state(), client, "authorization.removed", user.open_id, {"reason": 1}) if client.webhook_url else {}
    )
    if request.is_json:
        return {"revoked": True, **result}
    return redirect(url_for("control.home"))


# -- Content Posting: a creator's settings, the app's standing, how publishes go --

CREATOR_FIELDS = (
    "comment_disabled",
    "duet_disabled",
    "stitch_disabled",
    "max_video_post_duration_sec",
    "private_account",
    "can_post",
    "daily_post_cap",
)


@bp.post("/creator")
def creator():
    """Change a creator's posting settings (open_id plus any of CREATOR_FIELDS); answer them all."""
    body = dict(request.get_json(force=True))
    user = state().users.get(body.pop("open_id", ""))
    if user is None:
        return {"error": "unknown open_id"}, 400
    return _update(user, body, CREATOR_FIELDS)


@bp.post("/app")
def app_settings():
    """Change the app's audited flag or verified URL prefixes (client_key defaults to the first app)."""
    body = dict(request.get_json(force=True))
    client = state().clients.get(body.pop("client_key", "") or next(iter(state().clients)))
    if client is None:
        return {"error": "unknown client_key"}, 400
    return _update(client, body, ("audited", "verified_prefixes"))


def _update(obj, body: dict, allowed: tuple[str, ...]):
    """Apply settings to a user or app, or answer 400 saying what is wrong."""
    try:
        with state().lock:
            return update_fields(obj, body, allowed)
    except ValueError as exc:
        return {"error": str(exc)}, 400


@bp.post("/posting")
def posting():
    """Change limits (calls a minute per token), window, steps, upload_ttl, active_user_cap or webhooks."""
    try:
        return state().posting.configure(**request.get_json(force=True))
    except ValueError as exc:
        return {"error": str(exc)}, 400


@bp.post("/publish")
def publish():
    """Decide how a publish (publish_id) or the next `count` ones end: outcome complete, fail (fail_reason), stall."""
    body = request.get_json(force=True)
    try:
        state().posting.plan(
            body["outcome"], body.get("fail_reason", ""), int(body.get("count", 1)), body.get("publish_id", "")
        )
    except (KeyError, ValueError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}, 400
    return {"ok": True}


@bp.post("/settle")
def settle():
    """Finish a publish's processing now and send its webhooks, as TikTok does whether anyone polls or not."""
    pub = state().posting.publishes.get(request.get_json(force=True).get("publish_id", ""))
    if pub is None:
        return {"error": "unknown publish_id"}, 400
    announce(pub, state().posting.advance(pub, settle=True))
    return state().posting.status_of(pub)


@bp.get("/avatar/<open_id>.svg")
def avatar(open_id: str):
    """Draw a user's avatar: their initials on a colour of their own."""
    user = state().users.get(open_id) or abort(404)
    hue = int(hashlib.sha256(open_id.encode()).hexdigest()[:4], 16) % 360
    initials = escape("".join(w[0] for w in user.display_name.split()[:2]).upper())
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<circle cx="48" cy="48" r="48" fill="hsl({hue},55%,42%)"/>'
        f'<text x="48" y="58" font-family="sans-serif" font-size="34" fill="#fff" text-anchor="middle">'
        f"{initials}</text></svg>"
    )
    return svg, 200, {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=3600"}
