"""The `greenlight` command line: one click group, one command per job."""
from __future__ import annotations

import importlib

import click

from callback.facts import FactsError, load_facts


# Each command lives beside the code it drives; it is imported only when run, so a cron job's
# `greenlight token` does not pay for MkDocs, Playwright or the checks. Name -> "module:attribute".
COMMANDS = {
    "archive": "callback.build:archive",
    "build": "callback.build:build",
    "check": "callback.checks.command:check",
    "deletions": "callback.deletions_cli:deletions",
    "demo": "callback.demo:demo_command",
    "doctor": "callback.doctor:doctor",
    "init": "callback.starter:init",
    "posts": "callback.webhooks:posts_command",
    "purge": "callback.retention:purge_command",
    "redirect-uri": "callback.tokens_cli:redirect_uri_command",
    "review-kit": "callback.review:review_kit_command",
    "serve": "callback.build:serve",
    "token": "callback.tokens_cli:token_command",
    "tokens": "callback.tokens_cli:tokens_group",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup)
@click.option("--facts", "facts_path", envvar="GREENLIGHT_FACTS", default="mkdocs.yml", show_default=True,
              help="The mkdocs.yml (or bare facts file) holding the app's facts.")
@click.pass_context
def cli(ctx: click.Context, facts_path: str) -> None:
    """Greenlight: an app-review-ready site and callback service for TikTok publishing apps."""
    ctx.obj = {"facts_path": facts_path}


def facts_from(ctx: click.Context):
    """Load the facts named on the command line, turning errors into a clean exit."""
    try:
        return load_facts(ctx.find_root().obj["facts_path"])
    except FactsError as exc:
        raise click.ClickException("the facts file is invalid:\n" + str(exc)) from None
