"""Every record beside the tokens, in PostgreSQL: webhook receipts, deletion requests and the per-install salt."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from callback.data.pg_db import Database
from callback.data.pg_deletions import PgDeletionLog
from callback.data.pg_events import PgEventLog

if TYPE_CHECKING:
    from callback.data.queue import PostQueue

SALT = "receipt_salt"  # greenlight_meta name; the file backend's receipt.salt


class PgRecords:
    """The Records interface over one database: every instance sees the same receipts, requests and salt.

    Erasure (callback.data.erasure.erase_user) runs here as the file backend's sequence of steps, each
    its own transaction and each idempotent: tokens deleted, requests stripped, one hashed receipt keyed
    by the event (a retry finds it), and last the receipts rewritten. A removal's receipt names its
    account until that last step, so a crash in between leaves it pending and removals.resume (on any
    instance) runs the whole erasure again; the interfaces give erase_user no one transaction to share.
    """

    def __init__(self, db: Database):
        self.db = db
        self.events = PgEventLog(db)
        self.deletions = PgDeletionLog(db)
        self._salt: bytes | None = None
        self.queue: PostQueue | None = None  # queued videos stay files: erasure and purge find them here

    def subject(self, identifier: str) -> str:
        """Return the salted hash that stands for an account in receipts (HMAC-SHA256, per-install salt)."""
        return hmac.new(self.salt(), identifier.encode(), hashlib.sha256).hexdigest()

    def salt(self) -> bytes:
        """Return the per-install salt, created once in the database so every instance hashes alike."""
        if self._salt is None:
            self._salt = bytes.fromhex(self.db.meta(SALT))
        return self._salt
