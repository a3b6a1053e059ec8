"""Rate limits shared by every gunicorn worker, counted in memory only (on PostgreSQL: by every instance)."""

from __future__ import annotations

import hashlib
import logging
import mmap
import secrets
import struct
import time
from pathlib import Path

from flask import Flask, abort, current_app, request

from callback.data.files import FileLock

log = logging.getLogger("greenlight.limits")
NEVER = float("-inf")


class RateLimit:
    """At most `limit` hits per `window` seconds per key (a client address), counted across processes.

    The hits live in memory that the workers gunicorn forks after building the app (preload_app) share:
    never on disk, and each key only as a keyed hash that means nothing outside this run. A key's slot
    is reused once its hits are older than the window.
    """

    PROBES = 16  # slots tried per key; when all hold live hits, one is reused (see _find)

    def __init__(self, limit: int, lock_path: str | Path, window: float = 60.0):
        self.limit, self.window = limit, window
        self._slot = struct.Struct(f"<Q{limit}d")  # key hash, then the times of its last `limit` hits
        self._slots = max(64, min(1024, (4 << 20) // self._slot.size))
        self._memory = mmap.mmap(-1, self._slot.size * self._slots)  # MAP_SHARED: forked workers see one table
        self._hash_key = secrets.token_bytes(16)
        self._lock = FileLock(lock_path)  # excludes the other threads and the other workers

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one hit for `key`; return False once it is over the limit."""
        now = time.time() if now is None else now  # wall time: every worker must agree on it
        digest = hashlib.blake2b(key.encode(), key=self._hash_key, digest_size=8).digest()
        wanted = int.from_bytes(digest, "little") or 1  # 0 marks an empty slot
        with self._lock.held():
            index, hits = self._find(wanted, now)
            if sum(t > now - self.window for t in hits) >= self.limit:
                return False
            hits = [*sorted(hits)[1:], now]  # the oldest hit makes way
            self._slot.pack_into(self._memory, index * self._slot.size, wanted, *hits)
            return True

    def _find(self, wanted: int, now: float) -> tuple[int, list[float]]:
        """Return the slot index for a key hash and its hits (none when the slot is new to it)."""
        start = wanted % self._slots
        reuse, least = start, None  # the first probe sets both unless it finds the key
        for i in range(self.PROBES):
            index = (start + i) % self._slots
            found, *hits = self._slot.unpack_from(self._memory, index * self._slot.size)
            if found == wanted:
                return index, hits
            live = [t for t in hits if t > now - self.window] if found else []
            # Reuse what forgets least: an empty or expired slot, else the fewest live hits, oldest first.
            # A client held at its limit (whose denied tries add no hits) is the last to be forgotten.
            cost = (len(live), max(live, default=NEVER))
            if least is None or cost < least:
                reuse, least = index, cost
        return reuse, [NEVER] * self.limit


def add_rate_limit(app: Flask, name: str, limit: int, window: float = 60.0) -> None:
    """Set up a limit while the app is built, so that gunicorn's workers, forked after, share its counts."""
    limits = app.extensions.setdefault("greenlight", {}).setdefault("limits", {})
    shared = getattr(app.extensions["greenlight"].get("backend"), "rate_limit", None)
    if shared is not None:  # a database: one count for every instance (callback.data.backends)
        limits[name] = shared(name, limit, window)
        return
    lock = Path(app.config["DATA_DIR"]) / f"ratelimit-{name}"  # holds nothing: only its lock file is used
    Path(f"{lock}.lock").touch(mode=0o600)  # now, so that serving a request adds no file to the data directory
    limits[name] = RateLimit(limit, lock, window)


def rate_limit(name: str) -> None:
    """Abort with 429 when this client has used up the requests of kind `name` (see add_rate_limit)."""
    limiter = current_app.extensions["greenlight"]["limits"][name]
    if not limiter.allow(request.remote_addr or "unknown"):
        log.warning("rate limit hit for %s", name)
        abort(429, description=f"Please wait a minute, then try again (at most {limiter.limit} a minute).")
