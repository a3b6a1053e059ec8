"""Queue videos for posting from a pipeline: `queue_video()` in Python, `greenlight post` on the command line.

An entry point above the layers, like callback.tokens: it joins the account store and the queue (data)
with the MP4 reader (platform). Nothing is sent to TikTok here: the creator approves each video on the
posting page (`<urls.service>/post`), as TikTok's Direct Post rules require.
"""

from __future__ import annotations

from pathlib import Path

from callback.data.accounts import pick
from callback.data.backends import open_backend
from callback.data.queue import PostQueue
from callback.facts import load_facts
from callback.facts.settings import ConfigError, load_settings
from callback.platform.media import mp4_duration
from callback.platform.posting import chunk_plan


def approve_url(settings: dict) -> str:
    """Return where creators approve queued videos: the service's posting page."""
    return load_facts(settings["FACTS_FILE"]).service_url.rstrip("/") + "/post"


def open_queue(settings: dict) -> PostQueue:
    """Open the publishing queue in the settings' data directory."""
    if not settings.get("DATA_DIR"):
        raise ConfigError(
            "no data directory: pass --data-dir or set GREENLIGHT_DATA_DIR, or run where the facts file is"
        )
    return PostQueue(settings["DATA_DIR"])


def queue_video(
    path_or_url: str | Path, title: str, account: str | None = None, inbox: bool = False, settings: dict | None = None
) -> dict:
    """Queue a local video file, or an https URL TikTok pulls from, for one connected account; return the item.

    `account` is a display name or open_id (optional when one account is connected); `inbox` sends the video
    to the creator's TikTok inbox as a draft instead of posting it. The item comes back with `approve_url`,
    the posting page where the creator reviews and posts it, and `account_name`. Raises AccountError, ValueError,
    FileNotFoundError, FactsError or ConfigError.
    """
    settings = load_settings(settings)
    where = approve_url(settings)  # the facts are read first: a bad facts file queues nothing
    store = open_backend(settings).store
    acc = pick(store, account)
    scope = "video.upload" if inbox else "video.publish"
    if acc.get("scope") and scope not in acc["scope"]:
        raise ValueError(
            f"{acc.get('display_name') or acc['open_id']} did not grant {scope}, which "
            f"{'an inbox upload' if inbox else 'a direct post'} needs: reconnect the account and leave "
            "it ticked"
        )
    queue, text = open_queue(settings), str(path_or_url)
    if text.startswith("https://"):
        item = queue.add(open_id=acc["open_id"], title=title, inbox=inbox, url=text)
    elif text.startswith("http://"):
        raise ValueError("TikTok pulls videos only from https:// addresses on a domain the app has verified")
    else:
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"no video file at {path}")
        chunk_plan(path.stat().st_size)  # an empty or far too large file is refused now, not at approval
        try:
            duration = mp4_duration(path)
        except (ValueError, OSError):
            duration = None  # not an MP4 we can read (WebM, MOV variants): TikTok judges it
        item = queue.add(open_id=acc["open_id"], title=title, inbox=inbox, path=path, duration=duration)
    return {**item, "approve_url": where, "account_name": acc.get("display_name") or acc["open_id"]}
