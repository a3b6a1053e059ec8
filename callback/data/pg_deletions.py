"""Deletion requests in PostgreSQL: the DeletionLog interface over `deletion_requests`, one row per code."""

from __future__ import annotations

import json
import time

import psycopg

from callback.data.deletions import close_erased, new_code
from callback.data.pg_db import Database, dumps

COLUMNS = "code, key, open_id, meta_user_id, received_at, request"


class PgDeletionLog:
    """Deletion requests keyed by confirmation code; each change is one transaction under the row's lock.

    The request is stored as the file backend's deletions.json holds it; `key`, `open_id` and
    `meta_user_id` are copies for lookups, rewritten with it (so erasing the identifiers clears them too).
    """

    def __init__(self, db: Database):
        self.db = db

    def add(self, now: float | None = None, key: str | None = None, **fields) -> dict:
        """Store a new request (status "received" unless given) under a fresh code; return it.

        With `key` (a platform event's id, a signed request's hash) a second add, from any instance,
        returns the first request: the unique key makes it wait for, then find, the first one.
        """
        now = time.time() if now is None else now
        with self.db.connection() as conn:
            while True:
                req = {
                    "code": new_code(),
                    "status": "received",
                    "received_at": now,
                    **{k: v for k, v in {**fields, "key": key}.items() if v not in (None, "")},
                }
                if conn.execute(
                    f"INSERT INTO deletion_requests ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    row_of(req),
                ).fetchone():
                    return req
                if key:
                    row = conn.execute("SELECT request FROM deletion_requests WHERE key = %s", (key,)).fetchone()
                    if row:
                        return json.loads(row[0])
                # Otherwise the fresh code was taken (about 1 in 2**59): draw another.

    def get(self, code: str) -> dict | None:
        """Return one request, or None."""
        with self.db.connection() as conn:
            row = conn.execute("SELECT request FROM deletion_requests WHERE code = %s", (code,)).fetchone()
        return json.loads(row[0]) if row else None

    def all(self) -> list[dict]:
        """Return every request, oldest first."""
        with self.db.connection() as conn:
            rows = conn.execute("SELECT request FROM deletion_requests").fetchall()
        return sorted((json.loads(r) for (r,) in rows), key=lambda r: (r["received_at"], r["code"]))

    def update(self, code: str, **fields) -> dict | None:
        """Set fields of a request (a None value removes the field); return it, or None if unknown."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT request FROM deletion_requests WHERE code = %s FOR UPDATE", (code,)).fetchone()
            if row is None:
                return None
            req = json.loads(row[0])
            for key, value in fields.items():
                if value is None:
                    req.pop(key, None)
                else:
                    req[key] = value
            _save(conn, code, req)
        return req

    def rewrite(self, keep) -> int:
        """Replace each request with keep(request) (None drops it) in one transaction; return how many changed."""
        changed = 0
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT code, request FROM deletion_requests ORDER BY code FOR UPDATE").fetchall()
            for code, text in rows:
                req = json.loads(text)
                out = keep(dict(req))
                if out == req:
                    continue
                changed += 1
                if out is None:
                    conn.execute("DELETE FROM deletion_requests WHERE code = %s", (code,))
                else:
                    _save(conn, code, out)
        return changed

    def erase(self, open_id: str, *, code: str | None, subject: str, now: float, note: str = "") -> int:
        """Close the request this erasure was verified for, and strip every request naming the erased account.

        Only proven identifiers match, as in the file backend: `code` and `open_id` (as an open_id or a
        Meta user id); a username or email never joins two requests or closes one. Return how many changed.
        """
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT code, request FROM deletion_requests WHERE code = %s "
                "OR (%s <> '' AND (open_id = %s OR meta_user_id = %s)) ORDER BY code FOR UPDATE",
                (code, open_id or "", open_id, open_id),
            ).fetchall()
            for row_code, text in rows:
                r = json.loads(text)
                close_erased(r, subject, now, note)
                _save(conn, row_code, r)
        return len(rows)


def row_of(req: dict, code: str | None = None) -> tuple:
    """The columns of a request: its code, lookup copies, receipt time and the document itself."""
    ids = [req.get(k) if isinstance(req.get(k), str) else None for k in ("key", "open_id", "meta_user_id")]
    return (code or req["code"], *ids, float(req.get("received_at") or 0), dumps(req))


def _save(conn: psycopg.Connection, code: str, req: dict) -> None:
    """Write a changed request back under its code (the row the file backend keys it by)."""
    _, key, open_id, meta_user_id, received_at, text = row_of(req, code)
    conn.execute(
        "UPDATE deletion_requests SET key = %s, open_id = %s, meta_user_id = %s, received_at = %s, "
        "request = %s WHERE code = %s",
        (key, open_id, meta_user_id, received_at, text, code),
    )
