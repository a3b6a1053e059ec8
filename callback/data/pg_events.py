"""Webhook receipts in PostgreSQL: the EventLog interface over `webhook_events`, deduplicated across instances."""

from __future__ import annotations

import json

from callback.data.pg_db import Database, dumps


class PgEventLog:
    """Webhook receipts in `webhook_events`, one row per event id, committed before `add` returns.

    The primary key deduplicates deliveries across instances: a second insert of an id waits for the
    first one's transaction, so a duplicate is answered only once the first delivery is durable (as the
    file log makes a duplicate wait for the disk). `marked` is mark_done's note; the receipt itself is
    kept as written, exactly as webhooks.jsonl keeps its line beside a later {"done": id} line.
    """

    def __init__(self, db: Database):
        self.db = db

    def add(self, receipt: dict) -> str:
        """Record a receipt durably unless its id is known; return "new", "pending" (not done) or "done"."""
        text = dumps(receipt)
        with self.db.connection() as conn:
            while True:
                if conn.execute(
                    "INSERT INTO webhook_events (id, receipt) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING RETURNING 1",
                    (receipt["id"], text),
                ).fetchone():
                    return "new"
                row = conn.execute(
                    "SELECT receipt, marked FROM webhook_events WHERE id = %s", (receipt["id"],)
                ).fetchone()
                if row is not None:  # else a purge or erasure dropped it in between: insert again
                    return "done" if _done(*row) else "pending"

    def mark_done(self, event_id: str) -> None:
        """Note durably that an event's side effects are complete, so a redelivery is not processed again."""
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO webhook_events (id, marked) VALUES (%s, true) "
                "ON CONFLICT (id) DO UPDATE SET marked = true",
                (event_id,),
            )

    def receipts(self) -> list[dict]:
        """Return every receipt, oldest first, with `done` folded in."""
        with self.db.connection() as conn:
            rows = conn.execute(
                "SELECT receipt, marked FROM webhook_events WHERE receipt IS NOT NULL ORDER BY seq"
            ).fetchall()
        out = []
        for text, marked in rows:
            receipt = json.loads(text)
            out.append({**receipt, "done": bool(receipt.get("done")) or marked})
        return out

    def rewrite(self, keep) -> int:
        """Replace each receipt with keep(receipt) (None drops it) in one transaction; return how many changed."""
        changed, updates, drops = 0, [], []
        with self.db.transaction() as conn:
            # Row locks in arrival order: a concurrent rewrite waits, then sees this one's result.
            rows = conn.execute(
                "SELECT id, receipt FROM webhook_events WHERE receipt IS NOT NULL ORDER BY seq FOR UPDATE"
            ).fetchall()
            for event_id, text in rows:
                line = json.loads(text)
                new = keep(line)
                if new == line:
                    continue
                changed += 1
                if new is None:
                    drops.append((event_id,))  # its done mark goes with it, as the file drops its line
                else:
                    updates.append((dumps(new), event_id))
            with conn.cursor() as cur:
                if drops:
                    cur.executemany("DELETE FROM webhook_events WHERE id = %s", drops)
                if updates:
                    cur.executemany("UPDATE webhook_events SET receipt = %s WHERE id = %s", updates)
        return changed


def _done(receipt: str | None, marked: bool) -> bool:
    """Whether an event's side effects are complete: marked, or received already done (or only a mark)."""
    return marked or receipt is None or bool(json.loads(receipt).get("done"))
