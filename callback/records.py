"""Durable records beside the token store: webhook receipts (with publish status) and deletion requests.

Layout in the data directory (all files 0600):
- `webhooks.jsonl`: one fsync'd JSON line per accepted webhook, written before the service answers
  200. Publish status per publish_id is folded from these lines, so recording an event and updating
  its post are one atomic append. Rewritten atomically, under the lock, only to erase or purge.
- `deletions.json`: deletion requests by confirmation code. A completed one keeps no identifier,
  only a salted hash of the account: the receipt that the deletion happened.
- `receipt.salt`: the per-install HMAC key of those hashes, so receipts match nothing outside this install.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

import click
from flask import Flask, current_app

from callback.files import fsync_dir, locked, private_dir, read_json, write_atomic, write_json

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and retyped
IDENTIFIERS = ("open_id", "username", "email", "meta_user_id")


class EventLog:
    """Webhook receipts in `webhooks.jsonl`, deduplicated by event id across processes.

    A writer appends its line under the log's lock and fsyncs the file after releasing it, so no
    writer's disk wait holds up another's append; the filesystem folds fsyncs that overlap into one
    journal commit. No writer returns before its own line is on disk.
    """

    def __init__(self, data_dir: str | Path):
        self.path = private_dir(data_dir) / "webhooks.jsonl"
        # flock excludes other open files, not other threads: the lock pairs a mutex with a file.
        self._mutex = threading.Lock()
        self._lock_fd = -1
        self._pid = 0
        self._seen: dict[str, bool] = {}  # event id -> processed
        self._fd: int | None = None  # read/write handle on the file _seen describes
        self._offset = 0  # end of the last complete line read or written
        self._size = 0  # file size at the last _sync (more than _offset: a torn line to cut)

    def add(self, receipt: dict) -> str:
        """Record a receipt durably unless its id is known; return "new", "pending" (not done) or "done"."""
        line = _encode(receipt)  # before taking the lock, which every worker's writers share
        # A duplicate waits for the disk too: the first delivery's line may still be on its way there.
        with self._durably():
            state = self._sync().get(receipt["id"])
            if state is None:
                self._append(line)
                self._seen[receipt["id"]] = bool(receipt.get("done"))
        return "new" if state is None else "done" if state else "pending"

    def mark_done(self, event_id: str) -> None:
        """Note durably that an event's side effects are complete, so a redelivery is not processed again."""
        line = _encode({"done": event_id})
        with self._durably():
            self._sync()
            self._append(line)
            self._seen[event_id] = True

    def receipts(self) -> list[dict]:
        """Return every receipt, oldest first, with `done` folded in."""
        with self._held():
            lines = self._read()
        done = {line["done"] for line in lines if "done" in line and "id" not in line}
        return [{**r, "done": bool(r.get("done")) or r["id"] in done} for r in lines if "id" in r]

    def rewrite(self, keep) -> int:
        """Replace each receipt with keep(receipt) (None drops it) in one atomic rewrite; return how many changed."""
        with self._held():
            lines, out, changed = self._read(), [], 0
            dropped = set()
            for line in lines:
                if "id" not in line:
                    if line["done"] not in dropped:
                        out.append(line)
                    continue
                new = keep(line)
                changed += new != line
                if new is None:
                    dropped.add(line["id"])
                else:
                    out.append(new)
            if changed:
                # A writer still fsyncing the old file (see _durably) makes its line durable there too.
                write_atomic(self.path, "".join(_encode(x).decode() for x in out))
                self._reopen()
            return changed

    @contextlib.contextmanager
    def _held(self):
        """Hold the log's lock against other threads and processes."""
        with self._mutex:
            if self._pid != os.getpid():  # a forked worker must not share its parent's lock file
                # `<path>.lock` is the file files.locked() uses, so every other reader and writer agrees.
                self._lock_fd, self._pid = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _durably(self):
        """Hold the lock for a write; after releasing it, return only once the log is on disk.

        The fsync runs outside the lock on a handle taken inside it, so it covers this writer's line
        even if a rewrite replaces the file meanwhile (the new file was fsync'd before it replaced this one).
        """
        with self._held():
            yield
            fd = os.dup(self._fd)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _append(self, data: bytes) -> None:
        """Write one line after the last complete one (call with the lock held, after _sync)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        if self._size > self._offset:
            os.ftruncate(self._fd, self._offset)  # drop a torn line a killed writer left
        os.pwrite(self._fd, data, self._offset)
        self._offset += len(data)
        self._size = self._offset

    def _read(self) -> list[dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(x) for x in text.splitlines(keepends=True) if x.endswith("\n")]

    def _sync(self) -> dict[str, bool]:
        """Bring the id index up to date with the file, reading only lines added since last time."""
        st = os.fstat(self._fd) if self._fd is not None else None
        if st is None or st.st_nlink == 0:
            # Holding the indexed file open pins its inode, so a rewritten file (a new inode) is
            # always noticed here: st_nlink drops to 0 once the old one is replaced.
            self._reopen()
            st = os.fstat(self._fd) if self._fd is not None else None
        size = self._size = st.st_size if st else 0
        if size > self._offset and self._fd is not None:
            chunk = os.pread(self._fd, size - self._offset, self._offset)
            end = chunk.rfind(b"\n") + 1  # a torn last line (crash mid-append) is ignored
            for raw in chunk[:end].splitlines():
                event_id, done = _scan(raw)
                self._seen[event_id] = self._seen.get(event_id, False) or done
            self._offset += end
        return self._seen

    def _reopen(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._seen, self._offset, self._size, self._fd = {}, 0, 0, None
        with contextlib.suppress(FileNotFoundError):
            self._fd = os.open(self.path, os.O_RDWR)


def _encode(item: dict) -> bytes:
    """One JSON line with `id` and `done` first, so the index can read them without parsing the rest."""
    head = {k: item[k] for k in ("id", "done") if k in item}
    return (json.dumps({**head, **item}, separators=(",", ":")) + "\n").encode()


def _scan(raw: bytes) -> tuple[str, bool]:
    """Return (event id, processed) of one log line, cheaply for the lines _encode writes."""
    if raw.startswith(b'{"id":"') and raw[71:80] == b'","done":':
        return raw[7:71].decode(), raw[80:84] == b"true"
    item = json.loads(raw)
    return (item["id"], bool(item.get("done"))) if "id" in item else (item["done"], True)


class DeletionLog:
    """Deletion requests in `deletions.json`, keyed by confirmation code, rewritten atomically under a lock."""

    def __init__(self, data_dir: str | Path):
        self.path = private_dir(data_dir) / "deletions.json"

    def add(self, now: float | None = None, **fields) -> dict:
        """Store a new request (status "received" unless given) under a fresh code; return it."""
        now = time.time() if now is None else now
        with locked(self.path):
            doc = self._load()
            code = new_code()
            while code in doc["requests"]:
                code = new_code()
            req = {"code": code, "status": "received", "received_at": now,
                   **{k: v for k, v in fields.items() if v not in (None, "")}}
            doc["requests"][code] = req
            write_json(self.path, doc)
        return req

    def get(self, code: str) -> dict | None:
        """Return one request, or None."""
        return self._load()["requests"].get(code)

    def all(self) -> list[dict]:
        """Return every request, oldest first."""
        return sorted(self._load()["requests"].values(), key=lambda r: (r["received_at"], r["code"]))

    def update(self, code: str, **fields) -> dict | None:
        """Set fields of a request (a None value removes the field); return it, or None if unknown."""
        with locked(self.path):
            doc = self._load()
            req = doc["requests"].get(code)
            if req is None:
                return None
            for key, value in fields.items():
                if value is None:
                    req.pop(key, None)
                else:
                    req[key] = value
            write_json(self.path, doc)
        return req

    def rewrite(self, keep) -> int:
        """Replace each request with keep(request) (None drops it) atomically; return how many changed."""
        with locked(self.path):
            doc = self._load()
            new = {}
            for code, req in doc["requests"].items():
                out = keep(dict(req))
                if out is not None:
                    new[code] = out
            changed = sum(new.get(c) != r for c, r in doc["requests"].items())
            if changed:
                write_json(self.path, {"version": 1, "requests": new})
        return changed

    def erase(self, *, ids: set[str], names: set[str], codes: set[str], subject: str, now: float,
              note: str = "") -> int:
        """Strip identifiers from every request naming this person (and close open ones); return how many.

        A request matches by code, open_id or Meta user_id, or a username in `names` (casefolded);
        the usernames and emails of matching requests then match the person's other requests too.
        """
        names = set(names)
        with locked(self.path):
            doc = self._load()
            reqs = doc["requests"].values()
            emails: set[str] = set()

            def named(r: dict) -> bool:
                return (r["code"] in codes or bool({r.get("open_id"), r.get("meta_user_id")} & ids)
                        or (r.get("username") or "").casefold() in names
                        or (r.get("email") or "").casefold() in emails)

            for _ in range(2):  # what one request reveals (username, email) finds the person's others
                for r in reqs:
                    if named(r):
                        names.add((r.get("username") or "").casefold())
                        emails.add((r.get("email") or "").casefold())
                names.discard("")
                emails.discard("")
            hits = [r for r in reqs if named(r)]
            for r in hits:
                for key in IDENTIFIERS:
                    r.pop(key, None)
                r["subject"] = r.get("subject") or subject
                if r["status"] == "received":
                    r.update(status="completed", closed_at=now)
                    if note:
                        r["note"] = note
            if hits:
                write_json(self.path, doc)
        return len(hits)

    def _load(self) -> dict:
        doc = read_json(self.path, {"version": 1, "requests": {}})
        doc.setdefault("requests", {})
        return doc


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


def new_code() -> str:
    """Return a fresh confirmation code like `K7QF-2MXC-9TRA` (about 59 bits: unguessable)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def mentions(record, identifier: str) -> bool:
    """Tell whether any string in a record (keys and values, however nested) is exactly `identifier`."""
    if isinstance(record, str):
        return bool(identifier) and record == identifier
    if isinstance(record, dict):
        return any(mentions(k, identifier) or mentions(v, identifier) for k, v in record.items())
    if isinstance(record, list):
        return any(mentions(v, identifier) for v in record)
    return False


data_dir_option = click.option(
    "--data-dir", default=None, help="The service's data directory [default: GREENLIGHT_DATA_DIR or ./instance].")


def open_stores(data_dir: str | None):
    """Open the token store and records of a data directory, for the CLI (settings from the environment)."""
    from callback.config import load_settings
    from callback.store import TokenStore

    settings = load_settings()
    path = data_dir or settings["DATA_DIR"]
    return TokenStore(path, settings["ENCRYPTION_KEY"] or None), Records(path)


def records_for(app: Flask) -> Records:
    """Return the app's Records, creating them on first use."""
    ext = app.extensions.setdefault("greenlight", {})
    if "records" not in ext:
        ext["records"] = Records(app.config["DATA_DIR"])
    return ext["records"]


def records() -> Records:
    """The records of the current service."""
    return records_for(current_app)
