"""The baselines benchmarks/webhooks.py measures Greenlight against, served by the same gunicorn settings.

- `hello`: Flask's hello world, answering GET /healthz with the same JSON Greenlight's does.
- `naive`: the simplest durable signed webhook: check the TikTok signature, append the body to a file
  and fsync it, answer 200 with the event's id. No dedup, no index, no post status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

from flask import Flask, request

SECRET = os.environ.get("TIKTOK_CLIENT_SECRET", "")


def hello() -> Flask:
    """Return Flask's hello world."""
    app = Flask("hello")
    app.get("/healthz")(lambda: {"status": "ok"})
    return app


def naive() -> Flask:
    """Return a signed webhook that appends each event to a file and fsyncs it before its 200."""
    app = Flask("naive")
    path = os.path.join(os.environ["GREENLIGHT_DATA_DIR"], "naive.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)

    @app.post("/webhooks/tiktok")
    def webhook():
        body = request.get_data()
        parts = dict(p.split("=", 1) for p in request.headers.get("TikTok-Signature", "").split(","))
        expected = hmac.new(SECRET.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("s", "")) or abs(time.time() - int(parts["t"])) > 300:
            return {"error": "invalid_signature"}, 401
        event = json.loads(body)
        eid = hashlib.sha256(body).hexdigest()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, json.dumps({"id": eid, "event": event["event"]}).encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        return {"status": "ok", "id": eid}

    return app
