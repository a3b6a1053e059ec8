"""Liveness endpoint for monitors and `greenlight check`."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer that the service is up."""
    return {"status": "ok"}


def init_app(app: Flask) -> None:
    """Register the health blueprint."""
    app.register_blueprint(bp)
