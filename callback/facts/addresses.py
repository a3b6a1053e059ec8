"""What the facts' addresses are: a strict URL and email shape, safe link targets, and loopback URLs."""

from __future__ import annotations

import html
import ipaddress
import re
from urllib.parse import urlsplit

# Facts are printed on pages as written, in Markdown text, link targets, code spans and HTML attributes.
# So an address holds none of the characters those read as markup: no space, quote, bracket, brace, pipe,
# backtick, asterisk or angle bracket. The local part keeps to what real mailboxes use. \Z, not $: "$"
# would accept a trailing newline.
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\Z")
URL = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?([/?#][^\s<>\"'`()\\{}|^*]*)?\Z")
# Link schemes a page may carry; anything else (javascript:, data:, vbscript:, file:...) is refused.
LINK_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
# What a browser drops from a URL before reading its scheme: controls, spaces, and (for us) backslashes.
_IGNORED = re.compile(r"[\x00-\x20\x7f\\]+")


def link_scheme(target: str) -> str:
    """Return the scheme a browser would read from a link target ("" for a link within the site)."""
    # Entities are decoded in attributes (&#106;avascript:), so judge the target as the browser will see it.
    seen = _IGNORED.sub("", html.unescape(html.unescape(target))).lstrip("<").lower()  # <target> is Markdown too
    found = _SCHEME.match(seen)
    return found[1] if found else ""


def safe_link(target: str) -> bool:
    """Tell whether a link target leads to a web or mail address, or to a page of this site."""
    return link_scheme(target) in ("", *LINK_SCHEMES)


def is_loopback(url: str) -> bool:
    """True for http(s) URLs on this machine (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
