"""The sandbox's Content Posting state: publishes and their uploads, rate limits, caps and planned outcomes.

A publish moves on when its status is fetched, so tests are deterministic (TikTok moves on its own clock):
while a FILE_UPLOAD is incomplete it reads PROCESSING_UPLOAD; once every byte is in (at once for
PULL_FROM_URL) the next `steps` fetches still read PROCESSING_UPLOAD (PROCESSING_DOWNLOAD for PULL_FROM_URL)
and the fetch after that reaches the publish's outcome: PUBLISH_COMPLETE (direct post), SEND_TO_USER_INBOX
(inbox upload), FAILED with its fail_reason, or, for a stalled publish, processing forever.
"""

from __future__ import annotations

import collections
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

MB = 1024 * 1024
HEAD_BYTES = MB  # kept of each upload: holds the mvhd of an MP4 whose moov comes before its mdat
DAY = 86400
LIMITS = {"creator_info": 20, "video_init": 6, "inbox_init": 6, "status_fetch": 30}  # calls a minute, per token
OUTCOMES = ("complete", "fail", "stall")
WEBHOOK_MODES = ("async", "sync", "off")
FINAL = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED")


def update_fields(obj: object, changes: dict, allowed: tuple[str, ...]) -> dict:
    """Set the `allowed` attributes named in `changes`, each keeping its type; return the new values."""
    checked = {}
    for name, value in changes.items():
        if name not in allowed:
            raise ValueError(f"unknown setting {name!r} (known: {', '.join(allowed)})")
        kind = type(getattr(obj, name))
        if kind is tuple and isinstance(value, list):
            value = tuple(value)
        if kind is float and type(value) is int:
            value = float(value)
        if type(value) is not kind:
            raise ValueError(f"{name} must be a {kind.__name__}")
        checked[name] = value
    for name, value in checked.items():  # all or nothing
        setattr(obj, name, value)
    return {name: getattr(obj, name) for name in allowed}


@dataclass
class Publish:
    """One publish: its settings, its upload's progress and where it stands."""

    publish_id: str
    client_key: str
    open_id: str
    inbox: bool
    source: str
    post_info: dict = field(default_factory=dict)
    video_size: int = 0
    chunk_size: int = 0
    total_chunk_count: int = 0
    video_url: str = ""
    upload_id: str = ""
    upload_expires: float = 0.0
    received: int = 0
    digest: object = field(default_factory=hashlib.sha256, repr=False)  # of the bytes received so far
    head: bytes = field(default=b"", repr=False)  # the upload's first HEAD_BYTES, dropped once checked
    busy: bool = False  # a chunk is streaming in
    outcome: str = "complete"
    fail_reason: str = ""
    steps_left: int = 0
    status: str = ""
    post_ids: list[int] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    @property
    def publish_type(self) -> str:
        return "INBOX_SHARE" if self.inbox else "DIRECT_PUBLISH"

    @property
    def processing(self) -> str:
        return "PROCESSING_DOWNLOAD" if self.source == "PULL_FROM_URL" else "PROCESSING_UPLOAD"

    @property
    def uploaded(self) -> bool:
        return self.source == "PULL_FROM_URL" or self.received == self.video_size

    def next_range(self) -> tuple[int, int]:
        """Return the first and last byte of the chunk due next (the last chunk takes the remainder)."""
        if self.received // self.chunk_size >= self.total_chunk_count - 1:
            return self.received, self.video_size - 1
        return self.received, self.received + self.chunk_size - 1


@dataclass
class Posting:
    """Publishes, upload URLs, rate-limit windows and the settings tests change, under the sandbox's lock."""

    lock: threading.RLock
    limits: dict = field(default_factory=lambda: dict(LIMITS))
    window: float = 60.0
    steps: int = 2  # status fetches answered "processing" once the bytes are in
    upload_ttl: int = 3600  # seconds an upload_url stays usable
    active_user_cap: int = 5  # distinct creators an unaudited app may post for in 24 h
    webhooks: str = "async"  # async (like TikTok), sync (sent before the status answer), off
    publishes: dict = field(default_factory=dict)
    uploads: dict = field(default_factory=dict)  # upload_id -> publish_id
    planned: collections.deque = field(default_factory=collections.deque)  # (outcome, reason) of the next ones
    hits: dict = field(default_factory=lambda: collections.defaultdict(collections.deque))

    def configure(self, **changes) -> dict:
        """Change settings (limits merge into the current ones); return them all."""
        with self.lock:
            limits = changes.get("limits", {})
            if not isinstance(limits, dict) or any(
                k not in LIMITS or type(v) is not int or v < 0 for k, v in limits.items()
            ):
                raise ValueError(f"limits maps {', '.join(LIMITS)} to calls a minute")
            if "limits" in changes:
                changes["limits"] = {**self.limits, **limits}
            if any(isinstance(v, (int, float)) and v < 0 for v in changes.values()):
                raise ValueError("numbers must not be negative")
            if changes.get("webhooks", "async") not in WEBHOOK_MODES:
                raise ValueError(f"webhooks must be one of {', '.join(WEBHOOK_MODES)}")
            return update_fields(
                self, changes, ("limits", "window", "steps", "upload_ttl", "active_user_cap", "webhooks")
            )

    def allow(self, token: str, endpoint: str) -> bool:
        """Count a call made with a user token; False once it is over the endpoint's limit in the window."""
        now = time.time()
        with self.lock:
            recent = self.hits[(token, endpoint)]
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.limits[endpoint]:
                return False
            recent.append(now)
            return True

    def posts_today(self, open_id: str) -> int:
        """Count a creator's publishes in the last 24 hours."""
        since = time.time() - DAY
        with self.lock:
            return sum(1 for p in self.publishes.values() if p.open_id == open_id and p.created > since)

    def active_creators(self, client_key: str) -> set[str]:
        """Return the creators an app started publishes for in the last 24 hours."""
        since = time.time() - DAY
        with self.lock:
            return {p.open_id for p in self.publishes.values() if p.client_key == client_key and p.created > since}

    def create(self, client_key: str, open_id: str, inbox: bool, source: str, **fields) -> Publish:
        """Start a publish (with an upload URL for FILE_UPLOAD), taking the next planned outcome."""
        kind = ("v_inbox_" if inbox else "v_pub_") + ("url" if source == "PULL_FROM_URL" else "file")
        pub = Publish(
            f"{kind}~v2-1.{secrets.randbelow(9 * 10**18) + 10**18}", client_key, open_id, inbox, source, **fields
        )
        with self.lock:
            if self.planned:
                pub.outcome, pub.fail_reason = self.planned.popleft()
            pub.steps_left, pub.status = self.steps, pub.processing
            if source == "FILE_UPLOAD":
                pub.upload_id, pub.upload_expires = secrets.token_urlsafe(24), time.time() + self.upload_ttl
                self.uploads[pub.upload_id] = pub.publish_id
            self.publishes[pub.publish_id] = pub
        return pub

    def plan(self, outcome: str, fail_reason: str = "", count: int = 1, publish_id: str = "") -> None:
        """Decide how one publish, or else the next `count` ones, end: complete, fail (with a reason) or stall."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        reason = fail_reason or ("internal" if outcome == "fail" else "")
        with self.lock:
            if publish_id:  # an unknown one raises KeyError
                self.publishes[publish_id].outcome, self.publishes[publish_id].fail_reason = outcome, reason
            else:
                self.planned.extend([(outcome, reason)] * count)

    def advance(self, pub: Publish, settle: bool = False) -> list[tuple[str, dict]]:
        """Move a publish on by one status fetch (settling: straight to its outcome); return the webhooks due."""
        with self.lock:
            if pub.status in FINAL or not pub.uploaded or pub.outcome == "stall":
                return []
            if pub.steps_left > 0 and not settle:
                pub.steps_left -= 1
                return []
            ids = {"publish_id": pub.publish_id, "publish_type": pub.publish_type}
            if pub.outcome == "fail":
                pub.status = "FAILED"
                return [("post.publish.failed", {**ids, "reason": pub.fail_reason})]
            if pub.inbox:
                pub.status = "SEND_TO_USER_INBOX"
                return [("post.publish.inbox_delivered", ids)]
            pub.status = "PUBLISH_COMPLETE"
            events = [("post.publish.complete", ids)]
            if pub.post_info.get("privacy_level") == "PUBLIC_TO_EVERYONE":  # only public posts get a post id
                pub.post_ids.append(secrets.randbelow(9 * 10**18) + 10**18)
                events.append(("post.publish.publicly_available", {**ids, "post_id": str(pub.post_ids[0])}))
            return events

    def status_of(self, pub: Publish) -> dict:
        """Return the status fetch answer's data for a publish."""
        with self.lock:
            data: dict[str, Any] = {
                "status": pub.status,
                "fail_reason": pub.fail_reason if pub.status == "FAILED" else "",
                "publicaly_available_post_id": list(pub.post_ids),
            }  # sic: TikTok's spelling
            if pub.source == "FILE_UPLOAD":
                data["uploaded_bytes"] = pub.received
            return data

    def clear(self) -> None:
        """Forget publishes, uploads, planned outcomes and rate-limit windows."""
        with self.lock:
            for table in (self.publishes, self.uploads, self.planned, self.hits):
                table.clear()

    def summary(self) -> dict:
        """Return settings and publishes, safe to show (no upload URLs)."""
        with self.lock:
            return {
                "limits": dict(self.limits),
                "steps": self.steps,
                "upload_ttl": self.upload_ttl,
                "active_user_cap": self.active_user_cap,
                "webhooks": self.webhooks,
                "planned": len(self.planned),
                "publishes": [
                    {
                        "publish_id": p.publish_id,
                        "open_id": p.open_id,
                        "publish_type": p.publish_type,
                        "source": p.source,
                        "status": p.status,
                        "outcome": p.outcome,
                        "received": p.received,
                        "video_size": p.video_size,
                        "sha256": p.digest.hexdigest() if p.video_size and p.uploaded else "",
                    }
                    for p in self.publishes.values()
                ],
            }
