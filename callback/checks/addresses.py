"""URL questions the checks ask: is it the same host, is it the same page."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from callback.facts.addresses import is_loopback

__all__ = ["is_loopback", "origin", "same_page"]


def origin(url: str) -> str:
    """Return scheme://host[:port] of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_page(a: str, b: str) -> bool:
    """True when two absolute URLs name the same page (ignoring fragment, query and index.html)."""
    return _page(a) == _page(b)


def _page(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"  # MkDocs serves /privacy and /privacy/ as the same page
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))
