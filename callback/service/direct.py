"""Routes answered below Flask: the webhook deliveries a platform sends in bursts, each one waiting on a disk.

Flask's dispatch (two contexts, URL matching, hooks, a response object, signals) costs more CPU than all
a webhook does besides its fsync (measured in one process: about 230 us against 190 us): so a direct
route takes only a well-framed request (its method, its path, a Content-Length within the limit) and
answers it here with a JSON body. Anything else (another method, a chunked, oversized or unannounced
body) goes on to Flask, whose route for the same path answers it as it answers any request. The
security headers are added around both (this sits inside SecureHeaders).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from callback.data.files import LockTimeout
from callback.service.security import CRASH, PAGES

log = logging.getLogger("greenlight")
# (body, environ) -> (JSON object, status); runs with no request context, so it reads no Flask global.
Handler = Callable[[bytes, dict], tuple[dict, int]]
# Flask's own JSON answers: sorted keys, no spaces, a newline; the direct ones are byte for byte the same.
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
BUSY = {"error": "busy", "message": "The service is busy. Try again in a few seconds."}
ENDED_EARLY = {"error": "bad_request", "message": PAGES[400][1]}  # Flask's answer when a body falls short


class DirectRoutes:
    """WSGI middleware answering its routes' well-framed requests itself, and passing on everything else."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app
        self.routes: dict[tuple[str, str], Handler] = {}
        self.on_request: list[Callable[[], None]] = []  # run first on every request, direct or not

    def __call__(self, environ, start_response):
        for hook in self.on_request:
            hook()
        handler = self.routes.get((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        text = environ.get("CONTENT_LENGTH", "")
        length = int(text) if text.isascii() and text.isdigit() else -1
        if (
            handler is None
            or not 0 <= length <= (self.app.config["MAX_CONTENT_LENGTH"] or 0)
            or "HTTP_TRANSFER_ENCODING" in environ
        ):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        headers: dict[str, str] = {}
        if len(body) != length:  # the client went away mid-body
            payload, status = ENDED_EARLY, 400
        else:
            try:
                payload, status = handler(body, environ)
            except LockTimeout as exc:
                payload, status, headers = busy(exc)
            except Exception:
                if self.app.config["PROPAGATE_EXCEPTIONS"] or self.app.testing:
                    raise  # as Flask does under TESTING: the test sees the exception itself
                log.exception("unexpected error on %s", environ.get("PATH_INFO"))
                payload, status = CRASH, 500
        data = (_JSON.encode(payload) + "\n").encode()
        start_response(
            f"{status} {HTTP_STATUS_CODES[status].upper()}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *headers.items()],
        )
        return [data]


def busy(exc: LockTimeout) -> tuple[dict, int, dict[str, str]]:
    """Answer a store still locked after the bound with 503 and a retry hint, never by waiting on."""
    log.warning("a store stayed locked past GREENLIGHT_LOCK_TIMEOUT (%s)", exc)
    return BUSY, 503, {"Retry-After": "5"}


def install(app: Flask) -> DirectRoutes:
    """Put the direct routes in front of Flask's dispatch (before SecureHeaders wraps them); return them."""
    routes = DirectRoutes(app.wsgi_app, app)
    # Wrapping wsgi_app is how Flask documents installing middleware; mypy refuses assigning to a method.
    app.wsgi_app = routes  # type: ignore[method-assign]
    app.extensions["greenlight.direct"] = routes
    return routes


def routes(app: Flask) -> DirectRoutes:
    """The direct routes of this service (see install)."""
    return app.extensions["greenlight.direct"]
