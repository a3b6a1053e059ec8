"""Read an image's kind and pixel size from its first bytes, with the standard library only."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

# JPEG start-of-frame markers carry the size; C4 (Huffman tables), C8 and CC (arithmetic coding) do not.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")
MIME = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "svg": "image/svg+xml",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "webm": "video/webm",
}


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # png, jpeg, svg, webp or gif
    width: int
    height: int

    @property
    def square(self) -> bool:
        return self.width == self.height


def image_info(data: bytes) -> ImageInfo | None:
    """Return the kind and size of a PNG, JPEG, SVG, WebP or GIF image, or None if it is none of them."""
    for reader in (_png, _jpeg, _webp, _gif, _svg):
        found = reader(data)
        if found is not None:
            return found
    return None


def _png(data: bytes) -> ImageInfo | None:
    # The signature, then the IHDR chunk: length, type, width and height as big-endian 32-bit numbers.
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return ImageInfo("png", width, height)


def _jpeg(data: bytes) -> ImageInfo | None:
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return ImageInfo("jpeg", width, height)
        at += 2 + length
    return None


def _webp(data: bytes) -> ImageInfo | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas size minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8L":  # lossless: 14 bits each, minus one
        bits = int.from_bytes(data[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8 ":  # lossy: 14 bits each after the frame tag
        width, height = struct.unpack("<HH", data[26:30])
        width, height = width & 0x3FFF, height & 0x3FFF
    else:
        return None
    return ImageInfo("webp", width, height)


def _gif(data: bytes) -> ImageInfo | None:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 10:
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return ImageInfo("gif", width, height)


def _svg(data: bytes) -> ImageInfo | None:
    """Size an SVG by its root's width and height (in px), else by its viewBox."""
    root = _SVG_ROOT.search(data[:4096])
    if root is None:
        return None
    attrs = dict(re.findall(r'([A-Za-z:-]+)\s*=\s*"([^"]*)"', root.group(0).decode("utf-8", "replace")))
    width, height = (_LENGTH.match(attrs.get(k, "")) for k in ("width", "height"))
    if width and height:
        return ImageInfo("svg", round(float(width[1])), round(float(height[1])))
    box = attrs.get("viewBox", "").replace(",", " ").split()
    try:
        w, h = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return None
    return ImageInfo("svg", round(w), round(h)) if w > 0 and h > 0 else None
