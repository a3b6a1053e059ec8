"""`greenlight check` without Playwright (an optional extra): the browser check is skipped with the install hint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callback.checks import browser
from callback.checks.model import Skip
from site_support import built

HINT = "pip install 'greenlight-publish[browser]'"
# Loaded by Python at start-up from PYTHONPATH: any later `import playwright` fails as if it were not installed.
BLOCK = "import sys\nsys.modules['playwright'] = None\nsys.modules['playwright.sync_api'] = None\n"


def test_the_browser_check_skips_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(Skip) as skipped:
        browser.link_visibility("http://127.0.0.1:9/", {"Privacy": "http://127.0.0.1:9/privacy/"})
    assert HINT in str(skipped.value) and "chromium" in str(skipped.value)


def test_check_runs_every_other_check_when_playwright_is_missing(tmp_path):
    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCK)
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "block"),
        "NO_MKDOCS_2_WARNING": "1",
        "TIKTOK_CLIENT_KEY": "awq1w2e3r4t5y6u7",
        "TIKTOK_CLIENT_SECRET": "cli-test-client-secret-7a9b8c",
    }
    greenlight = str(Path(sys.executable).parent / "greenlight")
    run = subprocess.run(
        [greenlight, "check", "--site", str(built("repo"))],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert "ModuleNotFoundError" not in out and "Traceback" not in out, out
    assert "SKIP  Privacy and Terms links are visible without a menu" in out, out
    assert HINT in out and "apt-get install chromium" in out
    assert "PASS  No page loads anything from another host" in out  # the other checks still ran
