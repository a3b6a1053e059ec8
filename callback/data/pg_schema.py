"""The PostgreSQL schema, as numbered migrations: `greenlight db upgrade` applies those a database lacks.

Each migration runs in one transaction with the version it brings, so a database is always at one
version. Never edit a released migration: append a new one (the service refuses an older schema).
Documents are kept as JSON text, exactly as the file backend writes them (jsonb would reorder keys
and refuse some strings a webhook may carry); the columns beside them are what lookups need.
"""

from __future__ import annotations

import psycopg

from callback.data.pg_db import Database, check_reachable, scalar
from callback.facts.settings import ConfigError

MIGRATIONS: list[str] = [
    # 1: what the file backend keeps in tokens.json, webhooks.jsonl, deletions.json and receipt.salt.
    """
    CREATE TABLE greenlight_meta (
        name text PRIMARY KEY,
        value text NOT NULL
    );
    CREATE TABLE tokens (
        open_id text PRIMARY KEY,
        account text NOT NULL,               -- the account as tokens.json holds it, tokens sealed
        updated_at double precision NOT NULL
    );
    CREATE TABLE webhook_events (
        id text PRIMARY KEY,                 -- the event's id: deduplicates deliveries across instances
        seq bigint GENERATED ALWAYS AS IDENTITY,  -- arrival order (sorted when read: no index to keep up)
        receipt text,                        -- NULL: only a "done" mark (as a {"done": id} line is)
        marked boolean NOT NULL DEFAULT false
    );
    CREATE TABLE deletion_requests (
        code text PRIMARY KEY,
        key text UNIQUE,                     -- an event id or signed-request hash: one request per key
        open_id text,
        meta_user_id text,
        received_at double precision NOT NULL,
        request text NOT NULL
    );
    CREATE INDEX deletion_requests_open_id ON deletion_requests (open_id) WHERE open_id IS NOT NULL;
    CREATE INDEX deletion_requests_meta_user_id ON deletion_requests (meta_user_id) WHERE meta_user_id IS NOT NULL;
    """,
    # 2: what the file backend keeps per machine (connect/ and shared memory), shared here by every instance.
    """
    CREATE TABLE connect_attempts (
        state_hash text PRIMARY KEY,         -- sha256 of the state: the state itself is never stored
        record text,                         -- NULL once used: the tombstone that refuses a replay
        touched double precision NOT NULL
    );
    CREATE INDEX connect_attempts_touched ON connect_attempts (touched);
    CREATE TABLE rate_hits (
        name text NOT NULL,
        key_hash text NOT NULL,              -- keyed hash of the client address, never the address
        hits double precision[] NOT NULL,
        last_at double precision NOT NULL,
        PRIMARY KEY (name, key_hash)
    );
    CREATE INDEX rate_hits_last_at ON rate_hits (last_at);
    """,
]
LATEST = len(MIGRATIONS)
UPGRADE_LOCK = 0x47_4C_44_42  # advisory lock key: two upgrades at once run one after the other


def version(conn: psycopg.Connection) -> int:
    """Return the schema version of the database (0: never upgraded)."""
    if scalar(conn, "SELECT to_regclass('greenlight_schema')") is None:
        return 0
    row = conn.execute("SELECT version FROM greenlight_schema").fetchone()
    return row[0] if row else 0


def upgrade(db: Database, to: int = LATEST) -> list[int]:
    """Apply the migrations the database lacks, up to `to`; return the versions applied."""
    applied = []
    with check_reachable(db) as conn:
        for target in range(1, to + 1):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))
                conn.execute("CREATE TABLE IF NOT EXISTS greenlight_schema (version integer NOT NULL)")
                current = version(conn)
                if current >= target:
                    continue
                conn.execute(MIGRATIONS[target - 1])
                conn.execute("DELETE FROM greenlight_schema")
                conn.execute("INSERT INTO greenlight_schema (version) VALUES (%s)", (target,))
                applied.append(target)
    return applied


def require_current(db: Database) -> int:
    """Refuse a database whose schema is not the one this code knows, naming what to run; return its version."""
    with check_reachable(db) as conn:
        found = version(conn)
    if found < LATEST:
        raise ConfigError(
            f"the database schema is at version {found}, this Greenlight needs version {LATEST}: "
            "run `greenlight db upgrade` (with the same GREENLIGHT_DATABASE_URL), then start again"
        )
    if found > LATEST:
        raise ConfigError(
            f"the database schema is at version {found}, newer than this Greenlight knows "
            f"({LATEST}): run the Greenlight release that upgraded it"
        )
    db.schema_version = found
    return found
