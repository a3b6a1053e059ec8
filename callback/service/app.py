"""The callback service's app factory."""

from __future__ import annotations

import logging

from flask import Flask, render_template

from callback.data.backends import open_backend
from callback.data.files import STALE_TEMPORARY, LockTimeout, sweep_temporary
from callback.data.queue import PostQueue
from callback.facts import FactsError, load_facts
from callback.facts.settings import SECRETS, ConfigError, load_settings, require
from callback.platform import redaction
from callback.service import (
    assets,
    deletion,
    direct,
    health,
    meta,
    oauth,
    outcomes,
    posting,
    preload,
    removals,
    scheduler,
    security,
    webhooks,
)

log = logging.getLogger("greenlight")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the service from settings (defaults → environment/.env → test_config)."""
    app = Flask(__name__)
    app.config.update(load_settings(test_config))
    try:
        facts = load_facts(app.config["FACTS_FILE"])
    except FactsError as exc:
        raise ConfigError(f"the facts file is invalid:\n{exc}") from None
    require(app.config, facts)
    if not app.config["SECRET_KEY"]:
        import secrets  # demo and tests only: real deployments must set GREENLIGHT_SECRET_KEY

        app.config["SECRET_KEY"] = secrets.token_hex(32)
    redaction.install(app.config.get(k, "") for k in SECRETS)
    # The connect flow's state lives in the session: keep its cookie away from scripts and other sites.
    cookie = {"SESSION_COOKIE_SAMESITE": "Lax", "SESSION_COOKIE_SECURE": facts.service_url.startswith("https://")}
    app.config.update({k: v for k, v in cookie.items() if k not in (test_config or {})})
    app.context_processor(lambda: {"facts": facts})
    app.register_error_handler(500, _server_error)
    data_dir = app.config["DATA_DIR"]
    # The data directory, or GREENLIGHT_DATABASE_URL (refused unless its schema is current).
    backend = open_backend(app.config, lock_timeout=float(app.config["LOCK_TIMEOUT"]))
    preload.require_preload(database=bool(app.config.get("DATABASE_URL")))
    app.extensions["greenlight"] = {
        "facts": facts,
        "backend": backend,
        "store": backend.store,
        "records": backend.records,
        "attempts": backend.attempts,
        "queue": PostQueue(data_dir),  # videos waiting for approval on the posting page (files even with a database)
    }
    # Blueprints, one per noun; each module's init_app adds its routes and hooks. Direct routes first, so that
    # the security middleware wraps them too.
    direct.install(app)
    for module in (security, assets, health, oauth, webhooks, deletion, meta, posting, scheduler):
        module.init_app(app)
    app.register_error_handler(LockTimeout, direct.busy)
    # What a killed process left half done: temporary copies (which may name an erased account), removals.
    sweep_temporary(data_dir, older_than=STALE_TEMPORARY)
    try:  # posts a stopped worker left under way are failed with words saying so, never left "processing"
        outcomes.recover(app.extensions["greenlight"]["queue"])
    except Exception:
        log.exception("could not look for interrupted posts at start")
    try:
        removals.resume(app.extensions["greenlight"]["store"], app.extensions["greenlight"]["records"])
    except Exception:  # never keep the service from starting: the retrier finishes it
        log.exception("pending removals could not be finished at start; retrying in the background")
        removals.retry_later(app.extensions["greenlight"]["store"], app.extensions["greenlight"]["records"])
    return app


def _server_error(exc):
    """Answer an unexpected failure with a plain page: never a traceback, token or secret."""
    log.error("unexpected error on a request", exc_info=getattr(exc, "original_exception", None) or exc)
    return render_template(
        "error.html",
        title="Something went wrong",
        message="The service hit an unexpected error and could not finish your request.",
        advice="Try again in a minute. If it keeps happening, tell the operator.",
    ), 500
