"""Retention: delete what the facts say must go, on the schedule the privacy policy prints."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.facts import Facts

log = logging.getLogger("greenlight.retention")
DAY = 86400


@dataclass
class Plan:
    """What a purge removes: accounts whose tokens go, and how many receipts and requests."""

    token_cutoff: float
    records_cutoff: float
    receipts_cutoff: float
    accounts: list[dict] = field(default_factory=list)
    receipts: int = 0
    requests: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def last_used(account: dict) -> float | None:
    """When an account's tokens were last used: last_used_at, else connected_at (else refreshed_at).

    A refresh is not a use: the refresh timer renews every account, so counting refreshed_at would
    keep an account the app never uses for ever, against the policy's "days after the app last used them".
    """
    for key in ("last_used_at", "connected_at", "refreshed_at"):
        if account.get(key):
            return float(account[key])
    return None


def plan(facts: Facts, store: TokenBackend, recs: Records, now: float) -> Plan:
    """Work out what the retention facts say must go at `now`, changing nothing."""
    r = facts.retention
    p = Plan(token_cutoff=now - r.tokens_unused_days * DAY, records_cutoff=now - r.records_days * DAY,
             receipts_cutoff=now - r.deletion_receipts_days * DAY)
    for acc in store.list():
        used = last_used(acc)
        if used is None:
            p.notes.append(f"account {acc['open_id']} has no usage dates; kept")
        elif used < p.token_cutoff:
            p.accounts.append(acc)
    p.receipts = sum(1 for x in recs.events.receipts() if x["at"] < p.records_cutoff)
    p.requests = [x["code"] for x in recs.deletions.all() if _closed_before(x, p.receipts_cutoff)]
    return p


def _closed_before(req: dict, cutoff: float) -> bool:
    return req["status"] in ("completed", "rejected") and req.get("closed_at", req["received_at"]) < cutoff


def purge(facts: Facts, store: TokenBackend, recs: Records, *, now: float | None = None, dry_run: bool = False,
          revoke: Callable[[dict], None] | None = None) -> Plan:
    """Apply the retention facts: revoke then delete unused tokens, drop old receipts; return the plan."""
    p = plan(facts, store, recs, time.time() if now is None else now)
    if dry_run:
        return p
    for acc in p.accounts:
        if revoke is not None:
            try:
                revoke(acc)
            except Exception as exc:  # any failure at TikTok: the promise to delete locally still holds
                p.notes.append(f"revoking {acc['open_id']} at TikTok failed ({type(exc).__name__}: {exc}); "
                               "deleted locally anyway")
        store.delete(acc["open_id"])  # also drops the account's lines from the token journal
    recs.events.rewrite(lambda x: None if x["at"] < p.records_cutoff else x)
    codes = set(p.requests)
    recs.deletions.rewrite(lambda x: None if x["code"] in codes and _closed_before(x, p.receipts_cutoff) else x)
    log.info("purge: %d unused account(s), %d webhook receipt(s), %d deletion receipt(s) removed",
             len(p.accounts), p.receipts, len(p.requests))
    return p
