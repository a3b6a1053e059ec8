"""Every record beside the token store: webhook receipts (with publish status) and deletion requests.

Layout in the data directory (all files 0600):
- `webhooks.jsonl`: one fsync'd JSON line per accepted webhook, written before the service answers
  200. Publish status per publish_id is folded from these lines, so recording an event and updating
  its post are one atomic append. Rewritten atomically, under the lock, only to erase or purge.
- `deletions.json`: deletion requests by confirmation code. A completed one keeps no identifier,
  only a salted hash of the account: the receipt that the deletion happened.
- `receipt.salt`: the per-install HMAC key of those hashes, so receipts match nothing outside this install.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from callback.data.deletions import DeletionLog
from callback.data.files import locked, private_dir, write_atomic
from callback.data.receipts import EventLog


class Records:
    """Every record Greenlight keeps beside the tokens, in one data directory."""

    def __init__(self, data_dir: str | Path):
        self.dir = private_dir(data_dir)
        self.events = EventLog(self.dir)
        self.deletions = DeletionLog(self.dir)
        self._salt: bytes | None = None

    def subject(self, identifier: str) -> str:
        """Return the salted hash that stands for an account in receipts (HMAC-SHA256, per-install salt)."""
        return hmac.new(self.salt(), identifier.encode(), hashlib.sha256).hexdigest()

    def salt(self) -> bytes:
        """Return the per-install salt, creating it (0600) on first use."""
        if self._salt is None:
            path = self.dir / "receipt.salt"
            with locked(path):
                if not path.exists():
                    write_atomic(path, secrets.token_hex(32) + "\n")
                self._salt = bytes.fromhex(path.read_text().strip())
        return self._salt


def mentions(record, identifier: str) -> bool:
    """Tell whether any string in a record (keys and values, however nested) is exactly `identifier`."""
    if isinstance(record, str):
        return bool(identifier) and record == identifier
    if isinstance(record, dict):
        return any(mentions(k, identifier) or mentions(v, identifier) for k, v in record.items())
    if isinstance(record, list):
        return any(mentions(v, identifier) for v in record)
    return False
