"""The product's face: icon, tagline, audience, screenshots, a screen recording and features (`extra.app.product`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from callback.facts.fields import FieldReader

# A path under the docs directory, as the site serves it: no leading slash, no "..", no spaces or quotes.
_PATH = re.compile(r"^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}\Z")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
DEFAULT_COLOR = "#00695c"
# The developer portal's app icon is a PNG or JPEG; the site may show a lighter logo (an SVG) beside it.
ICON_TYPES = ("png", "jpg", "jpeg")
LOGO_TYPES = ("svg", "png", "jpg", "jpeg", "webp")
IMAGE_TYPES = ("png", "jpg", "jpeg", "webp", "gif", "svg")
VIDEO_TYPES = ("mp4", "webm")
KEYS = ("tagline", "category", "icon", "logo", "color", "audience", "screenshots", "recording", "features")


@dataclass(frozen=True)
class Screenshot:
    image: str
    caption: str
    alt: str = ""  # what the picture shows, for people who cannot see it; the caption when empty


@dataclass(frozen=True)
class Recording:
    file: str  # a short screen recording (mp4 or webm), played only when the visitor asks
    poster: str  # the still shown before it plays (and its size)
    caption: str


@dataclass(frozen=True)
class Feature:
    title: str
    text: str
    image: str = ""


@dataclass(frozen=True)
class Product:
    tagline: str = ""
    category: str = ""  # the developer portal's app category
    icon: str = ""  # the portal's app icon: square PNG/JPEG, at least 512 px
    logo: str = ""  # optional lighter mark for the pages (SVG welcome); the icon when empty
    color: str = DEFAULT_COLOR  # brand colour of the header, buttons and links (white text must read on it)
    audience: str = ""  # who the app is for, in the operator's words
    screenshots: tuple[Screenshot, ...] = ()
    recording: Recording | None = None
    features: tuple[Feature, ...] = ()

    @property
    def mark(self) -> str:
        """Return the image the pages show as the logo and favicon."""
        return self.logo or self.icon

    def images(self) -> list[tuple[str, str]]:
        """Return (key path under product, file) for every image or video these facts name."""
        out = [(k, getattr(self, k)) for k in ("icon", "logo") if getattr(self, k)]
        out += [(f"screenshots[{i}].image", s.image) for i, s in enumerate(self.screenshots)]
        if self.recording:
            out += [("recording.file", self.recording.file), ("recording.poster", self.recording.poster)]
        out += [(f"features[{i}].image", f.image) for i, f in enumerate(self.features) if f.image]
        return out


def read_product(r: FieldReader, app: dict, root: str = "extra.app") -> Product:
    """Read extra.app.product (optional) into a Product, naming the key path of each bad value."""
    path = f"{root}.product"
    data = r.get(app, root, "product", "map", default=None)
    if not isinstance(data, dict):
        return Product()
    _known(r, data, path, KEYS)
    color = r.get(data, path, "color", "str", default=DEFAULT_COLOR)
    if color and not _COLOR.match(color):
        r.fail(f"{path}.color", "must be a colour written #RRGGBB", color)
    elif color and contrast(color, "#ffffff") < 4.5:
        r.fail(
            f"{path}.color",
            f"is too light for white text on it (contrast {contrast(color, '#ffffff'):.1f}:1, "
            "needs 4.5:1): choose a darker colour",
            color,
        )
    return Product(
        tagline=r.get(data, path, "tagline", "str", default="", max_len=120),
        category=r.get(data, path, "category", "str", default="", max_len=60),
        icon=_file(r, data, path, "icon", ICON_TYPES, "a square PNG or JPEG, at least 512 px"),
        logo=_file(r, data, path, "logo", LOGO_TYPES, "an SVG, PNG, JPEG or WebP image"),
        color=(color or DEFAULT_COLOR).lower(),
        audience=r.get(data, path, "audience", "str", default="", max_len=300),
        screenshots=tuple(_screenshots(r, data, path)),
        recording=_recording(r, data, path),
        features=tuple(_features(r, data, path)),
    )


def _known(r: FieldReader, data: dict, path: str, keys: tuple[str, ...]) -> None:
    for key in data:
        if key not in keys:
            r.fail(f"{path}.{key}", f"is not a known key (known: {', '.join(sorted(keys))})", show=False)


def _file(
    r: FieldReader, data: dict, path: str, key: str, types: tuple[str, ...], what: str, required: bool = False
) -> str:
    value = r.get(data, path, key, "str", **({} if required else {"default": ""}))
    if not value:
        return ""
    if not _PATH.match(value) or value.rsplit(".", 1)[-1].lower() not in types:
        r.fail(
            f"{path}.{key}",
            f"must be {what}: a file under docs/ such as assets/{key}.{types[0]}, ending in .{', .'.join(types)}",
            value,
        )
        return ""
    return value


def _items(r: FieldReader, data: dict, path: str, key: str, most: int) -> list[tuple[str, dict]]:
    """Return (path, mapping) for each item of a list of mappings, refusing anything else."""
    items = r.get(data, path, key, "list", default=[]) or []
    if len(items) > most:
        r.fail(f"{path}.{key}", f"may hold at most {most} items, got {len(items)}", show=False)
    out = []
    for i, item in enumerate(items[:most]):
        where = f"{path}.{key}[{i}]"
        if isinstance(item, dict):
            out.append((where, item))
        else:
            r.fail(where, "must be a mapping", item)
    return out


def _screenshots(r: FieldReader, data: dict, path: str) -> list[Screenshot]:
    out = []
    for where, item in _items(r, data, path, "screenshots", 8):
        _known(r, item, where, ("image", "caption", "alt"))
        out.append(
            Screenshot(
                _file(r, item, where, "image", IMAGE_TYPES, "an image", required=True),
                r.get(item, where, "caption", "str", max_len=200) or "",
                r.get(item, where, "alt", "str", default="", max_len=300),
            )
        )
    return out


def _recording(r: FieldReader, data: dict, path: str) -> Recording | None:
    item = r.get(data, path, "recording", "map", default=None)
    if not isinstance(item, dict):
        return None
    where = f"{path}.recording"
    _known(r, item, where, ("file", "poster", "caption"))
    return Recording(
        _file(r, item, where, "file", VIDEO_TYPES, "a short video", required=True),
        _file(r, item, where, "poster", IMAGE_TYPES, "an image", required=True),
        r.get(item, where, "caption", "str", max_len=200) or "",
    )


def _features(r: FieldReader, data: dict, path: str) -> list[Feature]:
    out = []
    for where, item in _items(r, data, path, "features", 12):
        _known(r, item, where, ("title", "text", "image"))
        out.append(
            Feature(
                r.get(item, where, "title", "str", max_len=80) or "",
                r.get(item, where, "text", "str", max_len=600) or "",
                _file(r, item, where, "image", IMAGE_TYPES, "an image"),
            )
        )
    return out


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two #RRGGBB colours."""

    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def words(product: Product, description: str) -> int:
    """Count the words the operator wrote about the app: description, tagline, audience, features, captions."""
    parts: list[Any] = [description, product.tagline, product.audience]
    parts += [f"{f.title} {f.text}" for f in product.features] + [s.caption for s in product.screenshots]
    return len(re.findall(r"\w+", " ".join(p for p in parts if p)))
