"""Refuse a gunicorn start that would break the deletion form's promise of one shared rate limit."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from callback.facts.settings import ConfigError

if TYPE_CHECKING:
    from types import FrameType


def built_in_a_worker() -> bool:
    """Tell whether gunicorn is building the app inside a worker, that is without preload_app."""
    # gunicorn builds the app in its master (Arbiter.setup) when preloading, else in each worker's
    # load_wsgi() after the fork: only the first way gives the workers one rate-limit table.
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "load_wsgi" and "gunicorn" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def require_preload(database: bool) -> None:
    """Raise ConfigError when the limits would be counted per worker (the database shares them anyway)."""
    if not database and built_in_a_worker():
        raise ConfigError(
            "gunicorn is building the service in each worker (no preload_app), so each worker "
            "would count deletion-form posts on its own, against the limit the site states. Start "
            "it with `greenlight run`, or `gunicorn -c python:callback.service.gunicorn_config`, "
            "or add --preload."
        )
