"""Meta's data-deletion callback: a signed request names a user; erase them and answer with a status page."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, abort, current_app, request

from callback.data.erasure import erase_user
from callback.platform.signatures import InvalidSignature, parse_meta
from callback.service.context import facts, records, store

log = logging.getLogger("greenlight.meta")
bp = Blueprint("meta", __name__)


@bp.post("/meta/data-deletion")
def data_deletion():
    """Verify Meta's signed_request, erase what names its user_id, and return the status URL and code."""
    if facts().platform("meta") is None:
        abort(404)  # Meta is not enabled in the facts: there is no such endpoint
    try:
        payload = parse_meta(request.form.get("signed_request"), secret=current_app.config["META_APP_SECRET"])
    except InvalidSignature as exc:
        log.warning("rejected a Meta data-deletion request: %s", exc.reason)
        return {"error": "invalid_signed_request", "message": exc.reason}, 400
    user_id, now = payload["user_id"], time.time()
    recs = records()
    # Greenlight keeps no Meta tokens; the request itself is recorded so the status page can show it.
    req = recs.deletions.add(now=now, source="meta", meta_user_id=user_id)
    erase_user(user_id, store=store(), recs=recs, source="meta", reason="requested by Meta on the user's behalf",
               code=req["code"], now=now)
    return {"url": f"{facts().service_url}/deletion/{req['code']}", "confirmation_code": req["code"]}


def init_app(app: Flask) -> None:
    """Register the Meta callback (it answers 404 unless Meta is enabled in the facts)."""
    app.register_blueprint(bp)
