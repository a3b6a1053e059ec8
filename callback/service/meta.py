"""Meta's data-deletion callback: a signed request names a user; erase them and answer with a status page."""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Blueprint, Flask, abort, current_app, request

from callback.data.erasure import erase_user
from callback.platform.signatures import InvalidSignature, parse_meta
from callback.service.context import facts, records, store

log = logging.getLogger("greenlight.meta")
bp = Blueprint("meta", __name__)
CLOCK_SKEW = 300  # seconds a signed_request may seem to come from the future (clocks differ)


@bp.post("/meta/data-deletion")
def data_deletion():
    """Verify Meta's signed_request, erase what names its user_id, and return the status URL and code."""
    if facts().platform("meta") is None:
        abort(404)  # Meta is not enabled in the facts: there is no such endpoint
    signed, now = request.form.get("signed_request") or "", time.time()
    try:
        payload = parse_meta(signed, secret=current_app.config["META_APP_SECRET"])
    except InvalidSignature as exc:
        log.warning("rejected a Meta data-deletion request: %s", exc.reason)
        return {"error": "invalid_signed_request", "message": exc.reason}, 400
    age, window = now - payload["issued_at"], int(current_app.config["META_MAX_AGE"])
    if not -CLOCK_SKEW <= age <= window:  # a captured request must not be replayable for ever
        log.warning("rejected a Meta data-deletion request issued %d s ago (window %d s)", age, window)
        return {
            "error": "stale_signed_request",
            "message": f"the signed_request was issued {age:.0f} s ago; at most {window} s are accepted",
        }, 400
    user_id, recs = payload["user_id"], records()
    # Greenlight keeps no Meta tokens; the request itself is recorded so the status page can show it.
    # A replay of the same signed request (Meta retries) is the same request, answered with the same code.
    key = hashlib.sha256(signed.encode()).hexdigest()
    req = recs.deletions.add(now=now, key=key, source="meta", meta_user_id=user_id)
    if req["status"] == "received":
        erase_user(
            user_id,
            store=store(),
            recs=recs,
            source="meta",
            code=req["code"],
            now=now,
            reason="requested by Meta on the user's behalf",
        )
    return {"url": f"{facts().service_url}/deletion/{req['code']}", "confirmation_code": req["code"]}


def init_app(app: Flask) -> None:
    """Register the Meta callback (it answers 404 unless Meta is enabled in the facts)."""
    app.register_blueprint(bp)
