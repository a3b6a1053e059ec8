"""A local stand-in for the TikTok platform: consent page, token endpoint, user and creator info, webhooks.

Tests and `greenlight demo` point the service's base URLs at it; production points at the real hosts.
"""
from __future__ import annotations

from flask import Flask

from callback.sandbox.state import LIFETIMES, SandboxState
from callback.sandbox.webhooks import send_webhook, signature, webhook_body

__all__ = ["create_app", "send_webhook", "signature", "webhook_body", "SandboxState", "DEFAULTS"]

DEFAULTS = {
    "CLIENT_KEY": "sbawdemoclientkey",
    "CLIENT_SECRET": "demo-client-secret-not-for-production",
    "APP_NAME": "Sandbox App",
    "REDIRECT_URIS": (),          # registered redirect URIs; empty accepts any
    "WEBHOOK_URL": "",            # where authorization.removed goes when a user disconnects
    "LIFETIMES": "legacy",        # "legacy" (24 h / 365 d) or "rotating" (2 h / 180 d)
    "ACCESS_TTL": None,           # seconds; overrides LIFETIMES
    "REFRESH_TTL": None,
    "CODE_TTL": 300,
    "ROTATE": True,               # a used refresh token is rejected with invalid_grant
    "PKCE_ENCODING": "hex",
    "AUDITED": False,             # unaudited apps may only post privately (SELF_ONLY)
    "USERS": (("Sandbox Creator", "sandbox.creator"), ("Second Creator", "second.creator")),
}


def create_app(config: dict | None = None) -> Flask:
    """Build a sandbox platform with one registered app and a few users."""
    from callback.sandbox import control, views

    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    c = app.config
    access, refresh = LIFETIMES[c["LIFETIMES"]]
    state = SandboxState(access_ttl=int(c["ACCESS_TTL"] or access), refresh_ttl=int(c["REFRESH_TTL"] or refresh),
                         code_ttl=int(c["CODE_TTL"]), rotate=bool(c["ROTATE"]), pkce_encoding=c["PKCE_ENCODING"])
    state.add_client(c["CLIENT_KEY"], c["CLIENT_SECRET"], name=c["APP_NAME"], redirect_uris=tuple(c["REDIRECT_URIS"]),
                     webhook_url=c["WEBHOOK_URL"], audited=bool(c["AUDITED"]))
    for display_name, username in c["USERS"]:
        state.add_user(display_name, username)
    app.extensions["sandbox"] = state
    app.register_blueprint(views.bp)
    app.register_blueprint(control.bp)
    app.add_url_rule("/", "root", lambda: control.home())
    return app
