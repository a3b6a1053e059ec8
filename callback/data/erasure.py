"""Erasing a user everywhere: tokens, webhook receipts and deletion requests, keeping one hashed receipt."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from callback.data.accounts import clear_exports
from callback.data.deletions import identifier
from callback.data.queue import PostQueue, queue_of
from callback.data.records import Records, mentions
from callback.data.store import TokenBackend

log = logging.getLogger("greenlight.erasure")


def erase_user(
    open_id: str,
    *,
    store: TokenBackend,
    recs: Records,
    source: str,
    reason: str = "",
    code: str | None = None,
    key: str | None = None,
    revoke: Callable[[dict], None] | None = None,
    now: float | None = None,
    queue: PostQueue | None = None,
) -> dict:
    """Remove every record naming this account from every store, keeping one hashed receipt; say what went.

    `open_id` must be proven (by a sign-in, the operator's approval or a signed platform event); `code`
    is the deletion request it was proven for, closed with it; `key` makes the receipt of a retried
    erasure (the same platform event) the same one. With `revoke`, a stored account's tokens
    are revoked at the platform first; a failure there is logged and the local deletion goes ahead (the
    promise is about what we keep).
    """
    now = time.time() if now is None else now
    account = store.get(open_id) if open_id else None
    revoked = None
    if account and revoke is not None and account.get("access_token"):
        try:
            revoke(account)
            revoked = True
        except Exception as exc:  # the platform unreachable or refusing: delete locally all the same
            revoked = False
            log.warning(
                "could not revoke the tokens at TikTok before erasing (%s); deleting them locally anyway",
                type(exc).__name__,
            )
    tokens = store.delete(open_id) if open_id else False  # also drops journal lines and stray copies
    if account:
        clear_exports(account)  # copies handed to an uploader's .env go with the account
    # Queued videos and their titles, settings and statuses (the file backend's queue unless one is given).
    queued = q.erase_account(open_id) if open_id and (q := queue_of(recs, queue)) is not None else 0
    request = recs.deletions.get(code) if code else None
    subject = recs.subject(open_id or (identifier(request) if request else ""))
    requests = recs.deletions.erase(open_id, code=code, subject=subject, now=now, note=reason)
    if code is None:
        code = recs.deletions.add(
            now=now, key=key, source=source, status="completed", closed_at=now, subject=subject, note=reason
        )["code"]
    # Last: a pending removal's receipt names its account until this rewrite, which marks the work done.
    events = recs.events.rewrite(lambda r: _anonymous(r) if open_id and mentions(r, open_id) else r)
    log.info(
        "erased account %s (%s): tokens %s, %d webhook receipts, %d deletion requests, %d queued posts; receipt %s",
        subject[:16],
        source,
        "deleted" if tokens else "none",
        events,
        requests,
        queued,
        code,
    )
    return {
        "subject": subject,
        "tokens": tokens,
        "revoked": revoked,
        "events": events,
        "requests": requests,
        "queued": queued,
        "code": code,
    }


def _anonymous(receipt: dict) -> dict:
    """Keep only what lets a redelivery be recognised (the event's hash, name and time), naming nobody."""
    return {
        "id": receipt["id"],
        "at": receipt["at"],
        "event": receipt["event"],
        "erased": True,
        "done": receipt.get("done", True),
    }


def due_at(req: dict, hours: int) -> float:
    """When the answer to a request is due, by the promise in the facts."""
    return req["received_at"] + hours * 3600


def overdue(reqs: list[dict], hours: int, now: float) -> list[dict]:
    """Return the requests still waiting past the promised answer time."""
    return [r for r in reqs if r["status"] == "received" and due_at(r, hours) < now]
