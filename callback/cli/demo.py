"""`greenlight demo`: the built site, the service and the sandbox platform on localhost, wired together."""

from __future__ import annotations

import logging
import signal
import time

import click
import requests

from callback.cli.demo_setup import Demo, start_demo
from callback.facts import FactsError


def check(demo: Demo) -> list[str]:
    """Ask each server for its front page; return what failed."""
    problems = []
    for name, url in (
        ("site", demo.site.url + "/"),
        ("service", demo.service.url + "/healthz"),
        ("sandbox", demo.sandbox.url + "/_sandbox/state"),
    ):
        try:
            status: int | str = requests.get(url, timeout=5).status_code
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
@click.option(
    "--data-dir",
    default="instance-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the demo keeps its tokens and its built site.",
)
@click.option("--check-only", is_flag=True, help="Start everything, check each server answers, stop, and exit.")
@click.pass_context
def demo_command(
    ctx: click.Context, site_port: int, service_port: int, sandbox_port: int, data_dir: str, check_only: bool
) -> None:
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
            click.echo(
                f"site {demo.site.url}, service {demo.service.url}, sandbox {demo.sandbox.url}: "
                + ("not all answered" if problems else "all answered")
            )
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
