"""Publishing a queued video once its creator approves it: fresh token, fresh creator_info, init, chunked upload,
then the status followed to its end (or to a bound), every failure told in plain words on the item.

The posting page calls start() (work in the background) or publish() (in line); how an item ends is written
by outcomes.py, which TikTok's webhooks reach too.
No request context is needed: stores and settings are passed in.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from callback.data.files import LockTimeout
from callback.data.queue import ACTIVE, PostQueue
from callback.data.store import ReconnectNeeded, TokenBackend
from callback.platform.media import mp4_duration
from callback.platform.posting import chunk_plan, explain, fetch_status, init_post, upload
from callback.platform.tiktok import PlatformError, TikTok
from callback.service.outcomes import fail, settle
from callback.service.post_rules import SETTINGS, Refusal, duration_words, post_info, refresher, timeout_message

log = logging.getLogger("greenlight.publisher")
CLAIMABLE = ("queued", "failed")  # a failed post may be tried again; anything else is under way or done
PROCESSING = "TikTok is processing the video. This can take a few minutes."
UNEXPECTED = "Something went wrong while posting. Press Post again; if it keeps happening, tell the operator."


def publish(
    item_id: str,
    settings: dict,
    *,
    queue: PostQueue,
    store: TokenBackend,
    config: dict,
    poll_every: float = 5.0,
    max_wait: float = 600.0,
) -> dict:
    """Post a queued item with the page's settings and follow it to its end; return the item as it ends.

    An item already under way or finished is returned unchanged (a second press posts nothing twice).
    """
    item = _claim(queue, item_id, settings)
    if item is None:
        current = queue.get(item_id)
        if current is None:
            raise KeyError(item_id)
        return current
    return _carry_out(item, queue=queue, store=store, config=config, poll_every=poll_every, max_wait=max_wait)


def start(
    item_id: str, settings: dict, *, app: Flask, poll_every: float = 5.0, max_wait: float = 600.0
) -> threading.Thread | None:
    """Claim the item now and post it in the background (a greenlet under gevent); None if not claimable."""
    ext = app.extensions["greenlight"]
    item = _claim(ext["queue"], item_id, settings)
    if item is None:
        return None
    kwargs = {
        "queue": ext["queue"],
        "store": ext["store"],
        "config": dict(app.config),
        "poll_every": poll_every,
        "max_wait": max_wait,
    }
    thread = threading.Thread(target=_carry_out, args=(item,), kwargs=kwargs, name=f"publish:{item_id}", daemon=True)
    thread.start()
    return thread


def _claim(queue: PostQueue, item_id: str, settings: dict) -> dict | None:
    """Move a queued (or failed) item to uploading with the page's settings, in one step."""
    current = queue.get(item_id)
    if current is None:
        return None
    chosen = {k: v for k, v in (settings or {}).items() if k in SETTINGS}
    return queue.claim(
        item_id,
        CLAIMABLE,
        status="uploading",
        settings=chosen,
        title=str(chosen.get("title", current["title"])),
        publish_id=None,
        post_id=None,
        fail_reason=None,
        uploaded_bytes=0,
        message="Sending the video to TikTok.",
    )


def _carry_out(
    item: dict, *, queue: PostQueue, store: TokenBackend, config: dict, poll_every: float, max_wait: float
) -> dict:
    """Run a claimed item to its end; every error leaves it failed with words saying why."""
    try:
        return _run(item, queue, store, config, poll_every, max_wait)
    except Refusal as exc:
        return fail(queue, item["id"], exc.code, exc.message)
    except PlatformError as exc:
        log.warning("posting item %s failed: %s", item["id"], exc)
        return fail(queue, item["id"], exc.error, explain(exc.error))
    except ReconnectNeeded:
        return fail(queue, item["id"], "reconnect_needed", explain("reconnect_needed"))
    except LockTimeout:
        return fail(queue, item["id"], "busy", explain("busy"))
    except Exception:  # whatever it was, the item must not stay "uploading"
        log.exception("posting item %s failed unexpectedly", item["id"])
        return fail(queue, item["id"], "unexpected", UNEXPECTED)


def _fresh_token(store: TokenBackend, open_id: str, config: dict) -> str:
    """Return a valid access token for the account, refreshing it first when due; note the use."""
    try:
        account = store.refresh(open_id, refresher(config), margin=float(config.get("REFRESH_MARGIN", 300)))
    except KeyError:  # disconnected or erased since the video was queued
        raise Refusal("account_gone") from None
    store.update(open_id, last_used_at=time.time())  # retention counts days since the app last used a token
    return account["access_token"]


def _run(item: dict, queue: PostQueue, store: TokenBackend, config: dict, poll_every: float, max_wait: float) -> dict:
    item_id, settings = item["id"], item["settings"]
    token = _fresh_token(store, item["open_id"], config)
    client = TikTok.from_settings(config)
    creator = client.creator_info(token)  # fresh for every post, as TikTok requires; never stored
    media = queue.media(item_id) if item["source"] == "FILE_UPLOAD" else None
    if item["source"] == "FILE_UPLOAD" and media is None:
        raise Refusal("media_gone")
    duration, limit = item.get("duration"), creator.get("max_video_post_duration_sec")
    if media is not None and duration is None:
        try:
            duration = mp4_duration(media)
        except (ValueError, OSError):
            duration = None  # not an MP4 we can read: TikTok judges the file itself
    if duration and limit and duration > limit:  # refused before a single byte is sent
        raise Refusal(
            "too_long",
            f"The video is {duration_words(duration)} long; TikTok lets this account post "
            f"videos of at most {duration_words(limit)}. Trim it and queue it again.",
        )
    info = None if item["inbox"] else post_info({**settings, "title": item["title"]}, creator)
    if media is not None:
        size = media.stat().st_size
        try:
            chunk_plan(size)
        except ValueError:
            raise Refusal("too_large") from None
        data = init_post(client, token, inbox=item["inbox"], post_info=info, size=size)
        queue.update(item_id, publish_id=data["publish_id"], size=size)
        upload(
            client,
            data["upload_url"],
            media,
            size,
            data["chunk_size"],
            data["total_chunk_count"],
            progress=lambda sent: queue.update(item_id, uploaded_bytes=sent),
        )
    else:
        data = init_post(client, token, inbox=item["inbox"], post_info=info, url=item["url"])
        queue.update(item_id, publish_id=data["publish_id"])
    queue.claim(item_id, ("uploading",), status="processing", message=PROCESSING)
    return _follow(
        item_id, data["publish_id"], token, item["open_id"], queue, store, config, client, poll_every, max_wait
    )


def _follow(
    item_id: str,
    publish_id: str,
    token: str,
    open_id: str,
    queue: PostQueue,
    store: TokenBackend,
    config: dict,
    client: TikTok,
    poll_every: float,
    max_wait: float,
) -> dict:
    """Fetch the status until TikTok finishes, a webhook settles the item, or max_wait passes."""
    deadline = time.monotonic() + max_wait
    while True:
        current = queue.get(item_id)
        if current is None or current["status"] not in ACTIVE:  # erased, or settled by a webhook meanwhile
            return current or {}
        try:
            st = fetch_status(client, token, publish_id)
        except PlatformError as exc:
            if exc.error == "access_token_invalid":
                token = _fresh_token(store, open_id, config)  # expired while TikTok processed
            elif not (exc.retryable or exc.error == "rate_limit_exceeded"):
                raise
            st = {}
        status = st.get("status")
        if status in ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX"):
            ids = st.get("publicaly_available_post_id") or []  # sic: TikTok's spelling
            return settle(
                queue, item_id, "published" if status == "PUBLISH_COMPLETE" else "inbox", str(ids[0]) if ids else None
            )
        if status == "FAILED":
            reason = st.get("fail_reason") or "internal"
            return fail(queue, item_id, reason, explain(reason))
        left = deadline - time.monotonic()
        if left <= 0:
            return fail(queue, item_id, "timed_out", timeout_message(max_wait))
        time.sleep(min(poll_every, left))
