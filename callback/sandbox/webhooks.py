"""Signed webhook deliveries, built the way TikTok builds them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests


def signature(client_secret: str, timestamp: int, raw_body: bytes) -> str:
    """Return the `TikTok-Signature` header value for a body sent at `timestamp`."""
    mac = hmac.new(client_secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256)
    return f"t={timestamp},s={mac.hexdigest()}"


def webhook_body(client_key: str, event: str, user_openid: str, content: dict, create_time: int) -> bytes:
    """Return the raw JSON body of one event (`content` travels as a JSON string)."""
    return json.dumps(
        {
            "client_key": client_key,
            "event": event,
            "create_time": create_time,
            "user_openid": user_openid,
            "content": json.dumps(content),
        }
    ).encode()


def send_webhook(
    url: str,
    client_key: str,
    client_secret: str,
    event: str,
    user_openid: str,
    content: dict,
    timestamp: int | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """POST one signed event to `url` and return the response."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    body = webhook_body(client_key, event, user_openid, content, ts)
    headers = {"Content-Type": "application/json", "TikTok-Signature": signature(client_secret, ts, body)}
    return requests.post(url, data=body, headers=headers, timeout=timeout)


def deliver(state, client, event: str, user_openid: str, content: dict, url: str | None = None) -> dict:
    """Send a signed event for `client` and remember the outcome in `state.webhooks`."""
    url = url or client.webhook_url
    if not url:
        return {"error": "no webhook URL registered for this app"}
    try:
        status: int | str = send_webhook(url, client.key, client.secret, event, user_openid, content).status_code
    except requests.RequestException as exc:
        status = f"failed: {type(exc).__name__}"
    record = {"event": event, "user_openid": user_openid, "url": url, "status": status}
    with state.lock:
        state.webhooks.append(record)
    return record
