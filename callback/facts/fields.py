"""Typed reading of a parsed YAML mapping: one clear message per bad key, naming its full path."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from typing import Any

from callback.facts.addresses import EMAIL, LINK_SCHEMES, URL, is_loopback, link_scheme, safe_link

# Raw HTML in Markdown: a tag, closing tag, comment or processing instruction. An http(s) autolink
# (<https://...>) is Markdown, not HTML, and stays allowed.
_HTML = re.compile(r"<(?!https?://[^<>\s]*>)[A-Za-z/!?]")
# Where Markdown reads a link target: inline [text](target) and reference definitions [id]: target. The
# whole rest is taken, spaces included: a browser drops the tab in "java\tscript:".
_LINK = re.compile(r"\]\s*\(([^)]*)|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*\n?([^\n]*)", re.M)
# attr_list's {...} sets any attribute, onclick= included.
_ATTRIBUTES = re.compile(r"\{[^}\n]*\}")


class FieldReader:
    """Walk a parsed mapping, collecting one clear message per bad key."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str, value: Any = None, show: bool = True) -> None:
        got = f", got {_show(value)}" if show else ""
        self.problems.append(f"{path}: {message}{got}")

    def known(self, data: Any, path: str, keys: Iterable[str], what: str = "a known key") -> None:
        """Refuse every key of `data` not in `keys`, naming its path and the nearest known key."""
        # A typo must never pass silently: `encrypt_token: true` would leave the promise of encryption unkept.
        if not isinstance(data, dict):
            return
        keys = list(keys)
        for key in data:
            name = str(key)
            if name in keys:
                continue
            near = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}? " if near else ""
            self.fail(f"{path}.{name}", f"is not {what} ({hint}known: {', '.join(sorted(keys))})", show=False)

    def choice(self, data: dict, path: str, key: str, options: Iterable[str], default: str) -> str:
        """Read data[key] as one of `options` (default when absent), suggesting the nearest on a typo."""
        options = list(options)
        value = self.get(data, path, key, "str", default=default)
        if value is not None and value not in options:
            near = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            self.fail(f"{path}.{key}", f"must be one of {', '.join(options)}{hint}", value)
            return default
        return value if value is not None else default

    def get(self, data: dict, path: str, key: str, kind: str, default: Any = ..., **rules: Any) -> Any:
        """Read data[key] as `kind`: str, text, markdown, int, bool, date, email, url, list or map."""
        full = f"{path}.{key}"
        if not isinstance(data, dict) or key not in data or data[key] is None:
            if default is ...:
                self.fail(full, f"is required ({_KINDS[kind]})", show=False)
                return None
            return default
        value = data[key]
        check = getattr(self, "_" + kind)
        return check(full, value, **rules)

    def _str(self, path: str, value: Any, max_len: int = 200) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string", value)
            return None
        if len(value) > max_len:
            self.fail(path, f"must be at most {max_len} characters, got {len(value)}", show=False)
            return None
        return value.strip()

    def _text(self, path: str, value: Any) -> str | None:
        return self._str(path, value, max_len=5000)

    def _markdown(self, path: str, value: Any) -> str | None:
        """Read Markdown that the pages print as it is: no raw HTML, no attribute lists, no script links."""
        text = self._text(path, value)
        if text is None:
            return None
        problems = []
        if _HTML.search(text):
            problems.append("must not contain raw HTML (write Markdown; for a literal < put a space after it)")
        if _ATTRIBUTES.search(text):
            problems.append("must not contain attribute lists such as {: .class } or {onclick=...}")
        for target in (a or b for a, b in _LINK.findall(text)):
            if not safe_link(target):
                problems.append(
                    f"a link may lead only to an {', '.join(LINK_SCHEMES)} address or a page of "
                    f"this site, not {link_scheme(target)}:"
                )
        for problem in dict.fromkeys(problems):
            self.fail(path, problem, show=False)
        return None if problems else text

    def _int(self, path: str, value: Any, low: int = 1, high: int = 100000) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            word = "a positive integer" if low == 1 else f"an integer from {low} to {high}"
            self.fail(path, f"must be {word}", value)
            return None
        if not low <= value <= high:
            self.fail(path, f"must be from {low} to {high}", value)
            return None
        return value

    def _days(self, path: str, value: Any, word: str, low: int = 1, high: int = 100000) -> int | None:
        """Read a number of days, or `word` (such as until_revoked) for no time limit, returned as None."""
        if value == word:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{path}: must be a positive integer, got {_show(value)} (or {word} for no limit)")
            return low
        if not low <= value <= high:
            self.fail(path, f"must be from {low} to {high}", value)
            return low
        return value

    def _bool(self, path: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false", value)
            return None
        return value

    def _date(self, path: str, value: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(path, "must be a date written YYYY-MM-DD", value)
            return None

    def _email(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not EMAIL.match(value.strip()):
            self.fail(path, "must be an email address", value)
            return None
        return value.strip()

    def _url(self, path: str, value: Any, https: bool = True, strip: bool = True) -> str | None:
        if not isinstance(value, str) or not URL.match(value):
            self.fail(path, "must be an absolute URL (no spaces, quotes or brackets)", value)
            return None
        if https and not value.startswith("https://") and not is_loopback(value):
            self.fail(path, "must start with https:// (app review needs https)", value)
            return None
        return value.rstrip("/") if strip else value  # a redirect URI must match the portal's byte for byte

    def _list(self, path: str, value: Any) -> list | None:
        if not isinstance(value, list):
            self.fail(path, "must be a list", value)
            return None
        return value

    def _map(self, path: str, value: Any) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of keys to values", value)
            return None
        return value


_KINDS = {
    "str": "a non-empty string",
    "text": "a non-empty string",
    "markdown": "a non-empty string of Markdown",
    "int": "a positive integer",
    "bool": "true or false",
    "date": "a date written YYYY-MM-DD",
    "email": "an email address",
    "url": "an absolute https URL",
    "list": "a list",
    "map": "a mapping",
    "days": "a number of days",
}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + (value if len(value) < 60 else value[:57] + "...") + '"'
    if isinstance(value, (dict, list)):
        return "a " + ("mapping" if isinstance(value, dict) else "list")
    return repr(value)
