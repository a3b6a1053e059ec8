"""Service settings: defaults, then the environment (or a git-ignored .env), then test overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": "",  # default: instance/ beside the facts file (see load_settings)
    "DATABASE_URL": "",  # PostgreSQL instead of DATA_DIR, for several instances on one database
    "FACTS_FILE": "mkdocs.yml",
    "TIKTOK_AUTH_BASE": "https://www.tiktok.com",
    "TIKTOK_API_BASE": "https://open.tiktokapis.com",
    "PKCE_ENCODING": "hex",  # TikTok's documented challenge encoding; "base64url" selectable
    "REDIRECT_URI": "",  # default: the first redirect URI in the facts
    "HTTP_TIMEOUT": 10.0,  # seconds, for every call to the platform
    "HTTP_RETRIES": 3,  # bounded retries on 5xx, timeouts, temporarily_unavailable
    "HTTP_BACKOFF": 0.5,  # seconds before the first retry; doubles each time
    "REFRESH_MARGIN": 300,  # refresh access tokens expiring within this many seconds
    "REFRESH_WARN_DAYS": 14,  # warn this long before a refresh token itself expires
    "STATE_TTL": 600,  # seconds a connect attempt's state stays valid
    "LOCK_TIMEOUT": 5.0,  # seconds a request waits for a store lock before answering 503
    "CONNECT_MAX_PENDING": 10000,  # connect attempts waiting for their redirect, at most
    "CONNECT_RATE_LIMIT": 30,  # /connect/tiktok hits a minute per client address (all workers)
    "META_MAX_AGE": 86400,  # seconds a Meta signed_request stays acceptable after issued_at
    "WEBHOOK_TOLERANCE": 300,  # seconds of clock skew accepted on signed webhooks
    "MAX_CONTENT_LENGTH": 64 * 1024,  # bytes; webhooks and forms are small
    "PROXY_HOPS": 0,  # reverse proxies in front whose X-Forwarded-* headers are trusted
    "DELETION_RATE_LIMIT": 5,  # deletion-form posts a minute per client address (all workers)
    "PURGE_INTERVAL_HOURS": "",  # in-service purge: "" = daily, but off in tests and the demo; 0 = off
    "DEMO": False,
    "SECRET_KEY": "",
    "TIKTOK_CLIENT_KEY": "",
    "TIKTOK_CLIENT_SECRET": "",
    "ENCRYPTION_KEY": "",
    "META_APP_SECRET": "",
}

# Settings read from the environment: config key -> variable name.
ENVIRONMENT = {
    "SECRET_KEY": "GREENLIGHT_SECRET_KEY",
    "TIKTOK_CLIENT_KEY": "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET": "TIKTOK_CLIENT_SECRET",
    "ENCRYPTION_KEY": "GREENLIGHT_ENCRYPTION_KEY",
    "META_APP_SECRET": "META_APP_SECRET",
    "DATA_DIR": "GREENLIGHT_DATA_DIR",
    "DATABASE_URL": "GREENLIGHT_DATABASE_URL",
    "FACTS_FILE": "GREENLIGHT_FACTS",
    "TIKTOK_AUTH_BASE": "GREENLIGHT_TIKTOK_AUTH_BASE",
    "TIKTOK_API_BASE": "GREENLIGHT_TIKTOK_API_BASE",
    "PKCE_ENCODING": "GREENLIGHT_PKCE_ENCODING",
    "REDIRECT_URI": "GREENLIGHT_REDIRECT_URI",
    "DEMO": "GREENLIGHT_DEMO",
    "HTTP_TIMEOUT": "GREENLIGHT_HTTP_TIMEOUT",
    "HTTP_RETRIES": "GREENLIGHT_HTTP_RETRIES",
    "HTTP_BACKOFF": "GREENLIGHT_HTTP_BACKOFF",
    "REFRESH_MARGIN": "GREENLIGHT_REFRESH_MARGIN",
    "REFRESH_WARN_DAYS": "GREENLIGHT_REFRESH_WARN_DAYS",
    "STATE_TTL": "GREENLIGHT_STATE_TTL",
    "LOCK_TIMEOUT": "GREENLIGHT_LOCK_TIMEOUT",
    "CONNECT_MAX_PENDING": "GREENLIGHT_CONNECT_MAX_PENDING",
    "CONNECT_RATE_LIMIT": "GREENLIGHT_CONNECT_RATE_LIMIT",
    "META_MAX_AGE": "GREENLIGHT_META_MAX_AGE",
    "WEBHOOK_TOLERANCE": "GREENLIGHT_WEBHOOK_TOLERANCE",
    "MAX_CONTENT_LENGTH": "GREENLIGHT_MAX_CONTENT_LENGTH",
    "PROXY_HOPS": "GREENLIGHT_PROXY_HOPS",
    "DELETION_RATE_LIMIT": "GREENLIGHT_DELETION_RATE_LIMIT",
    "PURGE_INTERVAL_HOURS": "GREENLIGHT_PURGE_INTERVAL_HOURS",
}
SECRETS = (
    "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET",
    "SECRET_KEY",
    "ENCRYPTION_KEY",
    "META_APP_SECRET",
    "DATABASE_URL",
)  # a database URL may carry its password


class ConfigError(RuntimeError):
    """Raised when the service cannot start with the settings it was given."""


def read_env_file(path: str | Path = ".env") -> dict[str, str]:
    """Read a .env file as python-dotenv reads it (quotes, escapes, comments, export, multi-line values)."""
    # One reader for the service's settings and the site's secret guard: both must see the same values.
    path = Path(path)
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only when there is a .env to read

    values = dotenv_values(path, encoding="utf-8")
    return {key: value for key, value in values.items() if value is not None}  # a bare NAME sets nothing


def load_settings(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Merge defaults, .env, the real environment (which wins over .env) and overrides."""
    env = {**read_env_file(), **(os.environ if environ is None else environ)}
    settings = dict(DEFAULTS)
    for key, var in ENVIRONMENT.items():
        if var in env and env[var] != "":
            settings[key] = _typed(key, var, env[var])
    settings["DEMO"] = str(settings["DEMO"]).lower() in ("1", "true", "yes")
    settings.update(overrides or {})
    if not settings["DATA_DIR"]:
        facts = Path(settings["FACTS_FILE"])
        # Beside the facts file, wherever the command runs from; none when there is no facts file here,
        # so that no command creates an instance/ in an unrelated directory (open_backend then says so).
        settings["DATA_DIR"] = str(facts.resolve().parent / "instance") if facts.is_file() else ""
    if not 1 <= int(settings["DELETION_RATE_LIMIT"]) <= 1000:
        raise ConfigError(
            f"GREENLIGHT_DELETION_RATE_LIMIT must be from 1 to 1000 posts a minute, "
            f"got {settings['DELETION_RATE_LIMIT']!r}"
        )
    return settings


def _typed(key: str, var: str, value: str):
    """Convert an environment string to the type of the setting's default, naming the variable on error."""
    kind = type(DEFAULTS[key])
    if kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            raise ConfigError(f"{var} must be a number, got {value!r}") from None
    return value


def require(settings: dict, facts) -> None:
    """Refuse to start without the secrets this setup needs, naming the missing variable."""
    if settings.get("TESTING") or settings.get("DEMO"):
        return
    needed = ["TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "SECRET_KEY"]
    if facts.encrypt_tokens:
        needed.append("ENCRYPTION_KEY")  # the policy promises encryption at rest
    if facts.platform("meta"):
        needed.append("META_APP_SECRET")
    missing = [ENVIRONMENT[k] for k in needed if not settings.get(k)]
    if missing:
        raise ConfigError(f"missing secret(s) in the environment or .env: {', '.join(missing)}")
    require_storage(settings, facts)  # the storage the policy prints must be the one configured


def require_storage(settings: dict, facts) -> None:
    """Refuse to start when the storage the facts declare (and the policy prints) is not the one configured.

    The public site is built without the service's environment, so the facts say `storage: database` and
    GREENLIGHT_DATABASE_URL chooses the backend (callback/data/backends.py): the two must agree.
    """
    configured = "database" if settings.get("DATABASE_URL") else "file"
    if facts.storage.kind != configured:
        where = (
            "GREENLIGHT_DATABASE_URL is set"
            if configured == "database"
            else "GREENLIGHT_DATABASE_URL is not set, so tokens would go to the data directory"
        )
        raise ConfigError(
            f"the facts say storage: {facts.storage.kind}, and the privacy policy says so, but {where}: "
            f"set extra.app.storage to {configured}, or change GREENLIGHT_DATABASE_URL"
        )
