"""TikTok webhook events: check a signed body's shape, identify it, and name what it means."""

from __future__ import annotations

import hashlib
import hmac
import json

# authorization.removed `content.reason`, worded as the platform contract defines it.
REMOVAL_REASONS = {
    0: "unknown reason",
    1: "the user disconnected the app",
    2: "the user deleted their TikTok account",
    3: "the user's age changed",
    4: "the account was banned",
    5: "the developer revoked the authorization",
}
# TikTok's events nest two or three levels. A deeper one can only be built to exhaust the stack: refused before
# it reaches event_id() or the receipt log, which would have to encode and decode it again.
MAX_DEPTH = 32
# One encoder for every event: json.dumps builds a new one on each call that passes options.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class BadEvent(ValueError):
    """A correctly signed body that is not a TikTok event."""


def _loads(text: str | bytes, what: str) -> object:
    """Decode JSON nested at most MAX_DEPTH deep, or raise BadEvent naming `what`."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadEvent(f"{what} nests too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise BadEvent(f"{what} is not JSON") from None
    # Every level opens a bracket: with few of them (every real event) the walk cannot find too many.
    brackets = text.count("{") + text.count("[") if isinstance(text, str) else text.count(b"{") + text.count(b"[")
    if brackets > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise BadEvent(f"{what} nests too deeply")
    return value


def depth(value: object) -> int:
    """Count how deeply lists and objects nest in a decoded JSON value, without recursing."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_event(body: bytes, *, client_key: str) -> dict:
    """Check a webhook body and return it with `content` decoded, or raise BadEvent saying what is wrong."""
    data = _loads(body, "the body")
    if not isinstance(data, dict):
        raise BadEvent("the body is not a JSON object")
    for key in ("client_key", "event", "user_openid"):
        if not isinstance(data.get(key), str) or len(data[key]) > 256:
            raise BadEvent(f"{key} must be a string")
    if not data["event"]:
        raise BadEvent("event must not be empty")
    if not hmac.compare_digest(data["client_key"].encode(), client_key.encode()):
        raise BadEvent("client_key is not this app's")
    ctime = data.get("create_time")
    if isinstance(ctime, bool) or not isinstance(ctime, int) or not 0 <= ctime < 10**11:
        raise BadEvent("create_time must be a unix time in seconds")
    content = data.get("content", "{}")
    if isinstance(content, str):
        content = _loads(content or "{}", "content")
    if not isinstance(content, dict):
        raise BadEvent("content must encode a JSON object")
    return {**data, "content": content}


def event_id(event: dict) -> str:
    """Identify an event by what it says, not by its bytes, so a re-serialised redelivery still matches."""
    canon = _CANONICAL.encode([event["event"], event["user_openid"], event["create_time"], event["content"]])
    return hashlib.sha256(canon.encode()).hexdigest()
