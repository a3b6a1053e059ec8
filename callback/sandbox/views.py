"""The platform endpoints the sandbox imitates: consent page, token, revoke, user info (posting: posting.py)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from base64 import urlsafe_b64encode
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request

from callback.sandbox.state import SCOPES, SandboxState

bp = Blueprint("platform", __name__)
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
USER_FIELDS = ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name", "username")


def state() -> SandboxState:
    """The state of the sandbox serving this request."""
    return current_app.extensions["sandbox"]


def log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def oauth_error(error: str, description: str, status: int = 400):
    """Answer in the token endpoint's error shape."""
    return {"error": error, "error_description": description, "log_id": log_id()}, status


def api_error(code: str, message: str, status: int):
    """Answer in the open API's error shape."""
    return {"data": {}, "error": {"code": code, "message": message, "log_id": log_id()}}, status


def api_ok(data: dict) -> dict:
    """Answer in the open API's success shape."""
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id()}}


def faulted(endpoint: str):
    """Count a call and play an injected fault, returning the failing response (or None to go on)."""
    fault = state().hit(endpoint)
    if fault is None:
        return None
    if fault["kind"] == "slow":  # answers, late: lets tests hold a refresh open while others queue
        time.sleep(fault["delay"])
        return None
    if fault["kind"] == "hang":  # a gateway that never answers in time, then gives up without acting
        time.sleep(fault["delay"])
        return "Gateway Timeout", 504
    if fault["kind"] == "http_502":
        return "<html><body>502 Bad Gateway</body></html>", 502, {"Content-Type": "text/html"}
    if fault["kind"] == "temporarily_unavailable":
        return oauth_error("temporarily_unavailable", "The service is temporarily unavailable.", 503)
    return oauth_error("server_error", "Internal server error.", 500)


def challenge_of(verifier: str) -> str:
    """Compute the PKCE challenge the way the platform does (hex SHA-256 by default)."""
    digest = hashlib.sha256(verifier.encode("ascii"))
    if state().pkce_encoding == "hex":
        return digest.hexdigest()
    return urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


# -- authorize: a consent page, then a redirect back with a code or an error --


def _check_authorize(args) -> tuple[str | None, dict]:
    """Validate authorize parameters; return (page error, details) — page errors are not redirected."""
    client = state().clients.get(args.get("client_key", ""))
    if client is None:
        return "client_key is missing or not registered.", {}
    uri = args.get("redirect_uri", "")
    if not uri or (client.redirect_uris and uri not in client.redirect_uris):
        return "redirect_uri does not match any redirect URI registered for this app.", {}
    details = {"client": client, "redirect_uri": uri, "state": args.get("state", ""), "error": None}
    scopes = tuple(s for s in args.get("scope", "").split(",") if s)
    details["scopes"] = scopes
    if args.get("response_type") != "code":
        details["error"] = ("unsupported_response_type", "response_type must be code")
    elif not scopes or any(s not in SCOPES for s in scopes):
        details["error"] = ("invalid_scope", "scope is missing or names an unknown scope")
    elif not args.get("code_challenge") or args.get("code_challenge_method") != "S256":
        details["error"] = ("invalid_request", "code_challenge with code_challenge_method=S256 is required")
    return None, details


def _back(uri: str, **params) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode({k: v for k, v in params.items() if v is not None})


@bp.route("/v2/auth/authorize/", methods=["GET", "POST"])
def authorize():
    """Show the consent page; on a decision, send the browser back to the app."""
    args = request.form if request.method == "POST" else request.args
    state().hit("authorize" if request.method == "GET" else "authorize.decision")
    problem, d = _check_authorize(args)
    if problem:
        return render_template("sandbox/error.html", message=problem), 400
    if d["error"]:
        return redirect(
            _back(d["redirect_uri"], error=d["error"][0], error_description=d["error"][1], state=d["state"])
        )
    if request.method == "GET":
        return render_template(
            "sandbox/consent.html",
            client=d["client"],
            scopes=d["scopes"],
            args=args,
            users=list(state().users.values()),
        )
    if args.get("decision") != "authorize":
        return redirect(
            _back(
                d["redirect_uri"],
                error="access_denied",
                error_description="The user denied the authorization request.",
                state=d["state"],
            )
        )
    user = state().users.get(args.get("open_id", "")) or next(iter(state().users.values()))
    code = state().issue_code(d["client"].key, user.open_id, d["scopes"], d["redirect_uri"], args["code_challenge"])
    return redirect(_back(d["redirect_uri"], code=code, scopes=",".join(d["scopes"]), state=d["state"]))


# -- token endpoint --


@bp.post("/v2/oauth/token/")
def token():
    """Exchange a code, or refresh (with rotation), in TikTok's form-encoded shape."""
    if (fault := faulted("token")) is not None:
        return fault
    if request.mimetype != "application/x-www-form-urlencoded":
        return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
    form = request.form
    if not form.get("client_key"):
        return oauth_error("invalid_request", "client_key is required (not client_id).")
    client = state().clients.get(form["client_key"])
    if client is None or not hmac.compare_digest(client.secret, form.get("client_secret", "")):
        return oauth_error("invalid_client", "Client key or secret is invalid.", 401)
    grant_type = form.get("grant_type", "")
    state().hit(f"token.{grant_type or 'missing'}")
    if grant_type == "authorization_code":
        return _exchange(client.key, form)
    if grant_type == "refresh_token":
        grant = state().use_refresh(client.key, form.get("refresh_token", ""))
        if grant is None:
            return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
        return state().issue_tokens(client.key, grant.open_id, grant.scopes)
    return oauth_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")


def _exchange(client_key: str, form):
    for name in ("code", "redirect_uri", "code_verifier"):
        if not form.get(name):
            return oauth_error("invalid_request", f"{name} is required.")
    grant = state().take_code(form["code"])
    if grant is None or grant.client_key != client_key or grant.expires <= time.time():
        return oauth_error("invalid_grant", "Authorization code is expired or was already used.")
    if form["redirect_uri"] != grant.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match the one used to authorize.")
    verifier = form["code_verifier"]
    if not VERIFIER.match(verifier) or not hmac.compare_digest(challenge_of(verifier), grant.challenge):
        return oauth_error("invalid_grant", "Code verifier or code challenge is invalid.")
    return state().issue_tokens(client_key, grant.open_id, grant.scopes)


@bp.post("/v2/oauth/revoke/")
def revoke():
    """Revoke the user's authorization of the app behind an access token."""
    if (fault := faulted("revoke")) is not None:
        return fault
    client = state().clients.get(request.form.get("client_key", ""))
    if client is None or not hmac.compare_digest(client.secret, request.form.get("client_secret", "")):
        return oauth_error("invalid_client", "Client key or secret is invalid.", 401)
    grant = state().access.get(request.form.get("token", ""))
    if grant is None or grant.client_key != client.key:
        return oauth_error("invalid_request", "The token is invalid or already revoked.")
    state().revoke(client.key, grant.open_id)
    return {}


# -- open API --


def _bearer():
    auth = request.headers.get("Authorization", "")
    grant = state().check_access(auth[7:]) if auth.startswith("Bearer ") else None
    if grant is None:
        return None, api_error("access_token_invalid", "The access token is invalid or not found in the request.", 401)
    return grant, None


def caller(endpoint: str):
    """Return (grant, None) for a request with a valid Bearer token, or (None, the fault or error to answer)."""
    if (fault := faulted(endpoint)) is not None:
        return None, fault
    return _bearer()


@bp.get("/v2/user/info/")
def user_info():
    """Return the fields asked for of the token's user."""
    grant, err = caller("user_info")
    if err:
        return err
    if "user.info.basic" not in grant.scopes:
        return api_error("scope_not_authorized", "The user did not authorize the scope user.info.basic.", 401)
    fields = [f for f in request.args.get("fields", "").split(",") if f]
    if not fields or any(f not in USER_FIELDS for f in fields):
        return api_error("invalid_params", f"fields must be a comma-separated subset of {','.join(USER_FIELDS)}.", 400)
    u = state().users[grant.open_id]
    avatar = f"{request.host_url}_sandbox/avatar/{u.open_id}.svg"
    known = {
        "open_id": u.open_id,
        "union_id": u.union_id,
        "display_name": u.display_name,
        "username": u.username,
        "avatar_url": avatar,
        "avatar_url_100": avatar,
        "avatar_large_url": avatar,
    }
    return api_ok({"user": {f: known[f] for f in fields}})
