"""`greenlight posts`: the publish status of each post, as TikTok reported it."""
from __future__ import annotations

import click

from callback.cli.common import data_dir_option, echo_table, open_stores
from callback.data.posts import posts
from callback.data.store import StoreError
from callback.facts.dates import utc_text


@click.command("posts")
@data_dir_option
@click.pass_context
def posts_command(ctx: click.Context, data_dir: str | None) -> None:
    """Show the publish status of each post TikTok has told the service about."""
    store, recs = open_stores(ctx, data_dir)
    try:
        accounts = store.list()
    except StoreError as exc:
        click.echo(f"warning: account names unavailable: {exc}", err=True)
        accounts = []
    names = {a["open_id"]: a.get("display_name") or "" for a in accounts}
    rows = posts(recs.events.receipts())
    if not rows:
        click.echo("No publish events received yet.")
        return
    table = [("PUBLISH ID", "ACCOUNT", "STATUS", "UPDATED", "POST ID / REASON")]
    for p in rows:
        table.append((p["publish_id"], names.get(p["user"], "(not connected)"), p["status"], utc_text(p["updated"]),
                      p["post_id"] or p["reason"]))
    echo_table(table)
