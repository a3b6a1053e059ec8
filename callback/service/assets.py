"""The site's look on the service's own pages: its stylesheet, the service's layout and the app's logo, served here."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, url_for
from werkzeug.routing import BuildError

from callback.facts.images import MIME, image_info
from callback.facts.source import docs_dir

log = logging.getLogger("greenlight")
bp = Blueprint("assets", __name__)
PACKAGE = Path(__file__).resolve().parent.parent
# The site's own stylesheet, read as package data (the service does not import the site layer): one look.
STYLESHEETS = {
    "greenlight.css": PACKAGE / "site" / "templates" / "theme" / "greenlight.css",
    "service.css": Path(__file__).resolve().parent / "templates" / "service.css",
}
MAX_AGE = 3600  # an hour: a new look reaches every page soon after a deploy


def _ours() -> dict:
    return current_app.extensions["greenlight"]["assets"]


@bp.get("/assets/<name>.css")
def stylesheet(name: str):
    """Serve the site's stylesheet or the service's layout."""
    body = _ours()["css"].get(f"{name}.css")
    if body is None:
        abort(404)
    return body, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": f"public, max-age={MAX_AGE}"}


@bp.get("/assets/logo")
def logo():
    """Serve the app's logo (or icon) from the operator's docs directory, as the site shows it."""
    mark = _ours()["logo"]
    if mark is None:
        abort(404)
    body, kind = mark
    return body, 200, {"Content-Type": kind, "Cache-Control": f"public, max-age={MAX_AGE}"}


def next_step() -> dict:
    """Return where a person goes after connecting: the posting page when this service has one, else the site."""
    try:
        return {"url": url_for("posting.page"), "label": "Post your first video"}
    except BuildError:  # no posting page in this service yet
        facts = current_app.extensions["greenlight"]["facts"]
        return {"url": facts.site_url + "/", "label": f"Back to {facts.name}"}


def _read_logo(app: Flask) -> tuple[bytes, str] | None:
    """Read the logo the facts name, relative to the docs directory the site is built from."""
    mark = app.extensions["greenlight"]["facts"].product.mark
    root = docs_dir(app.config["FACTS_FILE"]) if mark else None
    if root is None:
        return None
    try:
        body = (root / mark).read_bytes()
    except OSError:
        log.warning("the logo %s named by the facts is not in %s; the service's pages show none", mark, root)
        return None
    info = image_info(body)
    return (body, MIME[info.kind]) if info else None


def init_app(app: Flask) -> None:
    """Read the stylesheets and the logo once, add their routes, and give the templates the site's look."""
    facts = app.extensions["greenlight"]["facts"]
    mark = _read_logo(app)
    app.extensions["greenlight"]["assets"] = {
        "css": {name: path.read_bytes() for name, path in STYLESHEETS.items()},
        "logo": mark,
    }
    pages = {
        title: f"{facts.site_url}/{path}"
        for title, path in (
            ("Privacy Policy", "privacy/"),
            ("Terms of Service", "terms/"),
            ("Data deletion", "data-deletion/"),
            ("Policy history", "history/"),
        )
    }
    look = {"color": facts.product.color, "logo": mark is not None, "pages": pages}
    app.context_processor(lambda: {"look": look, "next_step": next_step})
    app.register_blueprint(bp)
