"""Deletion requests in `deletions.json`, keyed by confirmation code, rewritten atomically under a lock."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from callback.data.files import locked, private_dir, read_json, sweep_temporary, write_json

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and retyped
IDENTIFIERS = ("open_id", "username", "email", "meta_user_id")


class DeletionLog:
    """Deletion requests in `deletions.json`, keyed by confirmation code, rewritten atomically under a lock."""

    def __init__(self, data_dir: str | Path):
        self.path = private_dir(data_dir) / "deletions.json"

    def add(self, now: float | None = None, key: str | None = None, **fields) -> dict:
        """Store a new request (status "received" unless given) under a fresh code; return it.

        With `key` (a platform event's id, a signed request's hash) a second add returns the first request.
        """
        now = time.time() if now is None else now
        with locked(self.path):
            doc = self._load()
            same = [r for r in doc["requests"].values() if key and r.get("key") == key]
            if same:
                return same[0]
            code = new_code()
            while code in doc["requests"]:
                code = new_code()
            req = {
                "code": code,
                "status": "received",
                "received_at": now,
                **{k: v for k, v in {**fields, "key": key}.items() if v not in (None, "")},
            }
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
            sweep_temporary(self.path.parent, self.path.name)
        return changed

    def erase(self, open_id: str, *, code: str | None, subject: str, now: float, note: str = "") -> int:
        """Close the request this erasure was verified for, and strip every request naming the erased account.

        Only proven identifiers match: `code` (the request a sign-in, the operator or a signed event was
        verified for) and `open_id` (the account erased). A username or email is anyone's to type, so it
        never joins two requests or closes one. Return how many requests changed.
        """
        with locked(self.path):
            doc = self._load()
            hits = [
                r
                for r in doc["requests"].values()
                if r["code"] == code or (open_id and open_id in (r.get("open_id"), r.get("meta_user_id")))
            ]
            for r in hits:
                close_erased(r, subject, now, note)
            if hits:
                write_json(self.path, doc)
            sweep_temporary(self.path.parent, self.path.name)  # a killed writer's copy may name the person
        return len(hits)

    def _load(self) -> dict:
        doc = read_json(self.path, {"version": 1, "requests": {}})
        doc.setdefault("requests", {})
        return doc


def new_code() -> str:
    """Return a fresh confirmation code like `K7QF-2MXC-9TRA` (about 59 bits: unguessable)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def identifier(req: dict) -> str:
    """The identifier a request names, the strongest first: open_id, Meta user id, then username."""
    return req.get("open_id") or req.get("meta_user_id") or req.get("username") or ""


def close_erased(req: dict, subject: str, now: float, note: str = "") -> None:
    """Strip a request's identifiers for an erased account, keeping its hashed subject, and close it if open."""
    for key in IDENTIFIERS:
        req.pop(key, None)
    req["subject"] = req.get("subject") or subject
    if req["status"] == "received":
        req.update(status="completed", closed_at=now)
        if note:
            req["note"] = note
