"""TikTok webhooks: verify the signature, record the event durably and once, then act on it."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, current_app, request

from callback.data.posts import PUBLISH_STATUS
from callback.data.queue import PostQueue
from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.platform.events import BadEvent, event_id, parse_event
from callback.platform.signatures import InvalidSignature, verify_tiktok
from callback.service import direct, outcomes, removals

log = logging.getLogger("greenlight.webhooks")
bp = Blueprint("webhooks", __name__)


def handle(
    event: dict,
    store: TokenBackend,
    recs: Records,
    *,
    now: float,
    eid: str | None = None,
    queue: PostQueue | None = None,
) -> str:
    """Record an event durably, act on it unless it was already handled; return "ok" or "duplicate".

    `eid` is event_id(event) when the caller already has it; publish events update `queue`'s items.
    """
    eid, name, user = eid or event_id(event), event["event"], event["user_openid"]
    if name == removals.EVENT:
        reason = event["content"].get("reason")
        # Durable before anything else: the receipt names the account until its erasure rewrites it away.
        receipt = {
            "id": eid,
            "at": now,
            "event": name,
            "create_time": event["create_time"],
            "user": user,
            "subject": recs.subject(user),
            "content": {"reason": reason},
            "done": False,
        }
        state = recs.events.add(receipt)
        if state == "done":
            return "duplicate"
        log.warning(
            "authorization removed for account %s: %s (reason %s); erasing its data",
            receipt["subject"][:16],
            removals.reason_words(reason),
            reason,
        )
        try:
            removals.finish(receipt, store, recs, now)
        except Exception:  # acknowledged all the same: the receipt is on disk and the retrier finishes it
            log.exception("erasing account %s failed for now; it will be retried", receipt["subject"][:16])
            removals.retry_later(store, recs)
        return "ok"
    state = recs.events.add(
        {
            "id": eid,
            "at": now,
            "event": name,
            "create_time": event["create_time"],
            "user": user,
            "content": event["content"],
            "done": True,
        }
    )
    if state != "new":
        return "duplicate"
    if name not in PUBLISH_STATUS:
        log.info("recorded webhook event %r, which Greenlight does not act on", name[:80])
    elif queue is not None:
        try:
            outcomes.on_webhook(name, event["content"], queue)
        except Exception:  # acknowledged all the same: the receipt is on disk, and `greenlight posts` shows it
            log.exception("could not update the queued post of a %s event", name[:80])
    return "ok"


def receive(body: bytes, header: str | None, app: Flask) -> tuple[dict, int]:
    """Answer one TikTok delivery: 401 unless signed, 400 unless well-formed, 200 once on disk."""
    config, ext = app.config, app.extensions["greenlight"]
    try:
        verify_tiktok(
            body,
            header,
            secret=config["TIKTOK_CLIENT_SECRET"],
            tolerance=int(config["WEBHOOK_TOLERANCE"]),
            now=time.time(),
        )
    except InvalidSignature as exc:
        log.warning("rejected a webhook: %s", exc.reason)
        return {"error": "invalid_signature", "message": exc.reason}, 401
    try:
        event = parse_event(body, client_key=config["TIKTOK_CLIENT_KEY"])
    except BadEvent as exc:
        log.warning("rejected a signed webhook: %s", exc)
        return {"error": "bad_request", "message": str(exc)}, 400
    # The event's id lets a sender (or a load test) match each 200 with the receipt on disk.
    eid = event_id(event)
    status = handle(event, ext["store"], ext["records"], now=time.time(), eid=eid, queue=ext["queue"])
    return {"status": status, "id": eid}, 200


@bp.post("/webhooks/tiktok")
def tiktok():
    """Receive a delivery that the direct route passed on (a chunked body, say): the same answer as there."""
    return receive(request.get_data(cache=False), request.headers.get("TikTok-Signature"), current_app)


def init_app(app: Flask) -> None:
    """Register the webhook endpoint: directly for well-framed deliveries, through Flask for the rest."""
    app.register_blueprint(bp)
    direct.routes(app).routes["POST", "/webhooks/tiktok"] = lambda body, environ: receive(
        body, environ.get("HTTP_TIKTOK_SIGNATURE"), app
    )
