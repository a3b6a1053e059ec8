"""Read an MP4's duration from its `mvhd` box, and write tiny but valid MP4 files for tests and the demo."""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

BLOCK = 1024 * 1024
MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)  # identity, as players expect


def _boxes(f: BinaryIO, start: int, end: int | None):
    """Yield (type, payload offset, payload size) of the boxes between `start` and `end` (None: end of file)."""
    pos = start
    while end is None or pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        skip = 8
        if size == 1:  # a 64-bit size follows the type (boxes over 4 GB)
            large = f.read(8)
            if len(large) < 8:
                raise ValueError("not an MP4: truncated box header")
            size, skip = struct.unpack(">Q", large)[0], 16
        elif size == 0:  # the box runs to the end of the file (or of its parent)
            size = (end if end is not None else f.seek(0, os.SEEK_END)) - pos
        if size < skip:  # also stops a zero 64-bit size from looping forever
            raise ValueError(f"not an MP4: bad box size at byte {pos}")
        yield kind, pos + skip, size - skip
        pos += size


def _duration(f: BinaryIO) -> float:
    """Find moov/mvhd among the top-level boxes and return its duration in seconds."""
    for kind, offset, size in _boxes(f, 0, None):
        if kind != b"moov":
            continue
        for child, body, length in _boxes(f, offset, offset + size):
            if child != b"mvhd":
                continue
            f.seek(body)
            data = f.read(min(length, 32))
            if data[:1] == b"\x01" and len(data) >= 32:  # version 1: 64-bit times and duration
                scale, duration = struct.unpack(">IQ", data[20:32])
            elif data[:1] == b"\x00" and len(data) >= 20:
                scale, duration = struct.unpack(">II", data[12:20])
            else:
                raise ValueError("not an MP4: unreadable mvhd box")
            if not scale:
                raise ValueError("not an MP4: mvhd timescale is 0")
            return duration / scale
        raise ValueError("not an MP4: moov has no mvhd box")
    raise ValueError("not an MP4: no moov box")


def mp4_duration(path: str | os.PathLike | BinaryIO) -> float:
    """Return the duration in seconds of an MP4 file (a path or a seekable binary file), from its mvhd box."""
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            return _duration(f)
    return _duration(path)


def _box(kind: bytes, payload: bytes) -> bytes:
    """Return one box: size, type, payload."""
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _mvhd(seconds: float, scale: int = 1000) -> bytes:
    """Return a movie header box stating `seconds` (version 1 when milliseconds overflow 32 bits)."""
    duration = round(seconds * scale)
    if duration < 2**32:
        times = struct.pack(">BxxxIIII", 0, 0, 0, scale, duration)
    else:
        times = struct.pack(">BxxxQQIQ", 1, 0, 0, scale, duration)
    rest = struct.pack(">IH10x", 0x10000, 0x100) + MATRIX + bytes(24) + struct.pack(">I", 2)
    return _box(b"mvhd", times + rest)


def sample_mp4(path: str | os.PathLike, seconds: float = 5.0, size: int | None = None) -> int:
    """Write an MP4 (ftyp, moov/mvhd of `seconds`, mdat) padded to `size` bytes; return its size."""
    head = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41") + _box(b"moov", _mvhd(seconds))
    if size is not None and size < len(head) + 8:
        raise ValueError(f"size must be at least {len(head) + 8} bytes")
    wide = (size or 0) - len(head) >= 2**32  # mdat needs a 64-bit size past 4 GB
    body = max(0, (size or 0) - len(head) - (16 if wide else 8))
    with open(path, "wb") as f:
        f.write(head)
        f.write(struct.pack(">I4sQ", 1, b"mdat", 16 + body) if wide else struct.pack(">I4s", 8 + body, b"mdat"))
        block, left = bytes(min(body, BLOCK)), body
        while left:  # in blocks, so a 200 MB sample never sits in memory
            f.write(block[: min(left, BLOCK)])
            left -= min(left, BLOCK)
    return len(head) + (16 if wide else 8) + body
