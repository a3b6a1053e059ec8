"""`greenlight connect`: the owner's own sign-in link, for a setup where only the owner connects accounts."""

from __future__ import annotations

import click

from callback.cli.common import cli_settings, facts_from
from callback.data.backends import open_backend
from callback.facts.settings import ConfigError
from callback.facts.setup import OWNER_ATTEMPT, public_users
from callback.platform.redirects import configured_redirect_uri
from callback.platform.tiktok import TikTok, code_challenge, new_verifier


@click.command("connect")
@click.pass_context
def connect_command(ctx: click.Context) -> None:
    """Print a one-time TikTok sign-in link that connects an account to the running service.

    Open it in a browser within GREENLIGHT_STATE_TTL (10 minutes) and authorize: TikTok sends the browser
    back to the service, which keeps the tokens. For `users: owner` setups, where the service has no public
    connect page and sets no cookie.
    """
    facts, settings = facts_from(ctx), cli_settings(ctx)
    if public_users(facts):
        raise click.ClickException(
            f"the facts say users: public: connect at {facts.connect_url} (this command is for users: owner setups)"
        )
    try:
        attempts = open_backend(settings).attempts
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    verifier = new_verifier()
    # The state goes only to this terminal: whoever opens the link is the owner who ran the command.
    state = attempts.begin(verifier, purpose=OWNER_ATTEMPT)
    uri = configured_redirect_uri(settings, facts)
    click.echo(
        TikTok.from_settings(settings).authorize_url(
            facts.tiktok_scopes, uri, state, code_challenge(verifier, settings["PKCE_ENCODING"])
        )
    )
