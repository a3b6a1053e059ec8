"""The callback service's app factory and the accessors views use."""
from __future__ import annotations

import logging

from flask import Flask, current_app

from callback.config import ConfigError, load_settings, require
from callback.facts import Facts, FactsError, load_facts
from callback.store import TokenStore

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
    app.extensions["greenlight"] = {
        "facts": facts,
        "store": TokenStore(app.config["DATA_DIR"], app.config["ENCRYPTION_KEY"] or None),
    }
    # Blueprints, one per noun; each module's init_app adds its routes and hooks.
    from callback import health

    for module in (health,):
        module.init_app(app)
    return app


def facts() -> Facts:
    """The facts this service was started with."""
    return current_app.extensions["greenlight"]["facts"]


def store() -> TokenStore:
    """The token store of this service."""
    return current_app.extensions["greenlight"]["store"]
