"""Retention: delete what the facts say must go, on the schedule the privacy policy prints."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callback.data.accounts import clear_exports
from callback.data.posts import PUBLISH_STATUS
from callback.data.queue import PostQueue, queue_of
from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.facts import Facts

log = logging.getLogger("greenlight.retention")
DAY = 86400


@dataclass
class Plan:
    """What a purge removes: accounts whose tokens go, and how many receipts and requests.

    A cutoff of None means the facts set no time limit (until_revoked, until_deleted): nothing goes by age.
    `content_cutoff` applies to publishing records (post statuses now; a publishing queue may use it too).
    """

    token_cutoff: float | None
    records_cutoff: float | None
    receipts_cutoff: float
    accounts: list[dict] = field(default_factory=list)
    receipts: int = 0
    requests: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    content_cutoff: float | None = None
    media: list[str] = field(default_factory=list)  # queue items whose video (or wait) ends: expired
    items: list[str] = field(default_factory=list)  # finished queue items past content_days: removed

    def expired(self, receipt: dict) -> bool:
        """Tell whether a webhook receipt is past its retention (publishing events follow content_days)."""
        cutoff = self.content_cutoff if receipt.get("event") in PUBLISH_STATUS else self.records_cutoff
        return cutoff is not None and receipt["at"] < cutoff


def last_used(account: dict) -> float | None:
    """When an account's tokens were last used: last_used_at, else connected_at (else refreshed_at).

    A refresh is not a use: the refresh timer renews every account, so counting refreshed_at would
    keep an account the app never uses for ever, against the policy's "days after the app last used them".
    """
    for key in ("last_used_at", "connected_at", "refreshed_at"):
        if account.get(key):
            return float(account[key])
    return None


def plan(facts: Facts, store: TokenBackend, recs: Records, now: float, queue: PostQueue | None = None) -> Plan:
    """Work out what the retention facts say must go at `now`, changing nothing."""
    r = facts.retention

    def cutoff(days: int | None) -> float | None:
        return None if days is None else now - days * DAY

    p = Plan(
        token_cutoff=cutoff(r.tokens_unused_days),
        records_cutoff=cutoff(r.records_days),
        receipts_cutoff=now - r.deletion_receipts_days * DAY,
        content_cutoff=cutoff(r.content),
    )
    # until_revoked: tokens stay however long they go unused; only a revocation or a deletion removes them.
    if p.token_cutoff is not None:
        for acc in store.list():
            used = last_used(acc)
            if used is None:
                p.notes.append(f"account {acc['open_id']} has no usage dates; kept")
            elif used < p.token_cutoff:
                p.accounts.append(acc)
    p.receipts = sum(1 for x in recs.events.receipts() if p.expired(x))
    p.requests = [x["code"] for x in recs.deletions.all() if _closed_before(x, p.receipts_cutoff)]
    if (q := queue_of(recs, queue)) is not None:
        media, items = q.due(now - r.queued_media_hours * 3600, p.content_cutoff)
        p.media, p.items = [i["id"] for i in media], [i["id"] for i in items]
    return p


def _closed_before(req: dict, cutoff: float) -> bool:
    return req["status"] in ("completed", "rejected") and req.get("closed_at", req["received_at"]) < cutoff


def purge(
    facts: Facts,
    store: TokenBackend,
    recs: Records,
    *,
    now: float | None = None,
    dry_run: bool = False,
    revoke: Callable[[dict], None] | None = None,
    queue: PostQueue | None = None,
) -> Plan:
    """Apply the retention facts: revoke then delete unused tokens, drop old receipts and queued videos."""
    p = plan(facts, store, recs, time.time() if now is None else now, queue)
    if dry_run:
        return p
    for acc in p.accounts:
        if revoke is not None:
            try:
                revoke(acc)
            except Exception as exc:  # any failure at TikTok: the promise to delete locally still holds
                p.notes.append(
                    f"revoking {acc['open_id']} at TikTok failed ({type(exc).__name__}: {exc}); deleted locally anyway"
                )
        store.delete(acc["open_id"])  # also drops the account's lines from the token journal
        clear_exports(acc)
    recs.events.rewrite(lambda x: None if p.expired(x) else x)
    codes = set(p.requests)
    recs.deletions.rewrite(lambda x: None if x["code"] in codes and _closed_before(x, p.receipts_cutoff) else x)
    if (q := queue_of(recs, queue)) is not None:
        for item_id in p.media:
            q.expire(item_id, facts.retention.queued_media_hours)
        for item_id in p.items:
            q.remove(item_id)
        q.sweep()  # videos an interrupted add or erasure left without their item
    log.info(
        "purge: %d unused account(s), %d webhook receipt(s), %d deletion receipt(s), %d queued video(s), "
        "%d queue item(s) removed",
        len(p.accounts),
        p.receipts,
        len(p.requests),
        len(p.media),
        len(p.items),
    )
    return p
