"""`greenlight purge`: delete what the retention facts say must go."""

from __future__ import annotations

import click

from callback.cli.common import cli_settings, data_dir_option, facts_from, open_stores
from callback.data.queue import PostQueue
from callback.data.retention import last_used, purge
from callback.facts.dates import utc_text
from callback.platform.tiktok import revoker


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and change nothing.")
@data_dir_option
@click.pass_context
def purge_command(ctx: click.Context, dry_run: bool, data_dir: str | None) -> None:
    """Delete what the retention facts say must go (run it daily: `greenlight examples` writes a timer
    and a cron line)."""
    facts = facts_from(ctx)
    store, recs = open_stores(ctx, data_dir)
    settings = cli_settings(ctx, data_dir)
    p = purge(facts, store, recs, dry_run=dry_run, revoke=revoker(settings), queue=PostQueue(settings["DATA_DIR"]))
    r, verb = facts.retention, "would delete" if dry_run else "deleted"
    for acc in p.accounts:
        click.echo(
            f"{verb} the tokens of {acc.get('display_name') or '(no name)'} ({acc['open_id']}): unused "
            f"since {utc_text(last_used(acc))}, over {r.tokens_unused_days} days"
        )
    if r.tokens_unused_days is None:
        click.echo("tokens are kept until revoked (tokens_unused_days: until_revoked): none deleted for disuse")
    limits = [
        f"{what} before {utc_text(cut)} ({days} days)"
        for what, cut, days in (
            ("receipts received", p.records_cutoff, r.records_days),
            ("publishing records received", p.content_cutoff, r.content),
        )
        if cut is not None
    ]
    click.echo(
        f"{verb} {p.receipts} webhook receipt(s): "
        + ("; ".join(limits) if limits else "none goes by age (records_days: until_deleted)")
    )
    click.echo(
        f"{verb} {len(p.requests)} deletion receipt(s) closed before {utc_text(p.receipts_cutoff)} "
        f"({r.deletion_receipts_days} days)"
    )
    click.echo(
        (
            f"{verb} {len(p.media)} queued video(s) kept past {r.queued_media_hours} hours (not posted: "
            f"expired) and {len(p.items)} finished queue item(s)"
        )
        + (f" past {r.content} days" if r.content is not None else "")
    )
    for note in p.notes:
        click.secho(note, fg="yellow", err=True)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
