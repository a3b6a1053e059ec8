"""The publishing queue: videos waiting for their creator's approval on the posting page, and how each went.

Layout in the data directory: `queue/` (0700) holds `<id>.json` per item (0600, atomic rewrites under the
queue's lock) and `<id>.media`, the queued video (0600), deleted once posted, when the retention hours
pass, or when the account is erased. A video is copied in under a temporary name and renamed, so a
`.media` file is always whole; an item's JSON is written after its video, so an item never names a
missing file it never had (a video without an item is an interrupted add, swept by the purge).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from callback.data.files import FileLock, fsync, fsync_dir, private_dir, read_json, write_json

STATUSES = ("queued", "uploading", "processing", "published", "inbox", "failed", "expired")
FINISHED = ("published", "inbox", "failed", "expired")  # nothing is under way for these
ACTIVE = ("uploading", "processing")  # a publisher is working on these
SOURCES = ("FILE_UPLOAD", "PULL_FROM_URL")
MAX_TITLE = 2200  # TikTok's limit on post_info.title
BLOCK = 1024 * 1024
_ID = re.compile(r"^[0-9a-f]{24}\Z")  # ids reach the queue from URLs: nothing else may name a file


def waiting_message() -> str:
    """Say what a freshly queued item waits for."""
    return "Waiting for you to review it and post it on the posting page."


class PostQueue:
    """Queued videos by id, each a JSON file beside its media, in `<data_dir>/queue`."""

    def __init__(self, data_dir: str | Path):
        self.dir = Path(data_dir) / "queue"
        self._lock = FileLock(self.dir / "queue")

    # -- reading --

    def get(self, item_id: str) -> dict | None:
        """Return one item, or None (also for an id that is not one of ours)."""
        if not isinstance(item_id, str) or not _ID.match(item_id):
            return None
        return _read(self.dir / f"{item_id}.json")

    def all(self) -> list[dict]:
        """Return every item, oldest first."""
        if not self.dir.is_dir():
            return []
        items = [i for p in self.dir.glob("*.json") if _ID.match(p.stem) and (i := _read(p)) is not None]
        return sorted(items, key=lambda i: (i["queued_at"], i["id"]))

    def for_account(self, open_id: str) -> list[dict]:
        """Return an account's items, oldest first."""
        return [i for i in self.all() if i["open_id"] == open_id]

    def by_publish_id(self, publish_id: str) -> dict | None:
        """Return the item TikTok knows by this publish_id, or None."""
        return next((i for i in self.all() if publish_id and i.get("publish_id") == publish_id), None)

    def media(self, item_id: str) -> Path | None:
        """Return the queued video's path while it is kept, else None."""
        if not isinstance(item_id, str) or not _ID.match(item_id):
            return None
        path = self.dir / f"{item_id}.media"
        return path if path.is_file() else None

    # -- writing --

    def add(
        self,
        *,
        open_id: str,
        title: str,
        inbox: bool = False,
        path: str | Path | None = None,
        url: str | None = None,
        duration: float | None = None,
        now: float | None = None,
    ) -> dict:
        """Queue a local video (copied in) or an https URL (TikTok pulls it) for one account; return the item."""
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path (a local video) or url (an https URL)")
        if not isinstance(open_id, str) or not open_id:
            raise ValueError("open_id is required")
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            raise ValueError(f"the title must be text of at most {MAX_TITLE} characters")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https://[^\s/?#]+/\S*\Z", url)):
            raise ValueError("a video URL must be an https:// address (TikTok pulls it from your verified domain)")
        now = time.time() if now is None else now
        item_id = secrets.token_hex(12)
        private_dir(self.dir)
        size = self._copy_in(Path(path), item_id) if path is not None else None
        item: dict[str, Any] = {
            "id": item_id,
            "open_id": open_id,
            "title": title,
            "source": "FILE_UPLOAD" if path is not None else "PULL_FROM_URL",
            "url": url,
            "size": size,
            "duration": None if duration is None else float(duration),
            "inbox": bool(inbox),
            "queued_at": now,
            "status": "queued",
            "publish_id": None,
            "post_id": None,
            "fail_reason": None,
            "message": waiting_message(),
            "settings": {},
            "updated_at": now,
        }
        try:
            with self._lock.held():
                write_json(self.dir / f"{item_id}.json", item)
        except BaseException:
            self.drop_media(item_id)
            raise
        return item

    def _copy_in(self, source: Path, item_id: str) -> int:
        """Copy a video into the queue in blocks (never whole in memory), 0600 from the start; return its size."""
        final = self.dir / f"{item_id}.media"
        tmp = self.dir / f".{item_id}.media.tmp"
        try:
            with open(source, "rb") as src:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as dst:
                    while block := src.read(BLOCK):
                        dst.write(block)
                    dst.flush()
                    fsync(dst.fileno())
                    size = dst.tell()
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        fsync_dir(self.dir)
        return size

    def update(self, item_id: str, **fields) -> dict | None:
        """Set some fields of an item atomically (updated_at too); return it, or None if it does not exist."""
        return self._change(item_id, None, fields)

    def claim(self, item_id: str, allowed: tuple[str, ...], **fields) -> dict | None:
        """Update an item only if its status is one of `allowed` (one step, so a double click posts once)."""
        return self._change(item_id, allowed, fields)

    def _change(self, item_id: str, allowed: tuple[str, ...] | None, fields: dict) -> dict | None:
        if "id" in fields or "open_id" in fields:
            raise ValueError("an item's id and account cannot change")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        if self.get(item_id) is None:
            return None
        with self._lock.held():
            path = self.dir / f"{item_id}.json"
            item = _read(path)
            if item is None or (allowed is not None and item["status"] not in allowed):
                return None
            item.update({"updated_at": time.time(), **fields})
            write_json(path, item)
            return item

    def drop_media(self, item_id: str) -> None:
        """Delete the queued video (after posting, at expiry or erasure); the item itself stays."""
        if isinstance(item_id, str) and _ID.match(item_id):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.dir / f"{item_id}.media")

    def remove(self, item_id: str) -> bool:
        """Delete an item and its video; return whether the item existed."""
        if not isinstance(item_id, str) or not _ID.match(item_id) or not self.dir.is_dir():
            return False
        self.drop_media(item_id)
        with self._lock.held():
            try:
                os.unlink(self.dir / f"{item_id}.json")
            except FileNotFoundError:
                return False
        fsync_dir(self.dir)
        return True

    def erase_account(self, open_id: str) -> int:
        """Remove every item and video of an account (erasure); return how many items went."""
        gone = sum(1 for item in self.for_account(open_id) if self.remove(item["id"]))
        self.sweep()
        return gone

    def due(self, media_before: float, records_before: float | None) -> tuple[list[dict], list[dict]]:
        """Return (items queued before `media_before` whose video or wait is not over yet, finished items last
        changed before `records_before`), as retention sees them."""
        media, records = [], []
        for item in self.all():
            if item["queued_at"] < media_before and (item["status"] == "queued" or self.media(item["id"])):
                media.append(item)
            elif records_before is not None and item["status"] in FINISHED and item["updated_at"] < records_before:
                records.append(item)
        return media, records

    def expire(self, item_id: str, hours: int) -> None:
        """Delete an item's video at the end of its hours; an item not posted becomes "expired"."""
        self.drop_media(item_id)
        # Under way: the upload reads the file it already opened, and the item follows TikTok's answer.
        self.claim(
            item_id,
            ("queued", "failed"),
            status="expired",
            message=(
                f"Deleted without being posted: queued videos are kept {hours} hours at most. "
                "Queue it again to post it."
            ),
        )

    def sweep(self) -> int:
        """Delete videos no item owns (an add or erasure cut short) and stray temporary copies; return how many."""
        if not self.dir.is_dir():
            return 0
        removed = 0
        for path in list(self.dir.glob("*.media")) + list(self.dir.glob(".*.tmp")):
            item_id = path.name.lstrip(".").split(".")[0]
            # A temporary copy under an hour old may be an add still copying; an owned video is never touched.
            fresh = path.name.endswith(".tmp") and path.stat().st_mtime > time.time() - 3600
            if fresh or (path.suffix == ".media" and (self.dir / f"{item_id}.json").exists()):
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        return removed


def queue_of(records: object, queue: PostQueue | None = None) -> PostQueue | None:
    """The queue to purge or erase: the one given, else the records' own (`queue`), else the one in their data
    directory (the file backend's `dir`); None when the records have neither."""
    if queue is not None:
        return queue
    own = getattr(records, "queue", None)
    if isinstance(own, PostQueue):
        return own
    data_dir = getattr(records, "dir", None)
    return PostQueue(data_dir) if data_dir is not None else None


def _read(path: Path) -> dict | None:
    """Read one item file; None when it is gone (removed meanwhile) or not an item."""
    try:
        item = read_json(path, None)
    except (OSError, json.JSONDecodeError):
        return None
    return item if isinstance(item, dict) and "id" in item else None
