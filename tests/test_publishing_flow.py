"""The publisher against the sandbox: direct posts, inbox drafts, pulled URLs, refusals before upload, bounds."""

from __future__ import annotations

import time

import pytest

from callback.platform.posting import explain
from callback.service import publisher
from callback.service.post_rules import Refusal, post_info
from publishing_support import MB, PRIVATE, config, connect, control, publishes, stores, video  # noqa: F401

FAST = {"poll_every": 0.01, "max_wait": 5.0}
URL = "https://media.example/videos/clip.mp4"


def post(item_id: str, config: dict, settings: dict | None = None, **bounds) -> dict:
    store, queue = stores(config)
    return publisher.publish(
        item_id,
        dict(PRIVATE if settings is None else settings),
        queue=queue,
        store=store,
        config=config,
        **{**FAST, **bounds},
    )


def test_a_direct_post_goes_up_and_ends_published_with_its_video_deleted(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="queued title", path=video(tmp_path, size=6 * MB))
    done = post(item["id"], config, {**PRIVATE, "title": "edited on the page #tag"})
    assert done["status"] == "published" and done["message"] == "Posted to TikTok."
    assert done["publish_id"].startswith("v_pub_file") and done["uploaded_bytes"] == 6 * MB
    assert done["title"] == "edited on the page #tag" and done["settings"]["privacy_level"] == "SELF_ONLY"
    assert queue.media(item["id"]) is None and not list(queue.dir.glob("*.media"))
    (pub,) = publishes(sandbox)
    assert pub["received"] == 6 * MB and pub["status"] == "PUBLISH_COMPLETE"
    assert sandbox.state.posting.publishes[done["publish_id"]].post_info["title"] == "edited on the page #tag"


def test_a_public_post_gets_its_post_id(sandbox, config, tmp_path):
    control(sandbox, "app", audited=True)
    account = connect(sandbox, config, private=False)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="hello", path=video(tmp_path))
    done = post(item["id"], config, {**PRIVATE, "privacy_level": "PUBLIC_TO_EVERYONE"})
    assert done["status"] == "published" and done["post_id"].isdigit()


def test_an_inbox_upload_ends_in_the_inbox_without_post_info(sandbox, config, tmp_path):
    account = connect(sandbox, config, scopes=("user.info.basic", "video.upload"), private=False)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="draft", inbox=True, path=video(tmp_path))
    done = post(item["id"], config, {})  # no privacy chosen: an inbox draft has none
    assert done["status"] == "inbox" and "inbox" in done["message"] and queue.media(item["id"]) is None
    pub = sandbox.state.posting.publishes[done["publish_id"]]
    assert pub.inbox and pub.post_info == {}


def test_a_pulled_url_from_a_verified_prefix_is_posted(sandbox, config):
    control(sandbox, "app", verified_prefixes=["https://media.example/videos/"])
    account = connect(sandbox, config)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="pulled", url=URL)
    done = post(item["id"], config)
    assert done["status"] == "published" and done["publish_id"].startswith("v_pub_url")
    assert sandbox.state.posting.publishes[done["publish_id"]].video_url == URL


def test_a_pulled_url_from_an_unverified_prefix_is_refused_in_plain_words(sandbox, config):
    control(sandbox, "app", verified_prefixes=["https://media.example/other/"])
    account = connect(sandbox, config)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="pulled", url=URL)
    done = post(item["id"], config)
    assert (done["status"], done["fail_reason"]) == ("failed", "url_ownership_unverified")
    assert done["message"] == explain("url_ownership_unverified") and "verif" in done["message"]
    assert publishes(sandbox) == []


def test_a_video_longer_than_the_creator_may_post_is_refused_before_upload(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    control(sandbox, "creator", open_id=account["open_id"], max_video_post_duration_sec=30)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="long", path=video(tmp_path, seconds=45))
    assert item["duration"] is None  # unknown when queued: read from the file before anything is sent
    done = post(item["id"], config)
    assert (done["status"], done["fail_reason"]) == ("failed", "too_long")
    assert "45 seconds" in done["message"] and "30 seconds" in done["message"]
    assert publishes(sandbox) == [] and sandbox.calls("creator_info") == 1
    assert queue.media(item["id"]) is not None  # kept: the creator may post it once trimmed, or it expires


def test_a_publish_that_never_completes_is_bounded(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    control(sandbox, "publish", outcome="stall")
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="stuck", path=video(tmp_path))
    started = time.monotonic()
    done = post(item["id"], config, max_wait=0.5, poll_every=0.05)
    assert time.monotonic() - started < 5
    assert (done["status"], done["fail_reason"]) == ("failed", "timed_out")
    assert done["message"] == "TikTok did not finish processing within 0.5 seconds; check the app on TikTok."


def test_the_bound_is_worded_in_minutes():
    assert publisher.timeout_message(600) == (
        "TikTok did not finish processing within 10 minutes; check the app on TikTok."
    )


def test_a_second_press_posts_nothing_twice(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    _, queue = stores(config)
    item = queue.add(open_id=account["open_id"], title="once", path=video(tmp_path))
    first = post(item["id"], config)
    again = post(item["id"], config)
    assert first["status"] == again["status"] == "published" and len(publishes(sandbox)) == 1
    with pytest.raises(KeyError):
        post("0" * 24, config)


def test_an_expired_token_is_refreshed_first(sandbox, config, tmp_path):
    account = connect(sandbox, config)
    store, queue = stores(config)
    store.update(account["open_id"], expires_at=time.time() + 10)  # within REFRESH_MARGIN
    item = queue.add(open_id=account["open_id"], title="fresh", path=video(tmp_path))
    assert post(item["id"], config)["status"] == "published"
    assert sandbox.calls("token.refresh_token") == 1
    assert store.get(account["open_id"])["access_token"] != account["access_token"]
    assert store.get(account["open_id"])["last_used_at"] > time.time() - 60


def test_post_info_never_defaults_the_audience_and_keeps_what_the_creator_disabled():
    with pytest.raises(Refusal) as caught:
        post_info({"title": "x"}, {})
    assert caught.value.code == "no_privacy"
    info = post_info({**PRIVATE, "title": "t"}, {"comment_disabled": True, "stitch_disabled": True})
    assert (info["disable_comment"], info["disable_duet"], info["disable_stitch"]) == (True, False, True)
    with pytest.raises(Refusal, match="cannot be set to private"):
        post_info({**PRIVATE, "brand_content_toggle": True}, {})


def test_start_claims_at_once_and_posts_in_the_background(sandbox, config, tmp_path):
    from callback import create_app

    app = create_app(config)
    account = connect(sandbox, config)
    queue = app.extensions["greenlight"]["queue"]
    item = queue.add(open_id=account["open_id"], title="bg", path=video(tmp_path))
    thread = publisher.start(item["id"], PRIVATE, app=app, poll_every=0.01)
    assert queue.get(item["id"])["status"] != "queued"  # the page shows progress at once
    assert publisher.start(item["id"], PRIVATE, app=app) is None  # a double click starts nothing
    thread.join(10)
    assert queue.get(item["id"])["status"] == "published"


def test_posts_a_stopped_service_left_under_way_are_failed_at_start(config, tmp_path):
    from callback import create_app

    _, queue = stores(config)
    item = queue.add(open_id="-000someone", title="cut short", path=video(tmp_path))
    queue.update(item["id"], status="processing", updated_at=time.time() - 7200)
    fresh = queue.add(open_id="-000someone", title="still going", path=video(tmp_path, name="b.mp4"))
    queue.update(fresh["id"], status="uploading")
    create_app(config)
    assert (queue.get(item["id"])["status"], queue.get(item["id"])["fail_reason"]) == ("failed", "interrupted")
    assert queue.get(fresh["id"])["status"] == "uploading"
