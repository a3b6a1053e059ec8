"""Security basics on every response: strict headers, cookie flags, CSRF, safe error pages."""

from __future__ import annotations

import hmac
import logging
import secrets

from flask import Flask, render_template, request, session
from flask import abort as flask_abort
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from callback.facts.setup import SESSION_COOKIE
from callback.service import page_policy

log = logging.getLogger("greenlight.security")
API_PREFIXES = ("/webhooks/", "/meta/", "/healthz")
PAGES = {  # status -> (title, what a person should do next)
    400: ("That request could not be used", "Something in it was missing or not valid. Go back and try again."),
    403: ("Not allowed", "You are not allowed to do that."),
    404: ("Page not found", "Check the address, or start again from the home page."),
    405: ("Not allowed here", "This address does not accept that kind of request."),
    413: ("That was too large", "What you sent is larger than this service accepts. Shorten it and try again."),
    429: ("Too many requests", "Please wait a minute, then try again."),
    500: ("Something went wrong on our side", "Nothing you did caused this. Please try again in a few minutes."),
}
CRASH = {"error": "internal_server_error", "message": PAGES[500][1]}  # an API route's answer to a crash
CSRF_MESSAGE = (
    "This form has expired or was sent from another site, so nothing was done. "
    "Go back, reload the page and send the form again."
)


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use (put it in a hidden field)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Abort with 400 unless the posted `csrf_token` matches the session's."""
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        flask_abort(400, description=CSRF_MESSAGE)


def is_api() -> bool:
    """Tell whether this request is for a machine (JSON errors) rather than a person (HTML pages)."""
    return request.path.startswith(API_PREFIXES)


# Every response carries these unless its view set its own: OWASP's set for an API answer, which runs,
# frames and caches nothing. A page (text/html) adds its nonce'd CSP and the PAGE_HEADERS.
HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),  # pages and answers carry codes, tokens and status: keep them out of caches
)
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"  # JSON, media and stylesheets run and style nothing
PAGE_HEADERS = (  # what a document links to, opens and may ask the browser for
    ("Referrer-Policy", "no-referrer"),  # status URLs carry confirmation codes
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
API_HEADERS = [*HEADERS, ("Content-Security-Policy", DATA_CSP)]
JSON_TYPE = ("Content-Type", "application/json")
HSTS = ("Strict-Transport-Security", "max-age=31536000")
NONCE = "greenlight.csp_nonce"  # the WSGI environ key of this response's nonce (see _nonce)


class SecureHeaders:
    """WSGI middleware adding the security headers to every response, as plain tuples.

    Below Flask's response objects on purpose: adding them there (an after_request hook) validated and
    copied each header again on every response, a fifth of what a plain JSON answer costs; and JSON
    answers carry only the headers that mean something for them, as each costs the server again.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app
        self.csp = ""  # built on first use: blueprints register their templates after this

    def __call__(self, environ, start_response):
        if "HTTP_TRANSFER_ENCODING" in environ:
            environ["wsgi.input"] = FramedBody(environ["wsgi.input"])

        def start(status, headers, exc_info=None):
            # Most answers are Flask's JSON ones, with just these two headers: then the API set, as it is.
            if len(headers) == 2 and headers[0] == JSON_TYPE and headers[1][0] == "Content-Length":
                extra = [*API_HEADERS, HSTS] if _https(environ) else API_HEADERS
            else:
                extra = self._extra(environ, headers)
            return start_response(status, headers + extra, exc_info)

        return self.wsgi_app(environ, start)

    def _extra(self, environ, headers) -> list[tuple[str, str]]:
        """The headers a response lacks: the page set for a document, the API set for anything else, HSTS."""
        have, page = set(), False
        for key, value in headers:
            key = key.lower()
            have.add(key)
            page = page or (key == "content-type" and value.startswith("text/html"))
        if page:
            extra = [h for h in HEADERS + PAGE_HEADERS if h[0].lower() not in have]
            if "content-security-policy" not in have:
                extra.append(("Content-Security-Policy", self._page_policy(environ)))
        else:
            extra = [h for h in API_HEADERS if h[0].lower() not in have]
        if _https(environ) and "strict-transport-security" not in have:
            extra.append(HSTS)
        return extra

    def _page_policy(self, environ) -> str:
        """Return a page's CSP with its nonce (the one its inline <style> carries)."""
        if not self.csp:
            self.csp = page_policy.policy(self.app)
        return self.csp.replace("{nonce}", environ.get(NONCE) or secrets.token_urlsafe(16))


class LazySessions(SecureCookieSessionInterface):
    """Build the cookie signer only for a request that carries a session cookie (API calls carry none)."""

    def open_session(self, app: Flask, request):
        # No Cookie header at all (every API call): nothing to parse, no signer to build.
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class() if app.secret_key else None
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        """Skip the cookie settings when a request neither read nor changed its session (every API call)."""
        if session or session.accessed or session.modified:
            super().save_session(app, session, response)


def _https(environ) -> bool:
    """Tell whether the client reached this service over TLS (ProxyFix has set the scheme behind a proxy)."""
    return environ.get("wsgi.url_scheme") in ("https", "wss")


def _nonce() -> str:
    """Return this response's CSP nonce (the page's inline <style> carries it; SecureHeaders sends it)."""
    environ = request.environ
    if NONCE not in environ:
        environ[NONCE] = secrets.token_urlsafe(16)
    return environ[NONCE]


def _error(exc: HTTPException):
    """Answer an HTTP error as JSON for machines and as a friendly page for people; never a trace."""
    code = exc.code or 500
    title, advice = PAGES.get(code, (exc.name, "Please go back and try again."))
    # Our own abort() calls carry a message written for people; werkzeug's defaults do not.
    own = exc.description and exc.description != type(exc).description
    message = exc.description if own else advice
    keep = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
    if code == 429:
        keep.setdefault("Retry-After", "60")
    if is_api():
        return {"error": exc.name.lower().replace(" ", "_"), "message": message}, code, keep
    page = render_template("error.html", title=title, message=message, advice=advice if own else "")
    return page, code, keep


class FramedBody:
    """A chunked request's wsgi.input: a framing error of the server's dechunker is a 400, not a crash.

    The server dechunks the body as a view reads it, and its parser raises plain exceptions on a bad
    chunk size or terminator; here they become the BadRequest a view's read then answers with. Requests
    with a Content-Length need none of this (their reads only fall short), so they are left as sent.
    """

    __slots__ = ("raw",)

    def __init__(self, raw):
        self.raw = raw

    def read(self, *args):
        return self._guarded(self.raw.read, args)

    def readline(self, *args):
        return self._guarded(self.raw.readline, args)

    def _guarded(self, read, args):
        try:
            return read(*args)
        except HTTPException:
            raise  # 413, or a client that went away: already the right answer
        except Exception as exc:
            log.warning("refused a request whose body could not be read (%s)", type(exc).__name__)
            raise BadRequest() from None


def _crash_handler(previous):
    """Answer a crash as JSON on API routes; elsewhere keep the service's own error page."""

    def crash(exc):
        # Flask has already logged the traceback; nobody sees any detail of it.
        if is_api() or previous is None:
            return CRASH, 500
        return previous(exc)

    return crash


def init_app(app: Flask) -> None:
    """Install headers, cookie flags, the body size limit and error handlers on the service."""
    # The app factory decides Secure (https service URL, or a test override); these two hold everywhere.
    # The cookie's name comes from the facts layer, where the privacy policy's cookie table reads it too.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME=SESSION_COOKIE.name
    )
    app.config.setdefault("MAX_CONTENT_LENGTH", 64 * 1024)
    # Inside ProxyFix, so that it sees the scheme the client used (HSTS only over https).
    app.wsgi_app = SecureHeaders(app.wsgi_app, app)  # type: ignore[method-assign]
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:  # behind a reverse proxy: trust its X-Forwarded-For/-Proto, so limits and HSTS see the client
        # Wrapping wsgi_app is how Flask documents installing middleware; mypy refuses assigning to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.session_interface = LazySessions()
    app.context_processor(lambda: {"csrf_token": csrf_token, "csp_nonce": _nonce})
    previous = app.error_handler_spec.get(None, {}).get(500, {}).get(InternalServerError)
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(500, _crash_handler(previous))
