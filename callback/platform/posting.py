"""TikTok's Content Posting API: chunk plans, init (direct post or inbox), streamed chunked uploads, status.

Chunk rules (TikTok's media transfer guide): a video under 5 MB goes whole; otherwise chunks are 5-64 MB,
total_chunk_count = video_size // chunk_size (1 to 1000), the last chunk takes the remainder (so it stays
under 128 MB), and a video over 64 MB goes in at least two chunks. Every call has a timeout; a chunk is
read from disk in blocks as it is sent, so memory does not grow with the file.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from callback.platform.posting_errors import UNAUDITED_NOTE, explain
from callback.platform.tiktok import PlatformError, TikTok

__all__ = [
    "DEFAULT_CHUNK",
    "FINAL",
    "MAX_CHUNK",
    "MAX_CHUNKS",
    "MAX_LAST",
    "MIN_CHUNK",
    "UNAUDITED_NOTE",
    "chunk_plan",
    "explain",
    "fetch_status",
    "init_post",
    "upload",
]

MB = 1024 * 1024
MIN_CHUNK = 5 * MB
MAX_CHUNK = 64 * MB
MAX_LAST = 128 * MB
MAX_CHUNKS = 1000
DEFAULT_CHUNK = 10 * MB
BLOCK = MB  # what is read from disk and handed to the socket at a time
FINAL = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX", "FAILED")
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}


def chunk_plan(size: int, chunk: int = DEFAULT_CHUNK) -> tuple[int, int]:
    """Return (chunk_size, total_chunk_count) for a video of `size` bytes by TikTok's rules."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError("the video is empty")
    if size < MIN_CHUNK:
        return size, 1
    c = min(max(int(chunk), MIN_CHUNK), MAX_CHUNK)
    if size <= c:
        return size, 1
    c = min(max(c, -(-size // MAX_CHUNKS)), MAX_CHUNK)  # no more than 1000 chunks: bigger ones for a big file
    if size // c > MAX_CHUNKS:
        raise ValueError(
            f"the video is too large to upload ({size / MB / 1024:.1f} GB): TikTok takes at most "
            f"{MAX_CHUNKS} chunks of {MAX_CHUNK // MB} MB"
        )
    if size > MAX_CHUNK and size // c < 2:  # over 64 MB never goes in one piece
        c = size // 2
    return c, size // c


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"}


def init_post(
    client: TikTok, token: str, *, inbox: bool, post_info: dict | None, size: int | None = None, url: str | None = None
) -> dict:
    """Start a direct post (or an inbox upload) of a file of `size` bytes or of `url`; return TikTok's data.

    The answer holds publish_id, and upload_url for a file (plus the chunk_size and total_chunk_count sent).
    """
    if (size is None) == (url is None):
        raise ValueError("give exactly one of size (FILE_UPLOAD) or url (PULL_FROM_URL)")
    source: dict[str, object]  # TikTok's source_info, sent as JSON
    if size is None:
        source = {"source": "PULL_FROM_URL", "video_url": url}
    else:
        chunk_size, count = chunk_plan(size)
        source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk_size, "total_chunk_count": count}
    body = {"source_info": source}
    if not inbox:
        body["post_info"] = dict(post_info or {})
    path = "/v2/post/publish/inbox/video/init/" if inbox else "/v2/post/publish/video/init/"
    # A pulled URL is posted by init alone: init is never repeated after a doubtful answer, or the video
    # could go out twice. A file's init only reserves an upload, so repeating it is harmless.
    call = client._once if url is not None else lambda m, p, **kw: client._call(m, p, "video init", **kw)
    data = call("POST", path, json=body, headers=_auth(token)).get("data") or {}
    if not data.get("publish_id") or (url is None and not data.get("upload_url")):
        raise PlatformError("invalid_response", "init answered without a publish_id or upload_url")
    if url is None:
        data.update(chunk_size=source["chunk_size"], total_chunk_count=source["total_chunk_count"])
    return data


class _Chunk:
    """One chunk of a file, handed to requests as an iterable of known length (read as it is sent)."""

    def __init__(self, path: Path, first: int, length: int):
        self.path, self.first, self.length = path, first, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            f.seek(self.first)
            left = self.length
            while left:
                block = f.read(min(BLOCK, left))
                if not block:
                    raise OSError(f"{self.path} shrank while it was being uploaded")
                left -= len(block)
                yield block


def upload(
    client: TikTok,
    upload_url: str,
    path: Path,
    size: int,
    chunk_size: int,
    count: int,
    progress: Callable[[int], object] | None = None,
) -> None:
    """PUT a file to upload_url in `count` chunks, in order, each with its Content-Range; report bytes sent."""
    path = Path(path)
    mime = VIDEO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "video/mp4"
    for i in range(count):
        first = i * chunk_size
        last = size - 1 if i == count - 1 else first + chunk_size - 1  # the last chunk takes the remainder
        headers = {
            "Content-Type": mime if mime.startswith("video/") else "video/mp4",
            "Content-Length": str(last - first + 1),
            "Content-Range": f"bytes {first}-{last}/{size}",
        }
        _put(client, upload_url, _Chunk(path, first, last - first + 1), headers, done=last == size - 1)
        if progress is not None:
            progress(last + 1)


def _put(client: TikTok, url: str, chunk: _Chunk, headers: dict, done: bool) -> None:
    """Send one chunk, retrying what a retry can cure (no answer, 5xx) as the client's other calls do."""
    for attempt in range(client.retries + 1):
        try:
            _put_once(client, url, chunk, headers, done)
            return
        except PlatformError as exc:
            if not exc.retryable or attempt == client.retries:
                raise
            time.sleep(min(client.backoff * 2**attempt, 30.0))


def _put_once(client: TikTok, url: str, chunk: _Chunk, headers: dict, done: bool) -> None:
    """Send one chunk and read TikTok's answer: 206 while chunks are due, 201 once every byte is in."""
    r = client.send("PUT", url, failing="could not send a chunk", data=chunk, headers=headers)
    try:
        body = r.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and err.get("code") not in (None, "ok"):
        raise PlatformError(err["code"], err.get("message", ""), err.get("log_id", ""), r.status_code)
    if r.status_code >= 400:
        raise PlatformError(
            "server_error" if r.status_code >= 500 else "http_error", f"HTTP {r.status_code}", status=r.status_code
        )
    if done and r.status_code not in (200, 201):
        raise PlatformError(
            "upload_incomplete", f"the last chunk was answered {r.status_code}, not 201", status=r.status_code
        )


def fetch_status(client: TikTok, token: str, publish_id: str) -> dict:
    """Return where a publish stands: status, fail_reason, publicaly_available_post_id (TikTok's spelling)."""
    body = client._call(
        "POST", "/v2/post/publish/status/fetch/", "post status", json={"publish_id": publish_id}, headers=_auth(token)
    )
    return body.get("data") or {}
