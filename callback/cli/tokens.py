"""`greenlight token` and `greenlight tokens list|refresh|revoke|export`."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import click

from callback.cli.common import cli_settings, facts_from
from callback.data.accounts import AccountError, AmbiguousAccount, clear_exports, export_env, pick
from callback.data.store import ReconnectNeeded, StoreError
from callback.facts.dates import utc_text
from callback.facts.settings import ConfigError
from callback.facts.setup import local
from callback.platform.tiktok import PlatformError, TikTok
from callback.tokens import (
    DAY,
    AccessRemoved,
    check_access,
    clean,
    connect_url,
    fresh_account,
    hand_out,
    log,
    open_store,
    refresh_warning,
    status,
    until,
    usable_account,
)

RECONNECT_EXIT = 3  # distinct from 1 (any other failure) so cron wrappers can tell a user must act


class Reconnect(click.ClickException):
    exit_code = RECONNECT_EXIT


@contextlib.contextmanager
def explained(settings: dict, by_open_id: str = ""):
    """Turn the token keeper's errors into one clear line and an exit code, credentials redacted.

    `by_open_id` shows how this command names an account by open_id, for when a name matched several.
    """
    # TikTok's error_description is free text and may quote what it was sent: never print it raw.
    try:
        yield
    except ReconnectNeeded as exc:
        raise Reconnect(clean(f"{exc}. Reconnect it at {connect_url(settings)}", settings)) from None
    except AmbiguousAccount as exc:  # connecting more would not help: say how to name one
        usage = f": {by_open_id}" if by_open_id and exc.ref is not None else ""
        raise click.ClickException(clean(f"{exc}{usage}", settings)) from None
    except AccountError as exc:
        raise click.ClickException(clean(f"{exc}; connect at {connect_url(settings)}", settings)) from None
    except PlatformError as exc:
        raise click.ClickException(clean(f"could not reach a fresh token: {exc}", settings)) from None
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(clean(str(exc), settings)) from None


@click.command("token")
@click.option("--account", "-a", metavar="NAME|OPEN_ID", help="Which account (needed when several are connected).")
@click.pass_context
def token_command(ctx: click.Context, account: str | None) -> None:
    """Print a valid access token (and nothing else), refreshing it first if it is about to expire.

    When the refresh fails for now (TikTok down, unreachable, slow) or the account must be reconnected,
    the stored token is printed while it has not expired, with a warning on stderr.
    """
    settings = cli_settings(ctx)
    with explained(settings, "greenlight token --account OPEN_ID"):
        got, warning = hand_out(account, settings)
    if warning:
        click.echo(f"warning: {warning}", err=True)  # stdout carries the token alone, for $(greenlight token)
    click.echo(got.token)


@click.group("tokens")
def tokens_group() -> None:
    """List, refresh, revoke and export the stored TikTok tokens."""


@tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Show connected accounts, their scopes, expiries and status (never the tokens)."""
    settings = cli_settings(ctx)
    with explained(settings):
        accounts = open_store(settings).list()
    now = time.time()
    rows = [
        {
            "display_name": a.get("display_name", ""),
            "open_id": a["open_id"],
            "scope": a.get("scope", []),
            "expires_at": a.get("expires_at"),
            "refresh_expires_at": a.get("refresh_expires_at"),
            "last_used_at": a.get("last_used_at"),
            "status": status(a, settings, now),
        }
        for a in accounts
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No account is connected yet. Connect one at {connect_url(settings)}")
        return
    for r in rows:
        click.echo(
            f"{r['display_name'] or '(no name)'}  {r['open_id']}\n"
            f"  scopes:          {', '.join(r['scope']) or '-'}\n"
            f"  access token:    expires {until(r['expires_at'] or 0, now)} ({utc_text(r['expires_at'])})\n"
            f"  refresh token:   expires {until(r['refresh_expires_at'] or 0, now)}"
            f" ({utc_text(r['refresh_expires_at'])})\n"
            f"  last used:       {utc_text(r['last_used_at'])}\n"
            f"  status:          {r['status']}"
        )


@tokens_group.command("refresh")
@click.option("--account", "-a", metavar="NAME|OPEN_ID", help="Only this account (default: all).")
@click.option("--force", is_flag=True, help="Refresh even tokens that are not about to expire.")
@click.pass_context
def refresh_command(ctx: click.Context, account: str | None, force: bool) -> None:
    """Refresh every access token near expiry (run it from cron or a systemd timer).

    With deployment: local it also asks TikTok whether each token is still accepted: TikTok cannot tell a
    local service that a user removed access, so a refused token is how it learns, and the account's data
    is then deleted, as the privacy policy says.
    """
    settings = cli_settings(ctx)
    probe = local(facts_from(ctx))
    with explained(settings, "greenlight tokens refresh --account OPEN_ID"):
        store = open_store(settings)
        accounts = [pick(store, account)] if account else store.list()
    failed = reconnect = 0
    for acc in accounts:
        name = acc.get("display_name") or acc["open_id"]
        # A refresh also renews a rotating refresh token, so refresh early when that one nears its end.
        near_end = acc.get("refresh_expires_at", 0) - time.time() < settings["REFRESH_WARN_DAYS"] * DAY
        try:
            before = acc.get("expires_at")
            acc = fresh_account(store, acc["open_id"], settings, float("inf") if force or near_end else None)
            if probe:
                acc = check_access(store, acc["open_id"], settings)
            word = "refreshed" if acc.get("expires_at") != before else "fresh"
            click.echo(f"{word}: {name}: access token valid until {utc_text(acc['expires_at'])}")
        except AccessRemoved as exc:  # the user removed access: erased, as the policy promises; nothing to fix
            click.echo(f"REMOVED: {name}: {exc.reason}")
            continue
        except ReconnectNeeded as exc:
            reconnect += 1
            log.error("%s needs to be connected again (%s): %s", name, exc.reason, connect_url(settings))
            click.echo(f"NEEDS RECONNECT: {name}: {exc.reason}; reconnect at {connect_url(settings)}")
            continue
        except PlatformError as exc:
            failed += 1
            reason = clean(str(exc), settings, acc)
            log.error("refreshing %s failed: %s", name, reason)
            click.echo(f"FAILED: {name}: {reason}")
            continue
        if warning := refresh_warning(acc, settings):
            log.warning(warning)
    if reconnect or failed:
        ctx.exit(RECONNECT_EXIT if reconnect and not failed else 1)


@tokens_group.command("revoke")
@click.argument("account", metavar="NAME|OPEN_ID")
@click.option("--local-only", is_flag=True, help="Delete the local copy without telling TikTok.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def revoke_command(ctx: click.Context, account: str, local_only: bool, yes: bool) -> None:
    """Revoke an account's authorization at TikTok, then delete its tokens here.

    Put -- before an open_id that starts with a dash: greenlight tokens revoke -- -000abc
    """
    settings = cli_settings(ctx)
    with explained(settings, "greenlight tokens revoke -- OPEN_ID"):  # open_ids may start with "-"
        store = open_store(settings)
        acc = pick(store, account)
    name = acc.get("display_name") or acc["open_id"]
    if not yes:
        click.confirm(f"Revoke {name}'s authorization and delete its tokens?", abort=True)
    note = "not told TikTok (--local-only)"
    if not local_only:
        try:
            # An account to reconnect may still hold a working access token: revoke with it while it lasts.
            token = usable_account(store, acc["open_id"], settings, margin=60).token
            TikTok.from_settings(settings).revoke(token)
            note = "revoked at TikTok"
        except ReconnectNeeded:
            note = "its authorization was already unusable"
        except PlatformError as exc:
            if exc.error not in ("invalid_request", "access_token_invalid", "invalid_grant"):
                raise click.ClickException(
                    clean(
                        f"could not revoke {name} at TikTok ({exc}); nothing was deleted. "
                        "Try again, or use --local-only",
                        settings,
                        acc,
                    )
                ) from None
            note = f"TikTok answered {exc.error}: the token was already invalid"
    store.delete(acc["open_id"])
    clear_exports(acc)
    click.echo(f"deleted {name} ({acc['open_id']}): {note}")


@tokens_group.command("export")
@click.option(
    "--env",
    "env_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The .env file to write (created 0600; its other lines are kept).",
)
@click.option("--account", "-a", metavar="NAME|OPEN_ID", help="Which account (needed when several are connected).")
@click.pass_context
def export_command(ctx: click.Context, env_file: str, account: str | None) -> None:
    """Write TIKTOK_ACCESS_TOKEN, TIKTOK_REFRESH_TOKEN, TIKTOK_OPEN_ID, TIKTOK_EXPIRES_AT for an uploader.

    The uploader must not refresh with the exported refresh token: refresh tokens rotate, and a refresh
    done elsewhere makes this store's copy invalid. Run this command again instead.
    """
    settings = cli_settings(ctx)
    with explained(settings, "greenlight tokens export --env FILE --account OPEN_ID"):
        store = open_store(settings)
        acc = fresh_account(store, pick(store, account)["open_id"], settings)
        store.update(acc["open_id"], last_used_at=time.time())
    keys = export_env(acc, env_file)
    # Remembered with the account, so erasing it also clears this copy (the privacy policy says so).
    store.update(acc["open_id"], exports=sorted({*acc.get("exports", []), str(Path(env_file).resolve())}))
    click.echo(f"wrote {', '.join(keys)} to {env_file} (access token valid until {utc_text(acc['expires_at'])})")
