"""`greenlight purge`: delete what the retention facts say must go."""
from __future__ import annotations

import click

from callback.cli.common import cli_settings, data_dir_option, facts_from, open_stores
from callback.data.retention import last_used, purge
from callback.facts.dates import utc_text
from callback.platform.tiktok import revoker


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and change nothing.")
@data_dir_option
@click.pass_context
def purge_command(ctx: click.Context, dry_run: bool, data_dir: str | None) -> None:
    """Delete what the retention facts say must go (run it daily: see deploy/greenlight-purge.timer)."""
    facts = facts_from(ctx)
    store, recs = open_stores(ctx, data_dir)
    p = purge(facts, store, recs, dry_run=dry_run, revoke=revoker(cli_settings(ctx, data_dir)))
    r, verb = facts.retention, "would delete" if dry_run else "deleted"
    for acc in p.accounts:
        click.echo(f"{verb} the tokens of {acc.get('display_name') or '(no name)'} ({acc['open_id']}): unused "
                   f"since {utc_text(last_used(acc))}, over {r.tokens_unused_days} days")
    click.echo(f"{verb} {p.receipts} webhook receipt(s) received before {utc_text(p.records_cutoff)} "
               f"({r.records_days} days)")
    click.echo(f"{verb} {len(p.requests)} deletion receipt(s) closed before {utc_text(p.receipts_cutoff)} "
               f"({r.deletion_receipts_days} days)")
    for note in p.notes:
        click.secho(note, fg="yellow", err=True)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
