"""Shared fixtures: facts files, a headless Chromium."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_facts(path: Path, **changes) -> Path:
    """Write a copy of the repository's mkdocs.yml facts with `changes` merged into extra.app."""
    data = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    app = data["extra"]["app"]
    for dotted, value in changes.items():
        node, *keys = app, *dotted.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def facts_file(tmp_path):
    """A writable copy of the example facts; call it with key__sub=value changes."""
    return lambda **changes: write_facts(tmp_path / "mkdocs.yml", **changes)


@pytest.fixture(scope="session")
def browser():
    """A real headless Debian Chromium driven by Playwright."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def app_config(tmp_path):
    """Settings for a test service: real file store in tmp_path, test credentials."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "TIKTOK_CLIENT_KEY": "sbawtestclientkey",
        "TIKTOK_CLIENT_SECRET": "test-client-secret-0123456789",
        "META_APP_SECRET": "test-meta-app-secret",
        "DATA_DIR": str(tmp_path / "instance"),
        "FACTS_FILE": str(ROOT / "mkdocs.yml"),
    }


@pytest.fixture
def app(app_config):
    """The real service built by the app factory."""
    from callback import create_app

    return create_app(app_config)


@pytest.fixture
def client(app):
    """Flask's test client for the service."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Click runner for the `greenlight` CLI."""
    from click.testing import CliRunner

    return CliRunner()
