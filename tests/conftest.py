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

    from callback.checks.browser import ARGS

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium,
            args=ARGS,
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


# -- the sandbox platform and a live service pointed at it (the platform is the only stand-in) --


class SandboxHandle:
    """A running sandbox platform: its URL, its in-memory state, and helpers to drive it."""

    def __init__(self, server, app):
        self.server, self.app, self.url = server, app, server.url
        self.state = app.extensions["sandbox"]
        self.client = next(iter(self.state.clients.values()))

    def calls(self, name: str) -> int:
        """How often an endpoint was called: token, token.refresh_token, token.authorization_code, revoke, ..."""
        return self.state.calls[name]

    def fault(self, endpoint: str, kind: str, count: int = 1, delay: float = 5.0) -> None:
        """Make the next `count` calls to `endpoint` fail (server_error, temporarily_unavailable, http_502, hang)."""
        self.state.add_fault(endpoint, kind, count, delay)

    def users(self) -> list:
        """The sandbox's platform accounts (the first one is picked by default on the consent page)."""
        return list(self.state.users.values())

    def approve(self, authorize_url: str, open_id: str | None = None, decision: str = "authorize") -> str:
        """Answer the consent page for `authorize_url`; return where the platform sends the browser back."""
        from urllib.parse import parse_qsl, urlsplit

        import requests

        params = dict(parse_qsl(urlsplit(authorize_url).query))
        params.update(decision=decision, open_id=open_id or self.users()[0].open_id)
        r = requests.post(self.url + "/v2/auth/authorize/", data=params, allow_redirects=False, timeout=5)
        assert r.status_code == 302, r.text
        return r.headers["Location"]


@pytest.fixture(scope="session")
def _sandbox_server():
    from callback.sandbox.server import BackgroundServer

    with BackgroundServer() as server:
        yield server


@pytest.fixture
def sandbox(_sandbox_server, app_config):
    """A fresh sandbox platform on 127.0.0.1 (state reset per test), registered with the test credentials."""
    from callback.sandbox import create_app as sandbox_app

    _sandbox_server.app = sandbox_app(
        {
            "CLIENT_KEY": app_config["TIKTOK_CLIENT_KEY"],
            "CLIENT_SECRET": app_config["TIKTOK_CLIENT_SECRET"],
            "APP_NAME": "Clipwise",
        }
    )
    return SandboxHandle(_sandbox_server, _sandbox_server.app)


@pytest.fixture
def sandbox_config(app_config, sandbox):
    """Service settings pointing every platform call at the sandbox, with short timeouts and backoff."""
    return {
        **app_config,
        "TIKTOK_AUTH_BASE": sandbox.url,
        "TIKTOK_API_BASE": sandbox.url,
        "HTTP_TIMEOUT": 2.0,
        "HTTP_BACKOFF": 0.01,
    }


class LiveService:
    """The real service on a real loopback port, talking to the sandbox."""

    def __init__(self, server, app, sandbox):
        self.server, self.app, self.sandbox, self.url = server, app, sandbox, server.url
        self.data_dir = Path(app.config["DATA_DIR"])
        self.redirect_uri = self.url + "/callback/tiktok"

    def store(self):
        """The service's token store (the real file store in tmp_path)."""
        return self.app.extensions["greenlight"]["store"]

    def cli_env(self, **extra: str) -> dict:
        """The environment an operator's `greenlight` commands run with against this service and the sandbox."""
        cfg = self.app.config
        return {
            "GREENLIGHT_DATA_DIR": cfg["DATA_DIR"],
            "GREENLIGHT_FACTS": cfg["FACTS_FILE"],
            "TIKTOK_CLIENT_KEY": cfg["TIKTOK_CLIENT_KEY"],
            "TIKTOK_CLIENT_SECRET": cfg["TIKTOK_CLIENT_SECRET"],
            "GREENLIGHT_TIKTOK_API_BASE": self.sandbox.url,
            "GREENLIGHT_HTTP_BACKOFF": "0.01",
            "GREENLIGHT_HTTP_TIMEOUT": "2",
            **extra,
        }

    def connect(self, open_id: str | None = None, session=None):
        """Run the whole connect flow as a browser would; return the final response of the service."""
        import requests

        s = session or requests.Session()
        r = s.get(self.url + "/connect/tiktok", allow_redirects=False, timeout=5)
        assert r.status_code == 302, r.text
        back = self.sandbox.approve(r.headers["Location"], open_id=open_id)
        return s.get(back, timeout=10)


@pytest.fixture
def live_service(sandbox_config, sandbox, tmp_path):
    """The service built by create_app, served on 127.0.0.1 (facts' service URL = its own URL)."""
    from callback import create_app
    from callback.sandbox.server import BackgroundServer

    server = BackgroundServer()
    # A service on a loopback URL is what TikTok calls a desktop app (http://127.0.0.1:PORT redirect).
    facts = write_facts(tmp_path / "live-facts.yml", urls__service=server.url, platforms__tiktok__app_type="desktop")
    app = create_app({**sandbox_config, "FACTS_FILE": str(facts)})
    server.app = app
    sandbox.client.webhook_url = server.url + "/webhooks/tiktok"
    with server:
        yield LiveService(server, app, sandbox)


# -- a throwaway PostgreSQL for the storage contract and the multi-instance tests (see tests/pg_support.py) --

from pg_support import pg_cluster, pg_empty_url, pg_url  # noqa: E402,F401
