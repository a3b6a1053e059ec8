"""Choosing the storage: the file backend (the default, one data directory) or PostgreSQL (several instances).

Every caller (the service, the CLI, fresh_token) opens its stores here, so none knows which backend it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callback.data.store import TokenBackend
from callback.facts.settings import ConfigError

FILE, POSTGRESQL = "file", "postgresql"


@dataclass
class Backend:
    """The stores of one backend, each built on first use (a `greenlight token` needs only the token store).

    `kind` is "file" or "postgresql". `rate_limit(name, limit, window)` returns a limiter shared by every
    instance, or is None when the service's in-memory limit (shared by one machine's workers) applies.
    """

    kind: str
    build: Callable[[str], Any] = field(repr=False)
    rate_limit: Callable[[str, int, float], Any] | None = field(default=None, repr=False)
    _parts: dict = field(default_factory=dict, repr=False)

    def _part(self, name: str) -> Any:
        if name not in self._parts:
            self._parts[name] = self.build(name)
        return self._parts[name]

    @property
    def store(self) -> TokenBackend:
        """The token store."""
        return self._part("store")

    @property
    def records(self):
        """Webhook receipts, deletion requests and the per-install salt (Records or PgRecords)."""
        return self._part("records")

    @property
    def attempts(self):
        """Connect attempts (Attempts or PgAttempts)."""
        return self._part("attempts")


def open_backend(settings: dict, *, lock_timeout: float | None = None) -> Backend:
    """Open the backend the settings choose: PostgreSQL when DATABASE_URL is set, else the data directory.

    `lock_timeout` bounds the store-level waits (the service passes LOCK_TIMEOUT; the CLI waits). A
    database whose schema is not the current one is refused with ConfigError naming `greenlight db upgrade`.
    """
    if settings.get("DATABASE_URL"):
        return _postgresql(settings, lock_timeout)
    return _files(settings, lock_timeout)


def _files(settings: dict, lock_timeout: float | None) -> Backend:
    data_dir, key = settings["DATA_DIR"], settings.get("ENCRYPTION_KEY") or None
    if not data_dir:
        raise ConfigError(
            f"no data directory: pass --data-dir or set GREENLIGHT_DATA_DIR, or run where the "
            f"facts file is (looked for {Path(settings['FACTS_FILE']).resolve()}, not found)"
        )

    def build(name: str) -> Any:
        if name == "store":
            from callback.data.tokens import TokenStore

            return TokenStore(data_dir, key, lock_timeout=lock_timeout)
        if name == "records":
            from callback.data.records import Records

            return Records(data_dir)
        from callback.data.attempts import Attempts

        return Attempts(
            data_dir, settings.get("STATE_TTL", 600), max_pending=int(settings.get("CONNECT_MAX_PENDING", 10_000))
        )

    return Backend(FILE, build)


def _postgresql(settings: dict, lock_timeout: float | None) -> Backend:
    # Imported here: the file backend (and a cron job's `greenlight token`) never pays for psycopg.
    from callback.data.pg_db import database
    from callback.data.pg_schema import require_current

    db = database(settings["DATABASE_URL"], lock_timeout)
    if db.schema_version is None:  # once per process: a uploader calling fresh_token() often pays it once
        require_current(db)
    key = settings.get("ENCRYPTION_KEY") or None

    def build(name: str) -> Any:
        if name == "store":
            from callback.data.pg_tokens import PgTokenStore

            return PgTokenStore(db, key)
        if name == "records":
            from callback.data.pg_records import PgRecords
            from callback.data.queue import PostQueue

            records = PgRecords(db)
            # Queued videos stay files in the data directory: erasure and purge find them through the records.
            records.queue = PostQueue(settings["DATA_DIR"]) if settings.get("DATA_DIR") else None
            return records
        from callback.data.pg_attempts import PgAttempts

        return PgAttempts(
            db, settings.get("STATE_TTL", 600), max_pending=int(settings.get("CONNECT_MAX_PENDING", 10_000))
        )

    def rate_limit(name: str, limit: int, window: float = 60.0):
        from callback.data.pg_limits import PgRateLimit

        return PgRateLimit(db, name, limit, window, secret=str(settings.get("SECRET_KEY") or ""))

    return Backend(POSTGRESQL, build, rate_limit)
