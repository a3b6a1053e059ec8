"""The `greenlight` command line: one click group, one command per job."""
from __future__ import annotations

import click

from callback.facts import FactsError, load_facts


@click.group()
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


# Commands live beside the code they drive; each module registers its own here.
# (one line per module: keep this list sorted)
from callback import build as _site  # noqa: E402  (the site: build, serve, init, archive)
_site.register(cli)
from callback.deletion import deletions  # noqa: E402
from callback.retention import purge_command  # noqa: E402
from callback.webhooks import posts_command  # noqa: E402
cli.add_command(deletions)
cli.add_command(posts_command)
cli.add_command(purge_command)
from callback.tokens_cli import redirect_uri_command, token_command, tokens_group  # noqa: E402
cli.add_command(token_command)
cli.add_command(tokens_group)
cli.add_command(redirect_uri_command)
from callback.checks.command import check as check_command  # noqa: E402
from callback.doctor import doctor as doctor_command  # noqa: E402
from callback.review import review_kit_command  # noqa: E402
cli.add_command(check_command)
cli.add_command(doctor_command)
cli.add_command(review_kit_command)
from callback.demo import demo_command  # noqa: E402
cli.add_command(demo_command)
