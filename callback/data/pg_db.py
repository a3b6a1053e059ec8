"""A process's way into PostgreSQL: one connection pool per database, opened lazily, never shared across fork."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from callback.data.files import LockTimeout
from callback.facts.settings import ConfigError

# Connections per process: a gevent worker serves many requests, but each holds one only for a statement,
# and every connection is a server process competing with the service for a small machine's cores.
POOL_MAX = 4
UNBOUNDED_WAIT = 60.0  # seconds a caller without lock_timeout (the CLI) waits for a free pooled connection
_inherited: list[ConnectionPool] = []  # a forked parent's pools: never used or closed here (see Database.pool)


def dumps(value: Any) -> str:
    """Encode a stored document as the file backend would (UTF-8 kept, so a search finds names as written)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def scalar(conn: psycopg.Connection, query: str, params: tuple | None = None) -> Any:
    """Return the first column of the one row `query` always answers (a count, a value it has just written)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise psycopg.ProgrammingError(f"no row came back from {query!r}")
    return row[0]


class Database:
    """One PostgreSQL database as this process reaches it, with the store-level lock bound of its callers.

    `lock_timeout` (seconds; None waits) bounds every row-lock wait (`SET lock_timeout`) and the wait for a
    pooled connection, and both surface as LockTimeout, which the service answers with 503.
    """

    def __init__(self, url: str, lock_timeout: float | None = None):
        self.url, self.lock_timeout = url, lock_timeout
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._mutex = threading.Lock()
        self.schema_version: int | None = None  # set once require_current found the schema current

    def conninfo(self, lock_timeout: float | None) -> str:
        """The connection string with `lock_timeout` added to whatever options the operator's URL carries."""
        options = conninfo_to_dict(self.url).get("options") or ""
        ms = 0 if lock_timeout is None else max(1, int(lock_timeout * 1000))  # 0: wait as long as it takes
        # synchronous_commit on whatever the server's default: a 200 to a webhook promises its row is on disk.
        return make_conninfo(
            self.url,
            options=f"{options} -c lock_timeout={ms} -c synchronous_commit=on".strip(),
            application_name="greenlight",
        )

    def pool(self) -> ConnectionPool:
        """Return this process's pool, opening it on first use (and again in a forked child)."""
        with self._mutex:
            if self._pool is None or self._pid != os.getpid():
                if self._pool is not None:
                    # Forked (gunicorn's preload): the parent's connections are the parent's. Closing them
                    # here, or letting them be collected, would end its sessions; keep them untouched.
                    _inherited.append(self._pool)
                self._pool = ConnectionPool(
                    self.conninfo(self.lock_timeout),
                    min_size=0,
                    max_size=POOL_MAX,
                    kwargs={"autocommit": True},
                    open=True,
                    name="greenlight",
                )
                self._pid = os.getpid()
                atexit.register(self._close_pool, self._pool, self._pid)
            return self._pool

    @staticmethod
    def _close_pool(pool: ConnectionPool, pid: int) -> None:
        if os.getpid() == pid:
            pool.close(timeout=1)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Lend a pooled autocommit connection: each statement is its own committed transaction."""
        wait = UNBOUNDED_WAIT if self.lock_timeout is None else self.lock_timeout
        with translated(), self.pool().connection(timeout=wait) as conn:
            yield conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Lend a pooled connection inside one transaction, committed (durably) when the block ends."""
        with self.connection() as conn, translated(), conn.transaction():
            yield conn

    @contextlib.contextmanager
    def dedicated(self, lock_timeout: float | None = None) -> Iterator[psycopg.Connection]:
        """Open a connection of its own, outside the pool, for a lock held across a slow call (a refresh)."""
        with translated(), psycopg.connect(self.conninfo(lock_timeout), autocommit=True) as conn:
            yield conn

    def meta(self, name: str, make=lambda: secrets.token_hex(32)) -> str:
        """Return a per-install value (a salt, a hash key), creating it once for every instance."""
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO greenlight_meta (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                (name, make()),
            )
            return scalar(conn, "SELECT value FROM greenlight_meta WHERE name = %s", (name,))


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn waits past the bound into LockTimeout, and an unreachable database into a message for the operator."""
    try:
        yield
    except (errors.LockNotAvailable, PoolTimeout) as exc:
        raise LockTimeout(f"database: {type(exc).__name__}") from None


_databases: dict[tuple[str, float | None], Database] = {}
_registry = threading.Lock()


def database(url: str, lock_timeout: float | None = None) -> Database:
    """Return the process's Database for this URL and lock bound, so repeated opens share one pool."""
    with _registry:
        return _databases.setdefault((url, lock_timeout), Database(url, lock_timeout))


def check_reachable(db: Database) -> psycopg.Connection:
    """Open a one-off connection, or raise ConfigError saying the database cannot be reached (never the URL)."""
    try:
        return psycopg.connect(db.conninfo(db.lock_timeout), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot connect to the database in GREENLIGHT_DATABASE_URL: {reason}") from None
