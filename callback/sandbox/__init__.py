"""A local stand-in for the TikTok platform: consent page, token endpoint, user info, Content Posting, webhooks.

Tests and `greenlight demo` point the service's base URLs at it; production points at the real hosts.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from callback.sandbox.state import LIFETIMES, SandboxState
from callback.sandbox.webhooks import send_webhook, signature, webhook_body

__all__ = ["DEFAULTS", "SandboxState", "create_app", "send_webhook", "signature", "webhook_body"]

DEFAULTS: dict[str, Any] = {
    "CLIENT_KEY": "sbawdemoclientkey",
    "CLIENT_SECRET": "demo-client-secret-not-for-production",
    "APP_NAME": "Sandbox App",
    "REDIRECT_URIS": (),  # registered redirect URIs; empty accepts any
    "WEBHOOK_URL": "",  # where authorization.removed goes when a user disconnects
    "LIFETIMES": "legacy",  # "legacy" (24 h / 365 d) or "rotating" (2 h / 180 d)
    "ACCESS_TTL": None,  # seconds; overrides LIFETIMES
    "REFRESH_TTL": None,
    "CODE_TTL": 300,
    "ROTATE": True,  # a used refresh token is rejected with invalid_grant
    "PKCE_ENCODING": "hex",
    "AUDITED": False,  # unaudited apps may only post privately (SELF_ONLY)
    # (display name, username[, {User field: value}]), e.g. {"private_account": True}
    "USERS": (("Sandbox Creator", "sandbox.creator"), ("Second Creator", "second.creator")),
    "VERIFIED_PREFIXES": (),  # URL prefixes (or https://domain/) PULL_FROM_URL may fetch from
    "UPLOAD_URL_TTL": 3600,  # seconds an upload_url stays usable
    "PUBLISH_STEPS": 2,  # status fetches answered "processing" once a video's bytes are in
    "PUBLISH_WEBHOOKS": "async",  # post.publish.* webhooks: async (like TikTok), sync, or off
}


def create_app(config: dict | None = None) -> Flask:
    """Build a sandbox platform with one registered app and a few users."""
    from callback.sandbox import control, posting, uploads, views

    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    c = app.config
    access, refresh = LIFETIMES[c["LIFETIMES"]]
    state = SandboxState(
        access_ttl=int(c["ACCESS_TTL"] or access),
        refresh_ttl=int(c["REFRESH_TTL"] or refresh),
        code_ttl=int(c["CODE_TTL"]),
        rotate=bool(c["ROTATE"]),
        pkce_encoding=c["PKCE_ENCODING"],
    )
    state.add_client(
        c["CLIENT_KEY"],
        c["CLIENT_SECRET"],
        name=c["APP_NAME"],
        redirect_uris=tuple(c["REDIRECT_URIS"]),
        webhook_url=c["WEBHOOK_URL"],
        audited=bool(c["AUDITED"]),
        verified_prefixes=tuple(c["VERIFIED_PREFIXES"]),
    )
    for display_name, username, *settings in c["USERS"]:
        state.add_user(display_name, username, **(settings[0] if settings else {}))
    state.posting.configure(
        upload_ttl=int(c["UPLOAD_URL_TTL"]), steps=int(c["PUBLISH_STEPS"]), webhooks=c["PUBLISH_WEBHOOKS"]
    )
    app.extensions["sandbox"] = state
    app.register_blueprint(views.bp)
    app.register_blueprint(posting.bp)
    app.register_blueprint(uploads.bp)
    app.register_blueprint(control.bp)
    app.add_url_rule("/", "root", lambda: control.home())
    return app
