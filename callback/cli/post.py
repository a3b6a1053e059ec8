"""`greenlight post`: queue a video for a connected account; its creator approves it on the posting page."""

from __future__ import annotations

import click

from callback.cli.common import cli_settings, data_dir_option
from callback.data.accounts import AccountError
from callback.data.store import StoreError
from callback.facts import FactsError
from callback.facts.settings import ConfigError
from callback.publishing import queue_video


@click.command("post")
@click.argument("video")
@click.option(
    "--title",
    required=True,
    help="The post's title (caption), up to 2200 characters; the creator can still edit it on the posting page.",
)
@click.option(
    "--account",
    default=None,
    help="Display name or open_id of the connected account (needed when several are connected).",
)
@click.option(
    "--inbox",
    is_flag=True,
    help="Send the video to the creator's TikTok inbox as a draft (scope video.upload) instead of posting it directly.",
)
@data_dir_option
@click.pass_context
def post_command(
    ctx: click.Context, video: str, title: str, account: str | None, inbox: bool, data_dir: str | None
) -> None:
    """Queue VIDEO (a local file, or an https URL on a verified domain) for posting to TikTok.

    Nothing is posted yet: the creator reviews the video, chooses who can see it and presses Post on the
    service's posting page, as TikTok's Direct Post rules require.
    """
    settings = cli_settings(ctx, data_dir)
    try:
        item = queue_video(video, title, account=account, inbox=inbox, settings=settings)
    except (AccountError, ValueError, FileNotFoundError, ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    except FactsError as exc:
        raise click.ClickException("the facts file is invalid:\n" + str(exc)) from None
    how = "to the TikTok inbox of" if inbox else "for"
    size = item["size"] or 0
    size_text = f", {size / 2**20:.1f} MB" if size >= 2**20 else f", {size} bytes" if size else ""
    length = f", {item['duration']:.0f} s" if item["duration"] else ""
    click.echo(f"Queued {title!r} {how} {item['account_name']} ({item['open_id']}){size_text}{length}.")
    click.echo(f"Item: {item['id']}")
    click.echo(f"The creator approves and posts it at: {item['approve_url']}")
