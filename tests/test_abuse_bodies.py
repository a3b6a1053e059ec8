"""Broken request bodies and deeply nested signed JSON: each a 400 that changes nothing, never a crash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import time

import pytest

from callback.sandbox.webhooks import signature
from data_support import snapshot

META_SECRET = "test-meta-app-secret"
DEEP = 60_000  # far past any recursion limit, and within the default 64 KB body limit
HTML_400 = "That request could not be used"


def signed_webhook(client, config, body: bytes):
    """POST a body to /webhooks/tiktok with a valid TikTok-Signature over it."""
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "TikTok-Signature": signature(config["TIKTOK_CLIENT_SECRET"], ts, body),
    }
    return client.post("/webhooks/tiktok", data=body, headers=headers)


def event_body(config, content: str) -> bytes:
    """A well-formed event whose `content` string is exactly `content`."""
    return json.dumps(
        {
            "client_key": config["TIKTOK_CLIENT_KEY"],
            "event": "post.publish.complete",
            "create_time": int(time.time()),
            "user_openid": "-000someone",
            "content": content,
        }
    ).encode()


def signed_meta_request(payload_json: bytes, secret: str = META_SECRET) -> str:
    """Sign raw payload bytes as Meta does (the payload need not be something json.dumps could build)."""
    encoded = base64.urlsafe_b64encode(payload_json).decode().rstrip("=")
    sig = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(sig).decode().rstrip("=") + "." + encoded


@pytest.fixture
def meta_app(app_config, facts_file):
    from callback import create_app

    facts = facts_file(platforms__meta={"enabled": True, "scopes": ["instagram_basic"]})
    return create_app({**app_config, "FACTS_FILE": str(facts)})


def no_errors_logged(caplog) -> bool:
    return not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- deeply nested signed JSON --


@pytest.mark.parametrize(
    "body", [b"[" * DEEP, b"[" * (DEEP // 2) + b"]" * (DEEP // 2), b'{"a":' * (DEEP // 5), b"[" * 100_000]
)
def test_a_signed_body_nested_past_the_stack_is_a_400(app_config, body, caplog):
    from callback import create_app

    client = create_app({**app_config, "MAX_CONTENT_LENGTH": 1 << 20}).test_client()  # an operator may raise it
    client.get("/healthz")  # the app's own files exist before the snapshot
    before = snapshot(app_config["DATA_DIR"])
    r = signed_webhook(client, app_config, body)
    assert r.status_code == 400 and r.json["error"] == "bad_request"
    assert "Traceback" not in r.get_data(as_text=True)
    assert snapshot(app_config["DATA_DIR"]) == before
    assert no_errors_logged(caplog)


@pytest.mark.parametrize(
    "content",
    ["[" * DEEP, '{"a":' * (DEEP // 8), '{"a":' * 900 + "1" + "}" * 900, '{"publish_id": ' + "[" * 40 + "]" * 40 + "}"],
)
def test_content_nested_too_deeply_is_a_400(client, app_config, content, caplog):
    client.get("/healthz")
    before = snapshot(app_config["DATA_DIR"])
    r = signed_webhook(client, app_config, event_body(app_config, content))
    assert r.status_code == 400 and r.json["error"] == "bad_request", r.get_data(as_text=True)
    assert snapshot(app_config["DATA_DIR"]) == before
    assert no_errors_logged(caplog)


def test_content_nested_as_events_are_is_still_recorded(client, app_config):
    content = json.dumps({"publish_id": "v_pub_nest", "extra": {"a": [{"b": [1, 2]}]}})
    r = signed_webhook(client, app_config, event_body(app_config, content))
    assert r.status_code == 200 and r.json["status"] == "ok"


def test_a_meta_payload_nested_past_the_stack_is_a_400(meta_app, app_config, caplog):
    client = meta_app.test_client()
    client.get("/healthz")
    before = snapshot(app_config["DATA_DIR"])
    payload = (
        b'{"algorithm":"HMAC-SHA256","issued_at":%d,"user_id":"10229384756","x":' % int(time.time())
        + b"[" * 20_000
        + b"]" * 20_000
        + b"}"
    )
    r = client.post("/meta/data-deletion", data={"signed_request": signed_meta_request(payload)})
    assert r.status_code == 400 and r.is_json and "Traceback" not in r.get_data(as_text=True)
    assert snapshot(app_config["DATA_DIR"]) == before
    assert no_errors_logged(caplog)


# -- bodies the server cannot read (the test client cannot send broken chunked framing: the stream fails instead) --


class ChunkError(Exception):
    """What a server's chunked-body parser raises on bad framing (gunicorn's are plain Exceptions)."""


class BrokenBody:
    """A wsgi.input that fails the way a server's dechunker does on `zz\\r\\n` or `-1\\r\\n`."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def read(self, *args):
        raise self.exc

    readline = readinto = read


@pytest.mark.parametrize("exc", [ChunkError("Invalid chunk size: b'zz'"), OSError("Invalid chunk header")])
@pytest.mark.parametrize("path", ["/webhooks/tiktok", "/meta/data-deletion", "/deletion"])
def test_a_body_that_cannot_be_read_is_a_400(meta_app, app_config, path, exc, caplog):
    client = meta_app.test_client()
    client.get("/deletion")  # a session and the app's own files exist before the snapshot
    before = snapshot(app_config["DATA_DIR"])
    r = client.post(
        path,
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input": BrokenBody(exc), "wsgi.input_terminated": True},
    )
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "chunk" not in text
    if path == "/deletion":
        assert r.mimetype == "text/html" and HTML_400 in text
    else:
        assert r.json["error"] == "bad_request"
    assert snapshot(app_config["DATA_DIR"]) == before
    assert no_errors_logged(caplog)


# -- the same over a real socket, to werkzeug's server (tests/test_abuse_gunicorn.py does it to gunicorn) --

BROKEN_CHUNKS = [b"zz\r\n\r\n", b"-1\r\n\r\n", b"3\r\nabcXX0\r\n\r\n"]


def raw_post(url: str, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    """Send one chunked POST as raw bytes and return the whole answer (the server closes the connection)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


@pytest.mark.parametrize("body", BROKEN_CHUNKS)
@pytest.mark.parametrize("path", ["/webhooks/tiktok", "/deletion"])
def test_broken_chunked_framing_is_a_400_on_werkzeugs_server(live_service, path, body, caplog):
    requests_before = snapshot(live_service.data_dir)
    out = raw_post(live_service.url, path, body, "application/x-www-form-urlencoded")
    head, _, page = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), out[:300]
    assert b"Traceback" not in out
    assert (HTML_400.encode() in page) if path == "/deletion" else (b'"error":"bad_request"' in page.replace(b" ", b""))
    assert snapshot(live_service.data_dir) == requests_before
    assert no_errors_logged(caplog)
