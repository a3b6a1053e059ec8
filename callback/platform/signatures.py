"""Pure signature checks over raw bytes: TikTok webhooks and Meta's signed_request."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re

HEADER = re.compile(r"^\s*t=(?P<t>\d{1,12})\s*,\s*s=(?P<s>[0-9a-fA-F]{64})\s*$")


class InvalidSignature(ValueError):
    """A signature check failed; `reason` says why in words safe to log (never the secret)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MissingSignature(InvalidSignature):
    """No signature was sent."""


class MalformedSignature(InvalidSignature):
    """The signature is not in the documented shape."""


class StaleSignature(InvalidSignature):
    """The signed timestamp is outside the accepted window (a replay or a wrong clock)."""


class ForgedSignature(InvalidSignature):
    """The signature does not match the body: tampered, or signed with another secret."""


class UnsupportedAlgorithm(InvalidSignature):
    """The signed payload names an algorithm other than HMAC-SHA256."""


def sign_tiktok(body: bytes, *, secret: str, timestamp: int) -> str:
    """Return the TikTok-Signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},s={mac.hexdigest()}"


def verify_tiktok(body: bytes, header: str | None, *, secret: str, tolerance: int, now: float) -> None:
    """Check a `TikTok-Signature: t=<ts>,s=<hex>` header over the raw body, or raise InvalidSignature."""
    if not header:
        raise MissingSignature("no TikTok-Signature header")
    if not secret:
        # An empty key would make every attacker's HMAC "valid"; refuse rather than accept.
        raise ForgedSignature("no client secret is configured")
    match = HEADER.match(header)
    if not match:
        raise MalformedSignature("TikTok-Signature is not 't=<unix time>,s=<64 hex digits>'")
    timestamp = int(match["t"])
    if abs(now - timestamp) > tolerance:
        age = now - timestamp  # positive: signed in the past (a replay); negative: the sender's clock runs ahead
        # Rounded up, so a timestamp just past the tolerance never reads as a number inside it.
        when = f"{math.ceil(abs(age))} s " + ("ago" if age > 0 else "from now")
        raise StaleSignature(f"signed {when}, outside the {tolerance} s tolerance")
    expected = sign_tiktok(body, secret=secret, timestamp=timestamp).partition(",s=")[2]
    if not hmac.compare_digest(expected, match["s"].lower()):
        raise ForgedSignature("signature does not match the body")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without '=' padding; raise MalformedSignature on anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text):
        raise MalformedSignature("not base64url")
    text = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedSignature("not base64url") from None


def b64url_encode(data: bytes, *, pad: bool = False) -> str:
    """Encode base64url, without padding unless asked (Meta sends it unpadded)."""
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


def sign_meta(payload: dict, *, secret: str, pad: bool = False) -> str:
    """Build a Meta `signed_request` for `payload` (the platform's side; tests and the demo use it)."""
    encoded = b64url_encode(json.dumps(payload, separators=(",", ":")).encode(), pad=pad)
    sig = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return b64url_encode(sig, pad=pad) + "." + encoded


def parse_meta(signed_request: str | None, *, secret: str) -> dict:
    """Verify a Meta `signed_request` (`<b64url sig>.<b64url payload>`) and return its payload."""
    if not signed_request:
        raise MissingSignature("no signed_request")
    if not secret:
        raise ForgedSignature("no app secret is configured")
    sig_part, dot, payload_part = signed_request.strip().partition(".")
    if not dot or not sig_part or not payload_part:
        raise MalformedSignature("signed_request is not '<signature>.<payload>'")
    sig = b64url_decode(sig_part)
    b64url_decode(payload_part)  # shape check before any crypto
    # The MAC covers the payload exactly as sent (padding included), never a re-encoding.
    expected = hmac.new(secret.encode(), payload_part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, sig):
        raise ForgedSignature("signature does not match the payload")
    try:
        payload = json.loads(b64url_decode(payload_part))
    except RecursionError:  # signed, yet nested only to exhaust the stack
        raise MalformedSignature("payload nests too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedSignature("payload is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedSignature("payload is not a JSON object")
    if str(payload.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise UnsupportedAlgorithm(f"algorithm must be HMAC-SHA256, got {str(payload.get('algorithm'))[:40]!r}")
    issued_at, user_id = payload.get("issued_at"), payload.get("user_id")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int):
        raise MalformedSignature("payload has no integer issued_at")
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)) or not 0 < len(str(user_id).strip()) <= 128:
        raise MalformedSignature("payload has no usable user_id")
    payload["user_id"] = str(user_id).strip()
    return payload
