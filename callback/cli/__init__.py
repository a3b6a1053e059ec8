"""The `greenlight` command line: one click group, one command per job."""

from __future__ import annotations

import importlib

import click

DISTRIBUTION = "greenlight-publish"  # the name on the package index ("greenlight" was taken)

# Each command is imported only when run, so a cron job's
# `greenlight token` does not pay for MkDocs, Playwright or the checks. Name -> "module:attribute".
COMMANDS = {
    "archive": "callback.cli.site:archive",
    "build": "callback.cli.site:build",
    "check": "callback.checks.command:check",
    "connect": "callback.cli.connect:connect_command",
    "db": "callback.cli.db:db_group",
    "deletions": "callback.cli.deletions:deletions",
    "demo": "callback.cli.demo:demo_command",
    "doctor": "callback.cli.doctor:doctor",
    "examples": "callback.cli.examples:examples",
    "init": "callback.cli.site:init",
    "post": "callback.cli.post:post_command",
    "posts": "callback.cli.posts:posts_command",
    "purge": "callback.cli.purge:purge_command",
    "redirect-uri": "callback.cli.redirect:redirect_uri_command",
    "review-kit": "callback.cli.review:review_kit_command",
    "run": "callback.cli.run:run",
    "serve": "callback.cli.site:serve",
    "token": "callback.cli.tokens:token_command",
    "tokens": "callback.cli.tokens:tokens_group",
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
@click.version_option(package_name=DISTRIBUTION, prog_name="greenlight", message="%(prog)s %(version)s")
@click.option(
    "--facts",
    "facts_path",
    envvar="GREENLIGHT_FACTS",
    default="mkdocs.yml",
    show_default=True,
    help="The mkdocs.yml (or bare facts file) holding the app's facts.",
)
@click.pass_context
def cli(ctx: click.Context, facts_path: str) -> None:
    """Greenlight: an app-review-ready site and callback service for TikTok publishing apps."""
    ctx.obj = {"facts_path": facts_path}
