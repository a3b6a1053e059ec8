"""`greenlight redirect-uri`: the redirect URI to register in TikTok's developer portal."""

from __future__ import annotations

import click

from callback.cli.common import cli_settings, facts_from
from callback.platform.redirects import (
    configured_redirect_uri,
    redirect_mismatch,
    redirect_uri_problems,
    served_redirect_uri,
)


@click.command("redirect-uri")
@click.pass_context
def redirect_uri_command(ctx: click.Context) -> None:
    """Print the redirect URI to register in TikTok's developer portal (problems go to stderr)."""
    settings = cli_settings(ctx)
    facts = facts_from(ctx)
    uri = configured_redirect_uri(settings, facts)
    click.echo(uri)
    problems = redirect_uri_problems(uri, facts.app_type)
    if mismatch := redirect_mismatch(uri, served_redirect_uri(facts.service_url)):
        problems.append(mismatch)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if problems:
        ctx.exit(1)
