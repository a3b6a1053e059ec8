"""The site under check: a local build directory or a deployed URL, read the same way."""

from __future__ import annotations

import contextlib
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from callback.checks.addresses import origin
from callback.site.static import serve_directory

TIMEOUT = (5, 15)  # connect, read: a review site that takes longer is broken anyway
MAX_BYTES = 5 * 1024 * 1024
CRAWL_LIMIT = 80  # resources fetched from a deployed site to scan it
TEXT_TYPES = (".html", ".htm", ".css", ".js", ".json", ".txt", ".xml", ".svg", ".map", ".webmanifest")


@dataclass
class Response:
    url: str
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    error: str = ""  # why the resource could not be read at all

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    @property
    def redirect(self) -> bool:
        return 300 <= self.status < 400


class Site:
    """What every site offers the checks."""

    label: str
    local: bool

    def get(self, path: str) -> Response:
        """Read one path under the site root."""
        raise NotImplementedError

    def url(self, path: str) -> str:
        """Name a path for messages (a URL, or a file for a local build)."""
        raise NotImplementedError

    def walk(self) -> Iterator[tuple[str, Response]]:
        """Yield every text resource of the site (HTML, CSS, JS, JSON, ...)."""
        raise NotImplementedError

    @contextlib.contextmanager
    def served(self) -> Iterator[str]:
        """Yield an http(s) base URL a browser can load the site from."""
        raise NotImplementedError


class LocalSite(Site):
    """A built site directory (MkDocs' `site/`), read from disk without any network."""

    local = True

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.label = str(root)

    def exists(self) -> bool:
        return self.root.is_dir()

    def file(self, path: str) -> Path | None:
        """Map a URL path to the file a static host would serve, or None."""
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def get(self, path: str) -> Response:
        found = self.file(path)
        if found is None:
            return Response(self.url(path), 404, error="file not found")
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return Response(self.url(path), 200, found.read_bytes(), {"content-type": kind})

    def url(self, path: str) -> str:
        return str(self.root / path.lstrip("/"))

    def walk(self) -> Iterator[tuple[str, Response]]:
        for file in sorted(self.root.rglob("*")):
            if file.is_file() and file.suffix.lower() in TEXT_TYPES:
                rel = file.relative_to(self.root).as_posix()
                yield rel, self.get(rel)

    @contextlib.contextmanager
    def served(self) -> Iterator[str]:
        with serve_directory(self.root) as base:
            yield base


class RemoteSite(Site):
    """A deployed site, fetched with requests: timeouts always, redirects never followed."""

    local = False

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/") + "/"
        self.label = self.base
        self._cache: dict[str, Response] = {}

    def get(self, path: str) -> Response:
        url = urljoin(self.base, path.lstrip("/"))
        if url not in self._cache:
            self._cache[url] = fetch(url)
        return self._cache[url]

    def url(self, path: str) -> str:
        return urljoin(self.base, path.lstrip("/"))

    def walk(self) -> Iterator[tuple[str, Response]]:
        """Crawl the site from its landing page (same host only, at most CRAWL_LIMIT resources)."""
        from callback.checks.html import parse
        from callback.site.audit import css_urls, page_resources

        todo, seen = [""], set[str]()
        while todo and len(seen) < CRAWL_LIMIT:
            path = todo.pop(0)
            if path in seen:
                continue
            seen.add(path)
            resp = self.get(path)
            if resp.status != 200:
                continue
            yield path, resp
            kind = resp.content_type
            if "html" in kind:
                found = parse(resp.text).links + page_resources(resp.text)
            elif "css" in kind:
                found = css_urls(resp.text)
            else:
                continue
            for link in found:
                absolute = urljoin(resp.url, link).split("#")[0].split("?")[0]
                if absolute.startswith(self.base) and origin(absolute) == origin(self.base):
                    todo.append(absolute[len(self.base) :])

    @contextlib.contextmanager
    def served(self) -> Iterator[str]:
        yield self.base


def fetch(url: str, method: str = "GET", **kwargs) -> Response:
    """Request a URL without following redirects; network errors become a Response with `error`."""
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        with requests.request(method, url, allow_redirects=False, stream=True, **kwargs) as r:
            body = r.raw.read(MAX_BYTES + 1, decode_content=True)
            headers = {k.lower(): v for k, v in r.headers.items()}
            return Response(url, r.status_code, body[:MAX_BYTES], headers)
    except requests.RequestException as exc:
        return Response(url, 0, error=f"could not reach {url}: {type(exc).__name__}")


def open_site(where: str | None, default: str | Path = "site") -> Site:
    """Return the site named on the command line: an http(s) URL, or a build directory."""
    if where and urlsplit(where).scheme in ("http", "https"):
        return RemoteSite(where)
    return LocalSite(where or default)
