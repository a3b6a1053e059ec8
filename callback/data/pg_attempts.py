"""One-time connect attempts in PostgreSQL, so the redirect may come back to any instance."""

from __future__ import annotations

import hashlib
import json
import threading
import time

from callback.data.attempts import AttemptError, SweptOncePerMinute
from callback.data.pg_db import Database, dumps, scalar


class PgAttempts(SweptOncePerMinute):
    """Begin and finish connect attempts in `connect_attempts`, with the file backend's rules.

    A row is named by a hash of its state. Finishing clears the row's record in one conditional UPDATE:
    of concurrent finishes (on any instances) exactly one gets it, and the emptied row is the tombstone
    that refuses a replay. Rows hold no personal data and are swept after twice the TTL.
    """

    def __init__(self, db: Database, ttl: float = 600, now=time.time, max_pending: int = 10_000):
        self.db = db
        self.ttl, self.now, self.max_pending = float(ttl), now, int(max_pending)
        self._mutex = threading.Lock()
        self._next_sweep = 0.0
        self._pending = 0  # as counted at the last sweep, plus the attempts this process began since

    def begin(self, verifier: str, **details) -> str:
        """Record a new attempt (its PKCE verifier and details such as purpose); return its state."""
        state = self._reserve()
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO connect_attempts (state_hash, record, touched) VALUES (%s, %s, %s)",
                (_hash(state), dumps({"verifier": verifier, "expires": self.now() + self.ttl, **details}), time.time()),
            )
        return state

    def status(self, state: str) -> str:
        """Return pending, used or unknown, without changing anything."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT record IS NOT NULL FROM connect_attempts WHERE state_hash = %s", (_hash(state),)
            ).fetchone()
        return "unknown" if row is None else "pending" if row[0] else "used"

    def finish(self, state: str) -> dict:
        """Consume an attempt and return its record, or raise AttemptError (expired, replayed, unknown)."""
        self._sweep_when_due()
        key = _hash(state)
        with self.db.connection() as conn:
            # A second finish waits on the row lock, then finds the record gone: only one wins.
            row = conn.execute(
                "WITH old AS (SELECT state_hash, record FROM connect_attempts WHERE state_hash = %s "
                "AND record IS NOT NULL FOR UPDATE) "
                "UPDATE connect_attempts c SET record = NULL, touched = %s FROM old "
                "WHERE c.state_hash = old.state_hash RETURNING old.record",
                (key, time.time()),
            ).fetchone()
            if row is None:
                used = conn.execute("SELECT 1 FROM connect_attempts WHERE state_hash = %s", (key,)).fetchone()
                raise AttemptError("replayed" if used else "unknown")
        record = json.loads(row[0])
        if record["expires"] <= self.now():
            raise AttemptError("expired")
        return record

    def sweep(self) -> int:
        """Delete attempts and tombstones older than twice the TTL, count those left; return how many went."""
        with self.db.connection() as conn:
            gone = conn.execute(
                "DELETE FROM connect_attempts WHERE touched < %s", (time.time() - 2 * self.ttl,)
            ).rowcount
            pending = scalar(conn, "SELECT count(*) FROM connect_attempts WHERE record IS NOT NULL")
        with self._mutex:
            self._pending = pending
        return gone


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
