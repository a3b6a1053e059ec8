"""The in-service schedule: purge what the retention facts say must go, without an external timer."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask

from callback.data.files import FileLock, LockTimeout
from callback.data.retention import purge
from callback.platform.tiktok import revoker
from callback.service import direct

log = logging.getLogger("greenlight.scheduler")


def init_app(app: Flask) -> None:
    """Purge from inside the service at most every PURGE_INTERVAL_HOURS, so the promise holds without a timer.

    Off under TESTING and in the demo (their data is deliberately old or fake); the timer in deploy/
    remains the primary schedule, and whichever runs first leaves the other nothing to do.
    """
    relaxed = app.config.get("TESTING") or app.config.get("DEMO")
    setting = app.config.get("PURGE_INTERVAL_HOURS")  # unset or "": 24, but off in tests and the demo
    hours = float(setting) if setting not in (None, "") else 0.0 if relaxed else 24.0
    if hours <= 0:
        return
    checked = {"next": 0.0}

    def _purge_when_due() -> None:
        now = time.time()
        if now >= checked["next"]:
            checked["next"] = now + 600  # look at the stamp file at most every ten minutes per process
            try:
                start_background_purge(app, hours, now)
            except Exception:  # runs below Flask, before any request's own handling: never fail one
                log.exception("could not start the scheduled purge")

    # On every request, below Flask: a service that only ever gets webhooks (direct routes) purges too.
    direct.routes(app).on_request.append(_purge_when_due)


def start_background_purge(app: Flask, hours: float, now: float) -> threading.Thread | None:
    """Start a purge in a thread if the last one is over `hours` old and no other process runs one; return it."""
    stamp = Path(app.config["DATA_DIR"]) / "purge.stamp"
    if _fresh(stamp, now - hours * 3600):
        return None

    def run() -> None:
        try:
            with FileLock(stamp).held(timeout=0):
                if _fresh(stamp, now - hours * 3600):
                    return  # another worker finished one between our look at the stamp and our lock
                ext = app.extensions["greenlight"]
                p = purge(
                    ext["facts"], ext["store"], ext["records"], revoke=revoker(app.config), queue=ext.get("queue")
                )
                for note in p.notes:
                    log.warning("purge: %s", note)
                stamp.touch(mode=0o600)
        except LockTimeout:
            pass  # another worker is purging right now
        except Exception:  # a failed purge is retried at the next check; it must never take the service down
            log.exception("the scheduled purge failed")

    thread = threading.Thread(target=run, name="greenlight-purge", daemon=True)
    thread.start()
    return thread


def _fresh(stamp: Path, cutoff: float) -> bool:
    """Tell whether the last purge finished after `cutoff`."""
    try:
        return stamp.stat().st_mtime > cutoff
    except FileNotFoundError:
        return False
