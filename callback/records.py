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

import hashlib
import hmac
import secrets
import time
from pathlib import Path

import click
from flask import Flask, current_app

from callback.files import locked, private_dir, read_json, write_atomic, write_json
from callback.receipts import EventLog

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and retyped
IDENTIFIERS = ("open_id", "username", "email", "meta_user_id")


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
