"""Where a publish ends, told on its queue item: posted, in the inbox, failed, or cut off by a stopped service.

The publisher settles what it follows to the end; TikTok's post.publish.* webhooks (on_webhook) and a
restart (recover) settle the rest.
"""

from __future__ import annotations

import logging
import time

from callback.data.queue import ACTIVE, PostQueue
from callback.platform.posting import explain

log = logging.getLogger("greenlight.publisher")
DONE = {"published": "Posted to TikTok.", "inbox": "Sent to your TikTok inbox: open TikTok to finish and post it."}


def settle(queue: PostQueue, item_id: str, status: str, post_id: str | None = None) -> dict:
    """Mark an item posted ("published") or delivered ("inbox") and delete its video, which is no longer needed."""
    fields = {"status": status, "fail_reason": None, "message": DONE[status]}
    if post_id:  # never wipe a post id a webhook already brought
        fields["post_id"] = post_id
    item = queue.update(item_id, **fields) or {}
    queue.drop_media(item_id)
    return item


def fail(queue: PostQueue, item_id: str, code: str, message: str) -> dict:
    """Mark an item failed with its reason; the video stays (until its hours pass) so it can be tried again."""
    try:
        return queue.update(item_id, status="failed", fail_reason=code, message=message) or {}
    except Exception:  # even the queue failing must not escape a background publish
        log.exception("could not record the failure of item %s", item_id)
        return {}


def on_webhook(event_name: str, content: dict, queue: PostQueue) -> None:
    """Bring the queue item TikTok's post.publish.* event is about (by publish_id) up to date."""
    pid = content.get("publish_id") if isinstance(content, dict) else None
    item = queue.by_publish_id(pid) if isinstance(pid, str) and pid else None
    if item is None:
        return
    done = item["status"] in ("published", "inbox")
    if event_name == "post.publish.failed" and not done:
        reason = str(content.get("reason") or "internal")
        fail(queue, item["id"], reason, explain(reason))
    elif event_name in ("post.publish.complete", "post.publish.publicly_available"):
        post_id = content.get("post_id")
        settle(queue, item["id"], "published", str(post_id) if post_id else None)
    elif event_name == "post.publish.inbox_delivered" and item["status"] != "published":
        settle(queue, item["id"], "inbox")
    elif event_name == "post.publish.no_longer_publicaly_available":  # sic: TikTok's spelling
        queue.update(item["id"], message="TikTok no longer shows this post publicly.")


def recover(queue: PostQueue, *, older_than: float = 3600.0, now: float | None = None) -> int:
    """Fail items left uploading or processing by a stopped service (none goes on for this long); return how many."""
    cutoff = (time.time() if now is None else now) - older_than
    stale = [i for i in queue.all() if i["status"] in ACTIVE and i["updated_at"] < cutoff]
    for item in stale:
        queue.claim(
            item["id"],
            ACTIVE,
            status="failed",
            fail_reason="interrupted",
            message=(
                "Posting was interrupted when the service stopped. Check the app on TikTok before "
                "posting again: the video may already be there."
            ),
        )
    return len(stale)
