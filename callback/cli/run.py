"""`greenlight run`: the callback service under gunicorn, with Greenlight's own settings."""

from __future__ import annotations

import os
import sys

import click

CONFIG = "python:callback.service.gunicorn_config"


@click.command("run", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(ctx: click.Context, gunicorn_args: tuple[str, ...]) -> None:
    """Start the callback service under gunicorn (bind, workers: GREENLIGHT_BIND, GREENLIGHT_WORKERS).

    Any further arguments go to gunicorn as they are, e.g. `greenlight run --bind 127.0.0.1:8080`.
    """
    os.environ["GREENLIGHT_FACTS"] = os.path.abspath(ctx.find_root().obj["facts_path"])
    argv = [sys.executable, "-m", "gunicorn", "-c", CONFIG, *gunicorn_args]
    os.execv(sys.executable, argv)  # gunicorn becomes this process: signals and exit codes are its own
