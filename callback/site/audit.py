"""Audit a built site: secrets that must never ship, and resources loaded from other hosts."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from pathlib import Path

from callback.facts.settings import read_env_file

# Variable names that hold secrets by convention; their values must never reach site/.
SECRET_NAME = re.compile(r"SECRET|KEY|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE", re.IGNORECASE)
MIN_SECRET_LEN = 8
# A TikTok token: "act." or "rft." then token characters. Real ones are long (act.1a2B...!4312.va); a
# short one still counts once it has a digit, which words and file names after "act." rarely have
# (react.js, contact.html, "the Act. Then"). Not after a letter, digit, "_", "." or "$": interact.x1,
# e.act.x1 and window_act.x1 are code, not tokens.
_TOKEN_BODY = rb"(?:[A-Za-z0-9*!._-]{16,}|(?=[A-Za-z*!._-]*[0-9])[A-Za-z0-9*!._-]{6,})"
# Shapes of secrets that give themselves away even when no variable names them.
# Each shape comes with a literal that must be present, a fast test before the regular expression.
SHAPES = {
    "TikTok access token (act.…)": (b"act.", re.compile(rb"(?<![A-Za-z0-9_.$])act\." + _TOKEN_BODY)),
    "TikTok refresh token (rft.…)": (b"rft.", re.compile(rb"(?<![A-Za-z0-9_.$])rft\." + _TOKEN_BODY)),
    "private key (PEM)": (b"PRIVATE KEY-----", re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")),
}
# Settings that name where a secret lives (SSL_KEY_FILE=/etc/ssl/key.pem), not the secret itself.
_PATH_NAME = re.compile(r"(FILE|PATH|DIR|DIRECTORY|LOCATION)S?$", re.IGNORECASE)


def _is_path(name: str, value: str) -> bool:
    """Tell whether a secret-named setting holds a file path rather than a secret."""
    if value.startswith(("./", "../", "~")):
        return True  # base64 and hex secrets never start so
    if not value.startswith("/"):
        return False
    # `openssl rand -base64` starts with "/" about once in 64 runs: a leading slash alone proves nothing.
    # Base64 never holds a ".", so a file name with an extension is a path; so is anything named or found so.
    if _PATH_NAME.search(name) or "." in value.rsplit("/", 1)[-1]:
        return True
    try:
        return os.path.exists(value)
    except (OSError, ValueError):
        return False


def _looks_secret(name: str, value: str) -> bool:
    return bool(SECRET_NAME.search(name)) and len(value) >= MIN_SECRET_LEN and not _is_path(name, value)


def secret_values(environ: Mapping[str, str] | None = None, dotenv: str | Path | None = None) -> dict[str, str]:
    """Collect secret values from the environment and a .env file, keyed by a label safe to print."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name, value in sorted(environ.items()):
        if _looks_secret(name, value):
            found[f"value of environment variable {name}"] = value
    if dotenv is not None:
        for name, value in read_env_file(dotenv).items():
            if _looks_secret(name, value) and value not in found.values():
                found[f"value of {name} from {Path(dotenv).name}"] = value
    return found


def _spellings(value: str) -> set[bytes]:
    """The ways a value can be written into HTML, JSON or plain text."""
    return {s.encode() for s in (value, html.escape(value), json.dumps(value)[1:-1])}


def find_secrets(site_dir: str | Path, secrets: Mapping[str, str] | Iterable[str] = ()) -> list[tuple[Path, str]]:
    """Return (file, kind) for each secret value or token-shaped string found in site_dir; never the secret."""
    labelled = list(secrets.items()) if isinstance(secrets, Mapping) else [("a secret value", s) for s in secrets]
    needles = [(label, _spellings(v)) for label, v in labelled if v]
    hits: list[tuple[Path, str]] = []
    for path in sorted(p for p in Path(site_dir).rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [(path, label) for label, forms in needles if any(f in data for f in forms)]
        hits += [(path, kind) for kind, (literal, shape) in SHAPES.items() if literal in data and shape.search(data)]
    return hits


def external(url: str) -> bool:
    """Tell whether a resource URL would make the browser contact another host."""
    return bool(re.match(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?//", url)) and not url.strip().startswith("file:")


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")
# Attributes whose URL the browser fetches by itself; <a href> is a link the visitor chooses to follow.
_FETCHED = {"src", "poster", "data", "background", "formaction"}
_LOADING_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
    "preconnect",
    "dns-prefetch",
    "prerender",
    "mask-icon",
}


class _Resources(HTMLParser):
    """Collect every URL an HTML page makes the browser load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.urls += [a[k] for k in _FETCHED if a.get(k)]
        for k in ("srcset", "imagesrcset"):
            self.urls += [part.split()[0] for part in a.get(k, "").split(",") if part.strip()]
        if tag == "link" and set(a.get("rel", "").lower().split()) & _LOADING_RELS:
            self.urls.append(a.get("href", ""))
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.urls.append(a.get("content", "").partition("url=")[2])
        self.urls += css_urls(a.get("style", ""))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls += css_urls(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def css_urls(css: str) -> list[str]:
    """Return the URLs a stylesheet loads through url() and @import."""
    return [a or b for a, b in _CSS_URL.findall(css)]


def page_resources(html_text: str) -> list[str]:
    """Return the URLs an HTML page loads by itself (scripts, styles, images, frames, fonts...)."""
    parser = _Resources()
    parser.feed(html_text)
    return [u for u in parser.urls if u]


def find_external(site_dir: str | Path) -> list[tuple[Path, str]]:
    """Return (file, url) for every resource in site_dir's HTML and CSS that another host would serve."""
    hits = []
    for path in sorted(Path(site_dir).rglob("*")):
        if path.suffix in (".html", ".htm"):
            urls = page_resources(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".css":
            urls = css_urls(path.read_text(encoding="utf-8", errors="replace"))
        else:
            continue
        hits += [(path, u) for u in urls if external(u)]
    return hits
