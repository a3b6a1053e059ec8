"""The site commands: greenlight build, serve, init and archive, run for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from callback.cli import cli
from callback.site.build import SiteError
from site_support import ROOT, article, build, project, read, text


def run(*args: str, cwd=None):
    """Invoke the greenlight command line in this process."""
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(old)


def test_build_writes_the_site(tmp_path, facts_file):
    project(tmp_path, facts_file)
    result = run("build", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "Built" in result.output and (tmp_path / "site" / "privacy" / "index.html").exists()


@pytest.mark.parametrize("example", ["creator-tiktok-only", "studio-all-platforms"])
def test_build_with_facts_from_an_example(tmp_path, example):
    result = run("--facts", f"examples/{example}.yml", "build", "-d", str(tmp_path / "site"), cwd=ROOT)
    assert result.exit_code == 0, result.output
    name = yaml.safe_load((ROOT / "examples" / f"{example}.yml").read_text())["name"]
    assert f"<title>{name}</title>" in read(tmp_path / "site")


def test_production_build_refuses_draft_cleanly(tmp_path, facts_file):
    project(tmp_path, facts_file)
    result = run("build", "--production", cwd=tmp_path)
    assert result.exit_code == 1
    assert "production build refused" in result.output and "draft" in result.output
    assert "Traceback" not in result.output and "BuildError" not in result.output
    assert not (tmp_path / "site").exists()


def test_production_build_of_final_facts(tmp_path, facts_file):
    project(tmp_path, facts_file)
    facts_file(draft=False)
    result = run("build", "--production", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "not in effect yet" not in read(tmp_path / "site")


def test_init_writes_a_starter_that_builds_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "newsite"
    result = run("init", str(target), "--name", "Sunday Reels")
    assert result.exit_code == 0, result.output
    assert (target / "mkdocs.yml").exists() and (target / "docs" / "privacy.md").exists()
    assert "# " in (target / "mkdocs.yml").read_text()  # the facts come with comments
    site = build(config=target / "mkdocs.yml")
    assert "<title>Sunday Reels</title>" in read(site)
    again = run("init", str(target))
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    assert "Sunday Reels" in (target / "mkdocs.yml").read_text()


def test_archive_keeps_earlier_versions_reachable(tmp_path, facts_file):
    project(tmp_path, facts_file)
    first = run("archive", cwd=tmp_path)
    assert first.exit_code == 0, first.output
    assert (tmp_path / "docs" / "history" / "privacy-2026-11-01.md").exists()
    assert "Nothing to do" in run("archive", cwd=tmp_path).output

    # The operator changes a number, dates the change and says what changed.
    facts_file(
        retention__records_days=21,
        effective_date="2027-02-01",
        history=[
            {"date": "2027-02-01", "summary": "Records now kept 21 days."},
            {"date": "2026-11-01", "summary": "First published version."},
        ],
    )
    site = build(config=tmp_path / "mkdocs.yml")
    history = read(site, "history/")
    listing = text(article(history))
    assert "1 February 2027 (current) Records now kept 21 days." in listing
    assert "1 November 2026 First published version." in listing
    assert 'href="privacy-2026-11-01/"' in history and 'href="terms-2026-11-01/"' in history
    old = text(article(read(site, "history/privacy-2026-11-01/")))
    new = text(article(read(site, "privacy/")))
    assert "Effective date: 1 November 2026" in old and "| 30 days |" not in old and " 30 days " in old
    assert "Effective date: 1 February 2027" in new and " 21 days " in new and " 30 days " not in new
    assert "Earlier version" in old


def test_changing_facts_without_a_new_date_after_archiving_fails(tmp_path, facts_file):
    project(tmp_path, facts_file)
    assert run("archive", cwd=tmp_path).exit_code == 0
    facts_file(retention__records_days=21)
    with pytest.raises(SiteError, match="set a new effective_date"):
        build(config=tmp_path / "mkdocs.yml")
    result = run("archive", cwd=tmp_path)
    assert result.exit_code == 1 and "without a new effective_date" in result.output


def test_archive_with_bad_facts_is_clean(tmp_path, facts_file):
    project(tmp_path, facts_file)
    facts_file(minimum_age="adults")
    result = run("archive", cwd=tmp_path)
    assert result.exit_code == 1 and "extra.app.minimum_age" in result.output and "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_previews_the_site_on_loopback(tmp_path, facts_file):
    project(tmp_path, facts_file)
    port = _free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "greenlight"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, body = time.monotonic() + 30, ""
        while time.monotonic() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/privacy/", timeout=2).read().decode()
            except OSError:
                time.sleep(0.2)
        assert "Privacy Policy" in body and "Clipwise" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
