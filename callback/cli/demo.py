"""`greenlight demo`: the built site, the service and the sandbox platform on localhost, wired together."""
from __future__ import annotations

import copy
import logging
import secrets
import shlex
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click
import requests
import yaml

from callback.facts import FactsError, load_facts, read_config
from callback.facts.source import generated_header
from callback.data.files import private_dir, write_atomic
from callback.data.queue import PostQueue
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
    sample: dict | None = None  # the video queued for the demo creator, waiting on the posting page

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


def start_demo(facts: str | Path = "mkdocs.yml", data_dir: str | Path = "instance-demo", site_port: int = 8000,
               service_port: int = 5000, sandbox_port: int = 5001) -> Demo:
    """Build the site and start the sandbox, the service and the site server; return them running."""
    from callback.service.app import create_app
    from callback.sandbox import create_app as sandbox_app

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
    sandbox.app = sandbox_app({"CLIENT_KEY": CLIENT_KEY, "CLIENT_SECRET": CLIENT_SECRET, "APP_NAME": parsed.name,
                               "REDIRECT_URIS": (service.url + "/callback/tiktok",),
                               "WEBHOOK_URL": service.url + "/webhooks/tiktok",
                               "USERS": (("Sandbox Creator", "sandbox.creator", {"private_account": True}),
                                         ("Second Creator", "second.creator"))})
    service.app = create_app({"DEMO": True, "DATA_DIR": str(data), "FACTS_FILE": str(facts_path),
                              "TIKTOK_AUTH_BASE": sandbox.url, "TIKTOK_API_BASE": sandbox.url,
                              "TIKTOK_CLIENT_KEY": CLIENT_KEY, "TIKTOK_CLIENT_SECRET": CLIENT_SECRET,
                              "SECRET_KEY": secrets.token_hex(32), "ENCRYPTION_KEY": key or "",
                              "REDIRECT_URI": "", "META_APP_SECRET": "demo-meta-app-secret"})
    env = {"GREENLIGHT_DATA_DIR": str(data), "GREENLIGHT_FACTS": str(facts_path),
           "GREENLIGHT_TIKTOK_AUTH_BASE": sandbox.url, "GREENLIGHT_TIKTOK_API_BASE": sandbox.url, "TIKTOK_CLIENT_KEY": CLIENT_KEY,
           "TIKTOK_CLIENT_SECRET": CLIENT_SECRET, **({"GREENLIGHT_ENCRYPTION_KEY": key} if key else {})}
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


def check(demo: Demo) -> list[str]:
    """Ask each server for its front page; return what failed."""
    problems = []
    for name, url in (("site", demo.site.url + "/"), ("service", demo.service.url + "/healthz"),
                      ("sandbox", demo.sandbox.url + "/_sandbox/state")):
        try:
            status = requests.get(url, timeout=5).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        if status != 200:
            problems.append(f"{name} at {url} answered {status}")
    return problems


def instructions(demo: Demo) -> str:
    return f"""
Greenlight demo: everything runs on this machine, with a sandbox standing in for TikTok.

  1. Open the site:   {demo.site.url}/
  2. Press "Connect your TikTok account", then "Authorize" on the sandbox's consent page.
     You land on "Connected as Sandbox Creator".
  3. Press "Post your first video" ({demo.service.url}/post): a sample video is waiting.
     Choose who can see it ("Only me": the demo app is unaudited, like any new app), press Post,
     and watch it turn to "Published". The sandbox records it: {demo.sandbox.url}/_sandbox/state
  4. Get a fresh access token, in another terminal:

     {demo.token_command()}

     Queue another video (an MP4 of yours) for the posting page:

     {demo.command(f'post VIDEO.mp4 --account={demo.sample["open_id"]} --title "My next video"')}

  Service:  {demo.service.url}  (connect: /connect/tiktok, posting: /post, deletion requests: /deletion)
  Sandbox:  {demo.sandbox.url}/_sandbox/  (its accounts; "Disconnect" sends the revocation webhook)
  Data:     {demo.data_dir}  (delete it to start over; demo.env there holds the variables above)

Press Ctrl-C to stop."""


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@click.command("demo")
@click.option("--site-port", default=8000, show_default=True, help="Port for the built site (a free one if taken).")
@click.option("--service-port", default=5000, show_default=True, help="Port for the callback service.")
@click.option("--sandbox-port", default=5001, show_default=True, help="Port for the sandbox platform.")
@click.option("--data-dir", default="instance-demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo keeps its tokens and its built site.")
@click.option("--check-only", is_flag=True, help="Start everything, check each server answers, stop, and exit.")
@click.pass_context
def demo_command(ctx: click.Context, site_port: int, service_port: int, sandbox_port: int, data_dir: str,
                 check_only: bool) -> None:
    """Run the site, the service and a sandbox TikTok on localhost: connect an account without credentials."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # request lines would bury the instructions
    click.echo("Building the site and starting the servers...")
    try:
        demo = start_demo(ctx.find_root().obj["facts_path"], data_dir, site_port, service_port, sandbox_port)
    except FactsError as exc:
        raise click.ClickException("the facts file is invalid:\n" + str(exc)) from None
    except Exception as exc:  # the site build and the servers report in their own words
        raise click.ClickException(f"the demo could not start: {exc}") from None
    try:
        if check_only:
            problems = check(demo)
            for problem in problems:
                click.echo(f"FAILED: {problem}", err=True)
            click.echo(f"site {demo.site.url}, service {demo.service.url}, sandbox {demo.sandbox.url}: "
                       + ("not all answered" if problems else "all answered"))
            ctx.exit(1 if problems else 0)
        click.echo(instructions(demo))
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` and systemd stop cleanly too
        # Until Ctrl-C, waking now and then: the kernel may hand the signal to a server thread, and Python
        # runs its handler (raising KeyboardInterrupt here) only when this thread next runs bytecode.
        while True:
            time.sleep(0.2)
    except KeyboardInterrupt:
        click.echo("\nStopping...")
    finally:
        demo.stop()
