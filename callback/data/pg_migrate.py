"""Moving a data directory into PostgreSQL: tokens, webhook receipts, deletion requests and the salt.

Idempotent: what the database already holds is never overwritten (the service may have refreshed a
token since), so a second run copies nothing and verifies the same counts. The files are only read:
the operator removes them once the counts check out. Connect attempts (minutes-long) and rate-limit
counts (memory only) are not moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from callback.data.deletions import DeletionLog
from callback.data.pg_db import Database, dumps, scalar
from callback.data.pg_deletions import row_of
from callback.data.pg_records import SALT
from callback.data.pg_tokens import PgTokenStore
from callback.data.receipts import EventLog
from callback.data.tokens import TokenStore


class MigrationError(RuntimeError):
    """The directory cannot be moved as it is (say why, and what to do)."""


@dataclass
class Moved:
    """One kind of record: how many the files hold, how many were copied now, how many the database holds of them."""

    kind: str
    in_files: int
    copied: int
    verified: int

    @property
    def ok(self) -> bool:
        return self.verified == self.in_files


def migrate_from_files(data_dir: str | Path, db: Database, encryption_key: str | None = None) -> list[Moved]:
    """Copy a file backend's data directory into the database (schema current); return the counts per kind."""
    path = Path(data_dir)
    if not any((path / name).exists() for name in ("tokens.json", "webhooks.jsonl", "deletions.json")):
        raise MigrationError(f"{path} holds no Greenlight data (no tokens.json, webhooks.jsonl or deletions.json)")
    salt = _salt(path, db)
    return [_tokens(path, db, encryption_key), _events(path, db), _deletions(path, db), *salt]


def _salt(path: Path, db: Database) -> list[Moved]:
    """Carry the receipt salt over, so the hashed subjects in old receipts still match their accounts."""
    try:
        salt = (path / "receipt.salt").read_text().strip()
    except FileNotFoundError:
        return []
    with db.connection() as conn:
        row = conn.execute("SELECT value FROM greenlight_meta WHERE name = %s", (SALT,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO greenlight_meta (name, value) VALUES (%s, %s)", (SALT, salt))
        elif row[0] != salt:
            used = scalar(
                conn, "SELECT (SELECT count(*) FROM webhook_events) + (SELECT count(*) FROM deletion_requests)"
            )
            if used:
                raise MigrationError(
                    "the database already has another receipt salt and records hashed with it: "
                    "move the data directory into a new, empty database"
                )
            conn.execute("UPDATE greenlight_meta SET value = %s WHERE name = %s", (salt, SALT))
        copied = int(row is None or row[0] != salt)
        same = scalar(conn, "SELECT count(*) FROM greenlight_meta WHERE name = %s AND value = %s", (SALT, salt))
    return [Moved("receipt salt", 1, copied, same)]


def _tokens(path: Path, db: Database, encryption_key: str | None) -> Moved:
    accounts = TokenStore(path, encryption_key).list() if (path / "tokens.json").exists() else []
    store = PgTokenStore(db, encryption_key)
    copied = sum(store.add_if_absent(acc) for acc in accounts)
    ids = [a["open_id"] for a in accounts]
    with db.connection() as conn:
        verified = scalar(conn, "SELECT count(*) FROM tokens WHERE open_id = ANY(%s)", (ids,))
    return Moved("accounts (tokens)", len(accounts), copied, verified)


def _events(path: Path, db: Database) -> Moved:
    receipts = EventLog(path).receipts() if (path / "webhooks.jsonl").exists() else []
    copied = 0
    with db.transaction() as conn:
        for r in receipts:  # in file order, so the database's arrival order is the file's
            # `done` comes folded (the receipt's own flag or a later done line): both say the same here.
            copied += (
                conn.execute(
                    "INSERT INTO webhook_events (id, receipt, marked) VALUES (%s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING RETURNING 1",
                    (r["id"], dumps(r), r["done"]),
                ).fetchone()
                is not None
            )
    ids = [r["id"] for r in receipts]
    with db.connection() as conn:
        verified = scalar(
            conn, "SELECT count(*) FROM webhook_events WHERE receipt IS NOT NULL AND id = ANY(%s)", (ids,)
        )
    return Moved("webhook receipts", len(receipts), copied, verified)


def _deletions(path: Path, db: Database) -> Moved:
    requests = DeletionLog(path).all() if (path / "deletions.json").exists() else []
    copied = 0
    with db.transaction() as conn:
        for req in requests:
            copied += (
                conn.execute(
                    "INSERT INTO deletion_requests (code, key, open_id, meta_user_id, received_at, "
                    "request) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                    row_of(req),
                ).fetchone()
                is not None
            )
    codes = [r["code"] for r in requests]
    with db.connection() as conn:
        verified = scalar(conn, "SELECT count(*) FROM deletion_requests WHERE code = ANY(%s)", (codes,))
    return Moved("deletion requests", len(requests), copied, verified)


def describe(moved: list[Moved]) -> list[str]:
    """One line per kind: what the files hold, what was copied, what the database verifiably holds."""
    return [
        f"{m.kind}: {m.in_files} in files, {m.copied} copied now, {m.verified} verified in the database"
        + ("" if m.ok else "  MISMATCH")
        for m in moved
    ]
