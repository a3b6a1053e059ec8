"""`greenlight posts`: the publish status of each post, as TikTok reported it."""

from __future__ import annotations

import click

from callback.cli.common import cli_settings, data_dir_option, echo_table, open_stores
from callback.data.posts import posts
from callback.data.queue import PostQueue
from callback.data.store import StoreError
from callback.facts.dates import utc_text


@click.command("posts")
@data_dir_option
@click.pass_context
def posts_command(ctx: click.Context, data_dir: str | None) -> None:
    """Show the publish status of each post TikTok has told the service about, and the queued videos."""
    store, recs = open_stores(ctx, data_dir)
    try:
        accounts = store.list()
    except StoreError as exc:
        click.echo(f"warning: account names unavailable: {exc}", err=True)
        accounts = []
    names = {a["open_id"]: a.get("display_name") or "" for a in accounts}
    rows = posts(recs.events.receipts())
    queued = PostQueue(cli_settings(ctx, data_dir)["DATA_DIR"]).all()
    if not rows and not queued:
        click.echo("No publish events received yet.")
        return
    if rows:
        table = [("PUBLISH ID", "ACCOUNT", "STATUS", "UPDATED", "POST ID / REASON")]
        for p in rows:
            table.append(
                (
                    p["publish_id"],
                    names.get(p["user"], "(not connected)"),
                    p["status"],
                    utc_text(p["updated"]),
                    p["post_id"] or p["reason"],
                )
            )
        echo_table(table)
    if queued:
        click.echo("\nQueued videos:" if rows else "Queued videos:")
        echo_queue(queued, names)


def echo_queue(items: list[dict], names: dict[str, str]) -> None:
    """Print the queued videos: state, post id or failure reason, newest first."""
    table = [("QUEUE ITEM", "ACCOUNT", "STATE", "QUEUED", "TITLE", "POST ID / REASON")]
    for i in reversed(items):
        title = i["title"] if len(i["title"]) <= 30 else i["title"][:29] + "\u2026"
        table.append(
            (
                i["id"],
                names.get(i["open_id"], "(not connected)"),
                i["status"] + (" (inbox)" if i["inbox"] and i["status"] != "inbox" else ""),
                utc_text(i["queued_at"]),
                title.replace("\n", " "),
                i.get("post_id") or i.get("fail_reason") or "",
            )
        )
    echo_table(table)
