"""Publish status per post, folded from the webhook receipts."""

from __future__ import annotations

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
