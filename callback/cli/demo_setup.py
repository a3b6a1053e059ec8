"""The demo's running parts: the site, the service and the sandbox on localhost, and a sample video queued."""

from __future__ import annotations

import copy
import secrets
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from callback.data.files import private_dir, write_atomic
from callback.data.queue import PostQueue
from callback.facts import load_facts, read_config
from callback.facts.source import generated_header
from callback.platform.media import sample_mp4
from callback.sandbox.server import BackgroundServer
from callback.site.static import StaticServer

# Demo credentials: only the sandbox knows them, and it runs on this machine.
CLIENT_KEY = "sbawdemoclientkey"
CLIENT_SECRET = "demo-client-secret-not-for-production"
SAMPLE_TITLE = "Hello from the Greenlight demo"


def _bind(kind, port: int, *args):
    """Bind on the wished port, or on a free one if it is taken."""
    try:
        return kind(*args, port=port)
    except OSError:
        return kind(*args, port=0)


@dataclass
class Demo:
    """The three running servers and where the demo keeps its data."""

    site: StaticServer
    service: BackgroundServer
    sandbox: BackgroundServer
    data_dir: Path
    facts_path: Path
    env: dict
    sample: dict  # the video queued for the demo creator, waiting on the posting page

    def command(self, args: str) -> str:
        """The shell command running `greenlight ARGS` against the demo's data."""
        # The venv's own script: after `make demo`, `greenlight` is in .venv/bin, not on PATH.
        script = Path(sys.executable).with_name("greenlight")
        command = shlex.quote(str(script)) if script.exists() else "greenlight"
        return " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items()) + f" {command} {args}"

    def token_command(self) -> str:
        """The shell command that prints a token from the demo's store."""
        return self.command("token")

    def stop(self) -> None:
        """Shut all three servers down."""
        for server in (self.site, self.service, self.sandbox):
            server.stop()


def demo_facts(source: str | Path, service_url: str, site_url: str) -> dict:
    """Return the operator's facts with the URLs pointed at this machine (a desktop-style loopback app)."""
    data = read_config(source)
    app = copy.deepcopy(data.get("extra", {}).get("app") if isinstance(data.get("extra"), dict) else data)
    app.setdefault("urls", {}).update(site=site_url, service=service_url)
    tiktok = app.setdefault("platforms", {}).setdefault("tiktok", {})
    tiktok["app_type"] = "desktop"
    tiktok.pop("redirect_uris", None)  # the default: <service>/callback/tiktok
    return app


def build(config_file: Path, facts_path: Path, site_dir: Path) -> None:
    """Build the public site from the demo facts, with the project's own build."""
    from callback.site.build import build_site

    build_site(config_file, facts=facts_path, site_dir=site_dir, strict=False)


def start_demo(
    facts: str | Path = "mkdocs.yml",
    data_dir: str | Path = "instance-demo",
    site_port: int = 8000,
    service_port: int = 5000,
    sandbox_port: int = 5001,
) -> Demo:
    """Build the site and start the sandbox, the service and the site server; return them running."""
    from callback.sandbox import create_app as sandbox_app
    from callback.service.app import create_app

    data = private_dir(data_dir).resolve()
    write_atomic(data / ".gitignore", "# demo data: tokens from the sandbox platform\n*\n")
    service, sandbox = _bind(BackgroundServer, service_port), _bind(BackgroundServer, sandbox_port)
    site_dir = data / "site"
    site_dir.mkdir(exist_ok=True)
    site = _bind(StaticServer, site_port, site_dir)
    facts_path = data / "demo-facts.yml"
    copy = yaml.safe_dump(demo_facts(facts, service.url, site.url), sort_keys=False)
    write_atomic(facts_path, generated_header(facts) + copy)  # its first line names the file to edit
    parsed = load_facts(facts_path)
    config_file = Path(facts) if "extra" in read_config(facts) else Path("mkdocs.yml")
    build(config_file, facts_path, site_dir)
    key = None
    if parsed.encrypt_tokens:  # the facts promise encryption: the demo keeps that promise too
        from callback.data.store import new_key

        key_file = data / "demo-encryption.key"
        if not key_file.exists():
            write_atomic(key_file, new_key())
        key = key_file.read_text().strip()
    # The demo app is unaudited, as a new app is: it may post only privately, to a private account.
    sandbox.app = sandbox_app(
        {
            "CLIENT_KEY": CLIENT_KEY,
            "CLIENT_SECRET": CLIENT_SECRET,
            "APP_NAME": parsed.name,
            "REDIRECT_URIS": (service.url + "/callback/tiktok",),
            "WEBHOOK_URL": service.url + "/webhooks/tiktok",
            "USERS": (
                ("Sandbox Creator", "sandbox.creator", {"private_account": True}),
                ("Second Creator", "second.creator"),
            ),
        }
    )
    service.app = create_app(
        {
            "DEMO": True,
            "DATA_DIR": str(data),
            "FACTS_FILE": str(facts_path),
            "TIKTOK_AUTH_BASE": sandbox.url,
            "TIKTOK_API_BASE": sandbox.url,
            "TIKTOK_CLIENT_KEY": CLIENT_KEY,
            "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
            "SECRET_KEY": secrets.token_hex(32),
            "ENCRYPTION_KEY": key or "",
            "REDIRECT_URI": "",
            "META_APP_SECRET": "demo-meta-app-secret",
        }
    )
    env = {
        "GREENLIGHT_DATA_DIR": str(data),
        "GREENLIGHT_FACTS": str(facts_path),
        "GREENLIGHT_TIKTOK_AUTH_BASE": sandbox.url,
        "GREENLIGHT_TIKTOK_API_BASE": sandbox.url,
        "TIKTOK_CLIENT_KEY": CLIENT_KEY,
        "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
        **({"GREENLIGHT_ENCRYPTION_KEY": key} if key else {}),
    }
    write_atomic(data / "demo.env", "".join(f"{k}={v}\n" for k, v in env.items()))
    creator = next(iter(sandbox.app.extensions["sandbox"].users.values()))
    sample = queue_sample(data, creator.open_id)
    for server in (sandbox, service, site):
        server.start()
    return Demo(site, service, sandbox, data, facts_path, env, sample)


def queue_sample(data: Path, open_id: str) -> dict:
    """Queue a short generated video for the demo creator, so the posting page has something to post."""
    queue = PostQueue(data)
    for item in queue.all():  # the sandbox forgot the accounts of an earlier run: their videos can never go out
        queue.remove(item["id"])
    source = data / "demo-sample.mp4"
    sample_mp4(source, seconds=8)
    try:
        return queue.add(open_id=open_id, title=SAMPLE_TITLE, path=source, duration=8.0)
    finally:
        source.unlink(missing_ok=True)  # the queue keeps its own copy
