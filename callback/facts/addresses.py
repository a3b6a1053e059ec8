"""What the facts' addresses are: a strict URL and email shape, and whether a URL stays on this machine."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Facts are printed on pages: an address holds no space, quote, bracket or angle bracket.
EMAIL = re.compile(r"^[^@\s<>()\[\]\"'`;,\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
URL = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?([/?#][^\s<>\"'`()\\{}|^]*)?$")


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
