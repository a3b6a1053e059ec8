"""TikTok webhooks: verify the signature, record the event durably and once, then act on it."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

import click
from flask import Blueprint, Flask, current_app, request

from callback.records import Records, data_dir_option, open_stores, records, records_for
from callback.signatures import InvalidSignature, verify_tiktok

log = logging.getLogger("greenlight.webhooks")
bp = Blueprint("webhooks", __name__)

# authorization.removed `content.reason`, worded as the platform contract defines it.
REMOVAL_REASONS = {
    0: "unknown reason",
    1: "the user disconnected the app",
    2: "the user deleted their TikTok account",
    3: "the user's age changed",
    4: "the account was banned",
    5: "the developer revoked the authorization",
}
# Publish events and the status each one leaves a post in (legacy video.* names included).
PUBLISH_STATUS = {
    "post.publish.failed": "failed",
    "post.publish.complete": "complete",
    "post.publish.inbox_delivered": "inbox_delivered",
    "post.publish.publicly_available": "publicly_available",
    "post.publish.no_longer_publicaly_available": "no_longer_publicly_available",
    "video.upload.failed": "failed",
    "video.publish.completed": "complete",
}


class BadEvent(ValueError):
    """A correctly signed body that is not a TikTok event."""


def parse_event(body: bytes, *, client_key: str) -> dict:
    """Check a webhook body and return it with `content` decoded, or raise BadEvent saying what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadEvent("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadEvent("the body is not a JSON object")
    for key in ("client_key", "event", "user_openid"):
        if not isinstance(data.get(key), str) or len(data[key]) > 256:
            raise BadEvent(f"{key} must be a string")
    if not data["event"]:
        raise BadEvent("event must not be empty")
    if not hmac.compare_digest(data["client_key"].encode(), client_key.encode()):
        raise BadEvent("client_key is not this app's")
    ctime = data.get("create_time")
    if isinstance(ctime, bool) or not isinstance(ctime, int) or not 0 <= ctime < 10**11:
        raise BadEvent("create_time must be a unix time in seconds")
    content = data.get("content", "{}")
    if isinstance(content, str):
        try:
            content = json.loads(content or "{}")
        except ValueError:
            raise BadEvent("content is not a JSON string") from None
    if not isinstance(content, dict):
        raise BadEvent("content must encode a JSON object")
    return {**data, "content": content}


def event_id(event: dict) -> str:
    """Identify an event by what it says, not by its bytes, so a re-serialised redelivery still matches."""
    canon = json.dumps([event["event"], event["user_openid"], event["create_time"], event["content"]],
                       sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def handle(event: dict, recs: Records, *, now: float, eid: str | None = None) -> str:
    """Record an event durably, act on it unless it was already handled; return "ok" or "duplicate".

    `eid` is event_id(event) when the caller already has it.
    """
    eid, name, user = eid or event_id(event), event["event"], event["user_openid"]
    if name == "authorization.removed":
        from callback.deletion import erase_user  # deletion imports the records this module writes

        reason = event["content"].get("reason")
        words = REMOVAL_REASONS.get(reason, REMOVAL_REASONS[0]) if isinstance(reason, int) else REMOVAL_REASONS[0]
        subject = recs.subject(user)
        # The receipt names the account only by its salted hash: it is the record that survives the erasure.
        state = recs.events.add({"id": eid, "at": now, "event": name, "create_time": event["create_time"],
                                 "subject": subject, "content": {"reason": reason}, "done": False})
        if state == "done":
            return "duplicate"
        log.warning("authorization removed for account %s: %s (reason %s); erasing its data",
                    subject[:16], words, reason)
        erase_user(user, source="tiktok", reason=f"TikTok: {words}", recs=recs, now=now)
        recs.events.mark_done(eid)
        return "ok"
    state = recs.events.add({"id": eid, "at": now, "event": name, "create_time": event["create_time"],
                             "user": user, "content": event["content"], "done": True})
    if state != "new":
        return "duplicate"
    if name not in PUBLISH_STATUS:
        log.info("recorded webhook event %r, which Greenlight does not act on", name[:80])
    return "ok"


@bp.post("/webhooks/tiktok")
def tiktok():
    """Receive one TikTok event: 401 unless signed, 400 unless well-formed, 200 once on disk."""
    config = current_app.config
    body = request.get_data(cache=False)
    try:
        verify_tiktok(body, request.headers.get("TikTok-Signature"), secret=config["TIKTOK_CLIENT_SECRET"],
                      tolerance=int(config["WEBHOOK_TOLERANCE"]), now=time.time())
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
    return {"status": handle(event, records(), now=time.time(), eid=eid), "id": eid}


def posts(receipts: list[dict]) -> list[dict]:
    """Fold publish events into one status per publish_id (latest create_time wins), newest first."""
    out: dict[str, dict] = {}
    for r in sorted(receipts, key=lambda r: (r.get("create_time", 0), r["at"])):
        status = PUBLISH_STATUS.get(r["event"])
        content = r.get("content") or {}
        pid = content.get("publish_id") or content.get("share_id")
        if status is None or not isinstance(pid, str):
            continue
        post = out.setdefault(pid, {"publish_id": pid, "post_id": "", "reason": ""})
        post.update(status=status, user=r.get("user", ""), updated=r.get("create_time") or r["at"])
        post_id = content.get("post_id") or content.get("publicaly_available_post_id")
        if post_id:
            post["post_id"] = str(post_id)
        post["reason"] = str(content.get("reason", "")) if status == "failed" else ""
    return sorted(out.values(), key=lambda p: p["updated"], reverse=True)


@click.command("posts")
@data_dir_option
def posts_command(data_dir: str | None) -> None:
    """Show the publish status of each post TikTok has told the service about."""
    from callback.store import StoreError

    store, recs = open_stores(data_dir)
    try:
        accounts = store.list()
    except StoreError as exc:
        click.echo(f"warning: account names unavailable: {exc}", err=True)
        accounts = []
    names = {a["open_id"]: a.get("display_name") or "" for a in accounts}
    rows = posts(recs.events.receipts())
    if not rows:
        click.echo("No publish events received yet.")
        return
    table = [("PUBLISH ID", "ACCOUNT", "STATUS", "UPDATED (UTC)", "POST ID / REASON")]
    for p in rows:
        when = dt.datetime.fromtimestamp(p["updated"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        table.append((p["publish_id"], names.get(p["user"], "(not connected)"), p["status"], when,
                      p["post_id"] or p["reason"]))
    echo_table(table)


def echo_table(table: list[tuple]) -> None:
    """Print rows as aligned columns, the first row being the header."""
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


def init_app(app: Flask) -> None:
    """Register the webhook endpoint and open the records it writes."""
    records_for(app)
    app.register_blueprint(bp)
