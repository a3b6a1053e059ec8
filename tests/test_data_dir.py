"""Every command finds the data directory the same way, and none litters an unrelated directory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GREENLIGHT = str(ROOT / ".venv" / "bin" / "greenlight")


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GREENLIGHT_")}
    return subprocess.run(
        [GREENLIGHT, *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command", [("token",), ("tokens", "list"), ("purge", "--dry-run"), ("posts",), ("deletions", "list")]
)
def test_a_command_run_in_an_unrelated_directory_creates_nothing(tmp_path, command):
    r = run(*command, cwd=tmp_path)
    assert r.returncode != 0
    assert list(tmp_path.iterdir()) == []
    assert "GREENLIGHT_DATA_DIR" in r.stderr or "facts" in r.stderr, r.stderr


def test_the_data_directory_is_beside_the_facts_file_wherever_the_command_runs(tmp_path):
    site = tmp_path / "site-project"
    site.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", site / "mkdocs.yml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run("--facts", str(site / "mkdocs.yml"), "tokens", "list", cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert (site / "instance").is_dir() and list(elsewhere.iterdir()) == []
    assert oct((site / "instance").stat().st_mode & 0o777) == "0o700"


def test_an_explicit_data_directory_wins(tmp_path):
    chosen = tmp_path / "chosen"
    r = run("--facts", str(ROOT / "mkdocs.yml"), "tokens", "list", cwd=tmp_path, GREENLIGHT_DATA_DIR=str(chosen))
    assert r.returncode == 0, r.stderr
    assert chosen.is_dir() and list(tmp_path.iterdir()) == [chosen]
