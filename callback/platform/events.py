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
class BadEvent(ValueError):
    """A correctly signed body that is not a TikTok event."""


def parse_event(body: bytes, *, client_key: str) -> dict:
    """Check a webhook body and return it with `content` decoded, or raise BadEvent saying what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadEvent("the body is not JSON") from None
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
        try:
            content = json.loads(content or "{}")
        except ValueError:
            raise BadEvent("content is not a JSON string") from None
    if not isinstance(content, dict):
        raise BadEvent("content must encode a JSON object")
    return {**data, "content": content}


def event_id(event: dict) -> str:
    """Identify an event by what it says, not by its bytes, so a re-serialised redelivery still matches."""
    canon = json.dumps([event["event"], event["user_openid"], event["create_time"], event["content"]],
                       sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()
