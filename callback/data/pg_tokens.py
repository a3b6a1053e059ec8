"""The PostgreSQL token backend: the TokenBackend interface over one `tokens` table shared by every instance."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

import psycopg

from callback.data.pg_db import Database, dumps
from callback.data.sealing import Sealer
from callback.data.store import ReconnectNeeded, apply_tokens

REFRESH_LOCKS = 0x47_4C_52_46  # advisory lock class of refreshes; the account's hash is the other half


class PgTokenStore:
    """Accounts in the `tokens` table, keyed by open_id, tokens sealed before they reach the database.

    Every call is one short transaction on a pooled connection, its row-lock waits bounded by the
    database's lock_timeout (LockTimeout, like the file store's lock). A refresh takes an advisory lock
    of its account on a connection of its own, across the platform call (see refresh).
    """

    def __init__(self, db: Database, encryption_key: str | bytes | None = None):
        self.db = db
        self._sealer = Sealer(encryption_key, "the database")

    @property
    def lock_timeout(self) -> float | None:
        return self.db.lock_timeout

    def get(self, open_id: str) -> dict | None:
        """Return one account with its tokens decrypted, or None."""
        with self.db.connection() as conn:
            return self._get(conn, open_id)

    def list(self) -> list[dict]:
        """Return every account, tokens decrypted, ordered by display name (then open_id)."""
        with self.db.connection() as conn:
            rows = conn.execute("SELECT account FROM tokens").fetchall()
        # Sorted here, not by the database's collation, so the order is the file store's to the byte.
        accounts = [self._sealer.open(json.loads(account)) for (account,) in rows]
        return sorted(accounts, key=lambda a: (a.get("display_name") or "", a["open_id"]))

    def put(self, account: dict) -> None:
        """Insert or replace an account (keyed by its open_id)."""
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO tokens (open_id, account, updated_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (open_id) DO UPDATE SET account = EXCLUDED.account, "
                "updated_at = EXCLUDED.updated_at",
                (account["open_id"], dumps(self._sealer.seal(account)), time.time()),
            )

    def add_if_absent(self, account: dict) -> bool:
        """Insert an account unless one with its open_id is stored (never overwrite newer tokens); return
        whether added."""
        with self.db.connection() as conn:
            return (
                conn.execute(
                    "INSERT INTO tokens (open_id, account, updated_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (open_id) DO NOTHING RETURNING 1",
                    (account["open_id"], dumps(self._sealer.seal(account)), time.time()),
                ).fetchone()
                is not None
            )

    def update(self, open_id: str, **fields) -> dict | None:
        """Set some fields of an account atomically; return it, or None if it does not exist."""
        try:
            with self.db.transaction() as conn:
                return self._change(conn, open_id, lambda a: a.update(fields))
        except KeyError:
            return None

    def delete(self, open_id: str) -> bool:
        """Remove an account so that no row names it; return whether it existed."""
        with self.db.connection() as conn:
            return conn.execute("DELETE FROM tokens WHERE open_id = %s RETURNING 1", (open_id,)).fetchone() is not None

    def refresh(
        self, open_id: str, refresher: Callable[[dict], dict], margin: float = 300, now: Callable[[], float] = time.time
    ) -> dict:
        """Return the account with an access token valid for `margin` seconds, refreshing it exactly once.

        Refresh tokens rotate, so two refreshes of one account (from any instance or CLI process) would
        burn it: an advisory lock of that account is held across the platform call on a connection of
        its own, outside the pool, and no transaction stays open meanwhile, so other accounts, other
        requests and the pool are never held up. The new refresh token is committed before the new access
        token is handed out; an account erased meanwhile stays erased (KeyError).
        """
        acc = self._usable(_stored(self.get(open_id), open_id), open_id, margin, now)
        if acc is not None:
            return acc  # fresh: no lock needed to hand out a committed token
        with self.db.dedicated(lock_timeout=None) as conn:  # waits for another refresh as long as it takes
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (REFRESH_LOCKS, _lock_key(open_id)))
            if self.lock_timeout is not None:  # from here on, store-level waits are bounded again
                conn.execute(f"SET lock_timeout = {max(1, int(self.lock_timeout * 1000))}")
            acc = _stored(self._get(conn, open_id), open_id)  # another process may have refreshed it meanwhile
            fresh = self._usable(acc, open_id, margin, now)
            if fresh is not None:
                return fresh
            try:
                if acc.get("refresh_expires_at", 0) <= now():
                    raise ReconnectNeeded(open_id, "the refresh token has expired")
                response = refresher(acc)
            except ReconnectNeeded as exc:
                reason = exc.reason
                with conn.transaction():
                    self._change(conn, open_id, lambda a: a.update(needs_reconnect=reason))
                raise
            with conn.transaction():  # committed before the lock goes with the connection
                return self._change(conn, open_id, lambda a: apply_tokens(a, response, now()))

    @staticmethod
    def _usable(acc: dict, open_id: str, margin: float, now: Callable[[], float]) -> dict | None:
        """Return the account if its access token is still good for `margin`; raise if it cannot be refreshed."""
        if acc.get("needs_reconnect"):
            raise ReconnectNeeded(open_id, acc["needs_reconnect"])
        return acc if acc.get("expires_at", 0) - margin > now() else None

    def _get(self, conn: psycopg.Connection, open_id: str) -> dict | None:
        row = conn.execute("SELECT account FROM tokens WHERE open_id = %s", (open_id,)).fetchone()
        return self._sealer.open(json.loads(row[0])) if row else None

    def _change(self, conn: psycopg.Connection, open_id: str, change: Callable[[dict], object]) -> dict:
        """Apply `change` to the stored account under its row lock (call inside a transaction)."""
        row = conn.execute("SELECT account FROM tokens WHERE open_id = %s FOR UPDATE", (open_id,)).fetchone()
        if row is None:
            raise KeyError(open_id)
        acc = self._sealer.open(json.loads(row[0]))
        change(acc)
        conn.execute(
            "UPDATE tokens SET account = %s, updated_at = %s WHERE open_id = %s",
            (dumps(self._sealer.seal(acc)), time.time(), open_id),
        )
        return acc


def _stored(acc: dict | None, open_id: str) -> dict:
    """The account read, or KeyError when it is not (or no longer) stored."""
    if acc is None:
        raise KeyError(open_id)
    return acc


def _lock_key(open_id: str) -> int:
    """A 32-bit key for an account's refresh lock (a collision only makes two accounts' refreshes take turns)."""
    return int.from_bytes(hashlib.sha256(open_id.encode()).digest()[:4], "big", signed=True)
