"""Revocations from TikTok: acknowledged once durable, the erasure finished exactly once, even across restarts.

A removal's receipt names the account (`user`) only until its erasure has run: the erasure's last step
rewrites every receipt naming the account into an anonymous one. So a pending receipt that still names
its account needs the erasure; one that no longer does only needs marking done.
"""

from __future__ import annotations

import logging
import threading
import time

from callback.data.erasure import erase_user
from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.platform.events import REMOVAL_REASONS

log = logging.getLogger("greenlight.removals")
EVENT = "authorization.removed"
RETRY_SECONDS = (1, 2, 5, 10, 30, 60)  # then every minute until it succeeds
_retrying = threading.Lock()


def reason_words(reason: object) -> str:
    """TikTok's removal reason in words."""
    return REMOVAL_REASONS.get(reason, REMOVAL_REASONS[0]) if isinstance(reason, int) else REMOVAL_REASONS[0]


def finish(receipt: dict, store: TokenBackend, recs: Records, now: float) -> None:
    """Carry out one pending removal (erasing its account unless that already ran), then mark it done."""
    if receipt.get("user"):
        reason = (receipt.get("content") or {}).get("reason")
        erase_user(
            receipt["user"],
            store=store,
            recs=recs,
            source="tiktok",
            key=receipt["id"],
            reason=f"TikTok: {reason_words(reason)}",
            now=now,
        )
    recs.events.mark_done(receipt["id"])


def resume(store: TokenBackend, recs: Records) -> int:
    """Finish every removal that was acknowledged but not carried out (a crash, a busy store); return how many."""
    pending = [r for r in recs.events.receipts() if r["event"] == EVENT and not r["done"]]
    for receipt in pending:
        finish(receipt, store, recs, time.time())
    if pending:
        log.warning("finished %d removal(s) acknowledged earlier", len(pending))
    return len(pending)


def retry_later(store: TokenBackend, recs: Records) -> None:
    """Keep trying pending removals in the background until they are done (one retrier per process)."""
    if not _retrying.acquire(blocking=False):
        return  # a retrier is already running in this process

    def run() -> None:
        try:
            for attempt in range(10_000):
                time.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                try:
                    resume(store, recs)
                    return
                except Exception as exc:  # still busy or failing: the receipts keep the work safe
                    log.warning("pending removals not finished yet (%s); retrying", type(exc).__name__)
        finally:
            _retrying.release()

    threading.Thread(target=run, name="greenlight-removals", daemon=True).start()
