"""One-time connect attempts: the OAuth `state` and PKCE verifier, kept server-side until the redirect returns.

Each attempt is a small 0600 file named by a hash of its state, in `<data dir>/connect/`, so every gunicorn
worker sees it. Finishing an attempt renames the file: exactly one request can win, and a replayed state
finds the tombstone and is refused. Files hold no personal data and are swept after twice the TTL.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
import time
from pathlib import Path

from callback.data.files import private_dir, read_json, write_json

USED = ".used"
SWEEP_EVERY = 60.0  # seconds between directory scans, per process


class AttemptError(ValueError):
    """A state that cannot finish a connect attempt; `reason` is expired, replayed or unknown."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"connect attempt {reason}")


class AttemptsFull(RuntimeError):
    """Raised when as many connect attempts wait for their redirect as the service keeps at once."""


class SweptOncePerMinute:
    """Run `sweep()` at most once a minute per process, and cap the attempts waiting (needs `_mutex`)."""

    _mutex: threading.Lock
    _next_sweep: float
    _pending: int
    max_pending: int

    def _reserve(self) -> str:
        """Count a new attempt against the cap (AttemptsFull past it) and return its fresh state."""
        self._sweep_when_due()
        with self._mutex:
            if self._pending >= self.max_pending:
                raise AttemptsFull(f"{self._pending} connect attempts are waiting")
            self._pending += 1
        return secrets.token_urlsafe(32)

    def sweep(self) -> int:
        """Delete expired attempts; return how many went."""
        raise NotImplementedError

    def _sweep_when_due(self) -> None:
        with self._mutex:
            due, now = False, time.monotonic()
            if now >= self._next_sweep:
                due, self._next_sweep = True, now + SWEEP_EVERY
        if due:
            self.sweep()


class Attempts(SweptOncePerMinute):
    """Begin and finish connect attempts stored under a data directory, with constant work per request.

    Expired attempts are swept at most once a minute per process (one directory scan), which also
    counts what is pending; past `max_pending` a new attempt is refused instead of filling the disk.
    """

    def __init__(self, data_dir: str | Path, ttl: float = 600, now=time.time, max_pending: int = 10_000):
        self.dir = private_dir(Path(data_dir) / "connect")
        self.ttl, self.now, self.max_pending = float(ttl), now, int(max_pending)
        self._mutex = threading.Lock()
        self._next_sweep = 0.0
        self._pending = 0  # as counted at the last sweep, plus the attempts this process began since

    def _path(self, state: str) -> Path:
        return self.dir / hashlib.sha256(state.encode()).hexdigest()

    def begin(self, verifier: str, **details) -> str:
        """Record a new attempt (its PKCE verifier and details such as purpose); return its state."""
        state = self._reserve()
        write_json(self._path(state), {"verifier": verifier, "expires": self.now() + self.ttl, **details})
        return state

    def status(self, state: str) -> str:
        """Return pending, used or unknown, without changing anything."""
        path = self._path(state)
        if path.exists():
            return "pending"
        return "used" if path.with_suffix(USED).exists() else "unknown"

    def finish(self, state: str) -> dict:
        """Consume an attempt and return its record, or raise AttemptError (expired, replayed, unknown)."""
        self._sweep_when_due()
        path = self._path(state)
        record = read_json(path, None)
        try:
            os.rename(path, path.with_suffix(USED))  # atomic: of two concurrent returns only one wins
        except FileNotFoundError:
            raise AttemptError("replayed" if path.with_suffix(USED).exists() else "unknown") from None
        # The tombstone only needs to exist; drop the verifier from disk now it has done its job.
        write_json(path.with_suffix(USED), {"used": self.now()})
        if record is None:
            raise AttemptError("unknown")
        if record["expires"] <= self.now():
            raise AttemptError("expired")
        return record

    def sweep(self) -> int:
        """Delete attempts and tombstones older than twice the TTL, count those left; return how many went."""
        cutoff, gone, pending = time.time() - 2 * self.ttl, 0, 0
        for entry in os.scandir(self.dir):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    gone += 1
                elif not entry.name.endswith(USED) and not entry.name.startswith("."):
                    pending += 1
        with self._mutex:
            self._pending = pending
        return gone
