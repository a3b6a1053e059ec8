"""The upload host: `PUT <upload_url>` takes a FILE_UPLOAD's chunks, in order, as TikTok's media transfer guide says.

Each chunk carries `Content-Range: bytes FIRST-LAST/TOTAL` and a video Content-Type. Answers, in the open API's
JSON shape: 206 (more chunks due; the `Content-Range` header and data.range say what is in so far), 201 (every
byte is in), 400 invalid_params (a header missing or malformed, or a body of another length than its range),
416 range_not_satisfiable (TOTAL is not the init's video_size, or the chunk is not the one due next: chunks go
in order and each but the last is chunk_size long), 404 upload_not_found, 403 upload_url_expired.
The body is streamed: only a running SHA-256 and the first megabyte (for the duration check) are kept.
The platform reads MP4s with its own code, never callback.platform.media: a double sharing the client's parser would
agree with the client's bugs.
"""

from __future__ import annotations

import re
import struct
import time

from flask import Blueprint, request

from callback.sandbox.posts import HEAD_BYTES, Publish
from callback.sandbox.views import api_error, api_ok, faulted, state

bp = Blueprint("uploads", __name__)
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
BLOCK = 256 * 1024
EBML = b"\x1a\x45\xdf\xa3"  # the first bytes of a WebM file
FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide")  # what an MP4 or MOV file may open with


def _drain() -> None:
    """Read what is left of the body, so a refused chunk still gets its answer rather than a reset connection."""
    while request.stream.read(BLOCK):
        pass


def _refuse(code: str, message: str, status: int, pub: Publish | None = None):
    """Answer an upload error (a 416 says which total it expected, as HTTP has it)."""
    _drain()
    headers = {"Content-Range": f"bytes */{pub.video_size}"} if status == 416 and pub else {}
    return *api_error(code, message, status), headers


@bp.put("/upload/<upload_id>")
def upload(upload_id: str):
    """Take the next chunk of an upload."""
    posting = state().posting
    if (fault := faulted("upload")) is not None:
        _drain()
        return fault
    pub = posting.publishes.get(posting.uploads.get(upload_id, ""))
    if pub is None:
        return _refuse("upload_not_found", "No upload has this URL.", 404)
    if pub.upload_expires <= time.time():
        return _refuse("upload_url_expired", "The upload URL has expired: start a new publish.", 403)
    if request.mimetype not in VIDEO_TYPES:
        return _refuse("invalid_params", f"Content-Type must be one of {', '.join(VIDEO_TYPES)}.", 400)
    m = RANGE.match(request.headers.get("Content-Range", ""))
    if not m or int(m[1]) > int(m[2]) or int(m[2]) >= int(m[3]):
        return _refuse("invalid_params", "Content-Range must read bytes FIRST-LAST/TOTAL, FIRST <= LAST < TOTAL.", 400)
    first, last, total = int(m[1]), int(m[2]), int(m[3])
    length = last - first + 1
    if request.content_length is not None and request.content_length != length:
        return _refuse(
            "invalid_params",
            f"Content-Length {request.content_length} does not match Content-Range ({length} bytes).",
            400,
        )
    with state().lock:
        due = pub.next_range()
        if total != pub.video_size:
            problem = f"TOTAL {total} is not the video_size given at init ({pub.video_size})."
        elif pub.received == pub.video_size:
            problem = "Every byte is already in."
        elif pub.busy:
            problem = "Another chunk of this upload is still coming in."
        elif (first, last) != due:
            problem = (
                f"Expected bytes {due[0]}-{due[1]}/{total}: chunks go in order and each but the last is "
                f"chunk_size ({pub.chunk_size}) long."
            )
        else:
            problem, pub.busy = "", True
            digest, head = pub.digest.copy(), pub.head
    if problem:
        return _refuse("range_not_satisfiable", problem, 416, pub)
    try:
        got = 0
        while block := request.stream.read(BLOCK):
            got += len(block)
            if got > length:
                break
            digest.update(block)
            if len(head) < HEAD_BYTES:
                head += block[: HEAD_BYTES - len(head)]
    finally:
        with state().lock:
            pub.busy = False
    if got != length:
        return _refuse(
            "invalid_params",
            f"The body is {'longer' if got > length else f'{got} bytes'}, Content-Range says {length} bytes.",
            400,
        )
    with state().lock:
        pub.digest, pub.head, pub.received = digest, head, pub.received + length
        if pub.received == pub.video_size:
            _check(pub, state().users[pub.open_id].max_video_post_duration_sec)
        data = {"range": f"bytes 0-{pub.received - 1}/{pub.video_size}", "uploaded_bytes": pub.received}
    if pub.received == pub.video_size:
        return api_ok(data), 201
    return api_ok(data), 206, {"Content-Range": data["range"]}


def _check(pub: Publish, max_seconds: int) -> None:
    """Check a complete upload as TikTok does after the transfer: a video file, not longer than allowed."""
    head, pub.head = pub.head, b""  # kept only for this check
    if head[:4] != EBML and head[4:8] not in FIRST_BOXES:
        pub.outcome, pub.fail_reason = "fail", "file_format_check_failed"
    elif (seconds := mvhd_seconds(head)) is not None and seconds > max_seconds:
        pub.outcome, pub.fail_reason = "fail", "duration_check_failed"


def _boxes(data: bytes, pos: int, end: int):
    """Yield (type, payload start, box end) of the ISO boxes in data[pos:end], stopping at one it cannot size."""
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if size == 1 and pos + 16 <= end:  # a 64-bit size follows
            size, body = struct.unpack_from(">Q", data, pos + 8)[0], pos + 16
        if size < body - pos:  # 0 (up to the end of the file) or broken: nothing more to learn
            return
        yield kind, body, pos + size
        pos += size


def mvhd_seconds(head: bytes) -> float | None:
    """Return the duration an MP4's moov/mvhd states, if the moov lies within `head` (WebM: None)."""
    for kind, body, end in _boxes(head, 0, len(head)):
        if kind != b"moov":
            continue
        for child, start, _ in _boxes(head, body, min(end, len(head))):
            if child == b"mvhd" and head[start : start + 1] == b"\x01" and start + 32 <= len(head):
                scale, duration = struct.unpack_from(">IQ", head, start + 20)
            elif child == b"mvhd" and head[start : start + 1] == b"\x00" and start + 20 <= len(head):
                scale, duration = struct.unpack_from(">II", head, start + 12)
            else:
                continue
            return duration / scale if scale else None
    return None
