"""A rate limit counted in PostgreSQL, so every instance behind a proxy shares one count per client."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from callback.data.pg_db import Database, scalar

HASH_KEY = "ratelimit_key"  # greenlight_meta name


class PgRateLimit:
    """At most `limit` hits per `window` seconds per key (a client address), counted across instances.

    Rows are named by a keyed hash of the address, never the address: the key mixes a random value
    kept in the database (shared by every instance) with the service's secret key, so a dump alone
    cannot be checked against candidate addresses. Rows idle for a whole window are deleted.
    """

    def __init__(self, db: Database, name: str, limit: int, window: float = 60.0, secret: str = ""):
        self.db, self.name, self.limit, self.window = db, name, int(limit), float(window)
        self._secret = secret.encode()
        self._hash_key: bytes | None = None
        self._next_prune = 0.0
        self._mutex = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one hit for `key`; return False once it is over the limit."""
        now = time.time() if now is None else now  # wall time: every instance must agree on it
        self._prune_when_due(now)
        digest = hashlib.blake2b(key.encode(), key=self._key(), digest_size=16).hexdigest()
        with self.db.transaction() as conn:
            # The upsert takes the row's lock: the same client's hits on other instances wait here.
            hits = scalar(
                conn,
                "INSERT INTO rate_hits AS r (name, key_hash, hits, last_at) "
                "VALUES (%s, %s, '{}', %s) ON CONFLICT (name, key_hash) "
                "DO UPDATE SET hits = r.hits RETURNING hits",
                (self.name, digest, now),
            )
            live = sorted(t for t in hits if t > now - self.window)
            if len(live) >= self.limit:
                return False  # a denied try adds no hit, as in the in-memory limit
            conn.execute(
                "UPDATE rate_hits SET hits = %s, last_at = %s WHERE name = %s AND key_hash = %s",
                ([*live, now], now, self.name, digest),
            )
            return True

    def prune(self, now: float | None = None) -> int:
        """Delete the rows of clients with no hit inside the window; return how many went."""
        now = time.time() if now is None else now
        with self.db.connection() as conn:
            return conn.execute(
                "DELETE FROM rate_hits WHERE name = %s AND last_at <= %s", (self.name, now - self.window)
            ).rowcount

    def _prune_when_due(self, now: float) -> None:
        with self._mutex:
            due = now >= self._next_prune
            if due:
                self._next_prune = now + self.window  # once a window per process is enough
        if due:
            self.prune(now)

    def _key(self) -> bytes:
        if self._hash_key is None:
            shared = bytes.fromhex(self.db.meta(HASH_KEY))
            self._hash_key = hmac.new(shared, self._secret, hashlib.sha256).digest()
        return self._hash_key
