"""The sandbox's own controls: inspect state, inject faults, disconnect users, deliver webhooks."""
from __future__ import annotations

import hashlib
from html import escape

import requests
from flask import Blueprint, abort, redirect, render_template, request, url_for

from callback.sandbox.views import state
from callback.sandbox.webhooks import send_webhook

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
    return deliver(client, body["event"], body["user_openid"], body.get("content", {}), body.get("url"))


@bp.post("/disconnect")
def disconnect():
    """Play a user removing an app: revoke its tokens, then send authorization.removed."""
    data = request.get_json(silent=True) or request.form
    user = state().users.get(data.get("open_id", ""))
    client = state().clients.get(data.get("client_key", ""))
    if user is None or client is None:
        return {"error": "unknown open_id or client_key"}, 400
    state().revoke(client.key, user.open_id)
    result = deliver(client, "authorization.removed", user.open_id, {"reason": 1}) if client.webhook_url else {}
    if request.is_json:
        return {"revoked": True, **result}
    return redirect(url_for("control.home"))


def deliver(client, event: str, user_openid: str, content: dict, url: str | None = None) -> dict:
    """Send a signed event and remember the outcome."""
    url = url or client.webhook_url
    if not url:
        return {"error": "no webhook URL registered for this app"}
    try:
        status = send_webhook(url, client.key, client.secret, event, user_openid, content).status_code
    except requests.RequestException as exc:
        status = f"failed: {type(exc).__name__}"
    record = {"event": event, "user_openid": user_openid, "url": url, "status": status}
    with state().lock:
        state().webhooks.append(record)
    return record


@bp.get("/avatar/<open_id>.svg")
def avatar(open_id: str):
    """Draw a user's avatar: their initials on a colour of their own."""
    user = state().users.get(open_id) or abort(404)
    hue = int(hashlib.sha256(open_id.encode()).hexdigest()[:4], 16) % 360
    initials = escape("".join(w[0] for w in user.display_name.split()[:2]).upper())
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
           f'<circle cx="48" cy="48" r="48" fill="hsl({hue},55%,42%)"/>'
           f'<text x="48" y="58" font-family="sans-serif" font-size="34" fill="#fff" text-anchor="middle">'
           f'{initials}</text></svg>')
    return svg, 200, {"Content-Type": "image/svg+xml", "Cache-Control": "max-age=3600"}
