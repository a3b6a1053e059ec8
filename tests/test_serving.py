"""The service runs with the packaged gunicorn settings, and refuses a start that would split its rate limit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from server_support import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
pytestmark = pytest.mark.slow


def environment(tmp_path: Path, port: int) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")},
        "GREENLIGHT_BIND": f"127.0.0.1:{port}",
        "GREENLIGHT_DATA_DIR": str(tmp_path / "data"),
        "GREENLIGHT_FACTS": str(ROOT / "mkdocs.yml"),
        "GREENLIGHT_SECRET_KEY": "s" * 40,
        "TIKTOK_CLIENT_KEY": "sbawservingtest",
        "TIKTOK_CLIENT_SECRET": "serving-secret-0123456789",
        "GREENLIGHT_WORKERS": "2",
        "GREENLIGHT_ACCESS_LOG": str(tmp_path / "access.log"),
    }


def test_greenlight_run_serves_with_the_packaged_settings(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "greenlight"), "run"],
        cwd=tmp_path,
        env=environment(tmp_path, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert answers(port)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_plain_gunicorn_without_preload_refuses_to_start(tmp_path):
    """Each worker would build its own limiter: 4 workers would let 20 posts a minute through, not 5.

    Run outside the checkout: gunicorn reads ./gunicorn.conf.py by itself, and the repository's preloads.
    """
    port = free_port()
    r = subprocess.run(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "callback:create_app()"],
        cwd=tmp_path,
        env=environment(tmp_path, port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0
    assert "preload" in r.stdout + r.stderr


def test_plain_gunicorn_with_preload_starts(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--preload", "-w", "2", "-b", f"127.0.0.1:{port}", "callback:create_app()"],
        cwd=tmp_path,
        env=environment(tmp_path, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert answers(port)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
