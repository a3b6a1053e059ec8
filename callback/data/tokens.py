"""The file token backend: `tokens.json` in a private data directory, many accounts keyed by open_id."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from callback.data.files import FileLock, append_at, fsync, fsync_dir, private_dir, sweep_temporary, write_atomic
from callback.data.sealing import Sealer
from callback.data.store import ReconnectNeeded, StoreError, apply_tokens

REFRESH_STRIPES = 256  # refresh locks: accounts sharing one (1 in 256) wait for each other's refresh


class TokenStore:
    """Accounts in `tokens.json`, plus a short fsync'd journal of changes since the file's last rewrite.

    Rewriting a 10,000-account file costs tens of milliseconds, so each change is appended to
    `tokens.journal` (durable once fsync'd) and folded into `tokens.json` every `compact_every`
    changes, by an atomic rewrite (temp file, fsync, rename, fsync dir). Both files are 0600.
    """

    def __init__(
        self,
        data_dir: str | Path,
        encryption_key: str | bytes | None = None,
        compact_every: int = 64,
        lock_timeout: float | None = None,
    ):
        self.dir = private_dir(data_dir)
        self.path = self.dir / "tokens.json"
        self.journal = self.dir / "tokens.journal"
        self._lock = FileLock(self.path)
        self.lock_timeout = lock_timeout  # the service bounds its waits (LockTimeout); the CLI may wait
        self.compact_every = compact_every
        self._sealer = Sealer(encryption_key)
        self._snapshot_sig: tuple | None = None
        self._accounts: dict[str, dict] = {}
        self._offset = 0
        self._entries = 0

    # -- the TokenBackend interface (callback.data.store) --

    def get(self, open_id: str) -> dict | None:
        """Return one account with its tokens decrypted, or None."""
        with self._lock.held(self.lock_timeout):
            acc = self._load().get(open_id)
            return self._sealer.open(acc) if acc else None

    def list(self) -> list[dict]:
        """Return every account, tokens decrypted, ordered by display name."""
        with self._lock.held(self.lock_timeout):
            accounts = [self._sealer.open(a) for a in self._load().values()]
        return sorted(accounts, key=lambda a: (a.get("display_name") or "", a["open_id"]))

    def put(self, account: dict) -> None:
        """Insert or replace an account (keyed by its open_id)."""
        with self._lock.held(self.lock_timeout):
            self._load()
            self._write({"put": self._sealer.seal(account)})

    def delete(self, open_id: str) -> bool:
        """Remove an account and every journal line naming it; return whether it existed."""
        with self._lock.held(self.lock_timeout):
            if open_id not in self._load():
                self._sweep()  # nothing stored, but a killed writer's copy may still hold the account
                return False
            self._apply({"delete": open_id})
            self._compact()  # a deletion must not leave the account's old tokens in the journal
            return True

    def compact(self) -> None:
        """Fold the journal into tokens.json now (erasure uses it so no old line names a user)."""
        with self._lock.held(self.lock_timeout):
            self._load()
            self._compact()

    def refresh(
        self, open_id: str, refresher: Callable[[dict], dict], margin: float = 300, now: Callable[[], float] = time.time
    ) -> dict:
        """Return the account with an access token valid for `margin` seconds, refreshing it exactly once.

        Refresh tokens rotate, so two processes refreshing one account at once would burn it: a lock of
        that account's own is held across the HTTP call. The store's lock is not, so a hung platform
        stalls no other account and no request. The new refresh token is persisted before the new
        access token is handed out; an account erased meanwhile stays erased (KeyError).
        """
        with FileLock(self._stripe(open_id)).held():
            acc = self.get(open_id)
            if acc is None:
                raise KeyError(open_id)
            if acc.get("needs_reconnect"):
                raise ReconnectNeeded(open_id, acc["needs_reconnect"])
            if acc.get("expires_at", 0) - margin > now():
                return acc
            try:
                if acc.get("refresh_expires_at", 0) <= now():
                    raise ReconnectNeeded(open_id, "the refresh token has expired")
                response = refresher(acc)
            except ReconnectNeeded as exc:
                reason = exc.reason
                self._change(open_id, lambda a: a.update(needs_reconnect=reason))
                raise
            return self._change(open_id, lambda a: apply_tokens(a, response, now()))

    def _change(self, open_id: str, change: Callable[[dict], object]) -> dict:
        """Apply `change` to the stored account under the store's lock (other fields may have moved on)."""
        with self._lock.held(self.lock_timeout):
            stored = self._load().get(open_id)
            if stored is None:
                raise KeyError(open_id)
            acc = self._sealer.open(stored)
            change(acc)
            self._write({"put": self._sealer.seal(acc)})
            return acc

    def _stripe(self, open_id: str) -> Path:
        """The refresh lock of an account: one of a fixed set, so no file name points at an account."""
        stripe = int.from_bytes(hashlib.sha256(open_id.encode()).digest()[:4], "big") % REFRESH_STRIPES
        return private_dir(self.dir / "locks") / f"refresh-{stripe}"

    def update(self, open_id: str, **fields) -> dict | None:
        """Set some fields of an account atomically; return it, or None if it does not exist."""
        try:
            return self._change(open_id, lambda a: a.update(fields))
        except KeyError:
            return None

    # -- internals: call with the lock held --

    def _load(self) -> dict[str, dict]:
        """Bring the in-memory copy up to date with the files, reading only what changed."""
        try:
            st = os.stat(self.path)
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            sig = None
        if sig != self._snapshot_sig:
            self._accounts = self._read_snapshot() if sig else {}
            self._snapshot_sig, self._offset, self._entries = sig, 0, 0
        try:
            size = os.path.getsize(self.journal)
        except FileNotFoundError:
            size = 0
        if size < self._offset:  # another process compacted: start over from the new snapshot
            self._snapshot_sig = None
            return self._load()
        if size > self._offset:
            with open(self.journal, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
            end = chunk.rfind(b"\n") + 1  # a torn last line (crash mid-append) is not applied
            for line in chunk[:end].splitlines():
                self._apply(json.loads(line))
            self._offset += end
        return self._accounts

    def _read_snapshot(self) -> dict[str, dict]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{self.path} is not valid JSON ({exc}); restore it from a backup") from None
        if not isinstance(doc, dict) or doc.get("version") != 1:
            raise StoreError(f"{self.path} is not a version 1 token file")
        return doc.get("accounts", {})

    def _apply(self, entry: dict) -> None:
        self._entries += 1
        if "put" in entry:
            self._accounts[entry["put"]["open_id"]] = entry["put"]
        else:
            self._accounts.pop(entry["delete"], None)

    def _write(self, entry: dict) -> None:
        """Make one change durable: append it to the journal, or fold everything into tokens.json."""
        self._apply(entry)
        if self._entries >= self.compact_every or not self.path.exists():
            self._compact()
            return
        new = not self.journal.exists()
        fd = os.open(self.journal, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            end = append_at(fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode(), self._offset)
            fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync_dir(self.dir)
        self._offset = end

    def _compact(self) -> None:
        body = ",\n".join(
            f"    {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(self._accounts.items())
        )
        write_atomic(self.path, '{\n  "version": 1,\n  "accounts": {\n' + body + ("\n" if body else "") + "  }\n}\n")
        # The snapshot now holds every change: an empty journal replaces the old one.
        write_atomic(self.journal, "")
        self._sweep()
        st = os.stat(self.path)
        self._snapshot_sig, self._offset, self._entries = (st.st_ino, st.st_mtime_ns, st.st_size), 0, 0

    def _sweep(self) -> None:
        """Delete the temporary copies a killed writer left: they may hold deleted tokens."""
        for name in (self.path.name, self.journal.name):
            sweep_temporary(self.dir, name)
