"""post.publish.* webhooks bring queue items up to date, even after the status polling gave up."""

from __future__ import annotations

import time

import pytest

from callback.platform.posting import explain
from callback.sandbox.webhooks import signature, webhook_body
from callback.service import publisher
from publishing_support import PRIVATE, config, connect, control, stores, video  # noqa: F401


def deliver(client, app_config, event: str, content: dict, user: str = "-000someone"):
    """Send one signed event to the service the way TikTok does."""
    ts = int(time.time())
    body = webhook_body(app_config["TIKTOK_CLIENT_KEY"], event, user, content, ts)
    r = client.post(
        "/webhooks/tiktok",
        data=body,
        headers={
            "Content-Type": "application/json",
            "TikTok-Signature": signature(app_config["TIKTOK_CLIENT_SECRET"], ts, body),
        },
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


@pytest.fixture
def queued(app, tmp_path):
    """An item of the service's queue already handed to TikTok (publish_id known), still processing."""
    queue = app.extensions["greenlight"]["queue"]
    item = queue.add(open_id="-000someone", title="t", path=video(tmp_path))
    return queue, queue.update(item["id"], status="processing", publish_id="v_pub_file~v2-1.42")


def test_complete_then_publicly_available_settles_the_item(client, app_config, queued):
    queue, item = queued
    deliver(client, app_config, "post.publish.complete", {"publish_id": item["publish_id"]})
    got = queue.get(item["id"])
    assert got["status"] == "published" and got["post_id"] is None and queue.media(item["id"]) is None
    deliver(
        client, app_config, "post.publish.publicly_available", {"publish_id": item["publish_id"], "post_id": "7311"}
    )
    assert queue.get(item["id"])["post_id"] == "7311"
    deliver(
        client,
        app_config,
        "post.publish.no_longer_publicaly_available",
        {"publish_id": item["publish_id"], "post_id": "7311"},
    )
    got = queue.get(item["id"])
    assert got["status"] == "published" and "no longer shows" in got["message"]


def test_a_failed_event_fails_the_item_in_plain_words(client, app_config, queued):
    queue, item = queued
    deliver(
        client,
        app_config,
        "post.publish.failed",
        {"publish_id": item["publish_id"], "reason": "picture_size_check_failed", "publish_type": "DIRECT"},
    )
    got = queue.get(item["id"])
    assert (got["status"], got["fail_reason"]) == ("failed", "picture_size_check_failed")
    assert got["message"] == explain("picture_size_check_failed")
    assert queue.media(item["id"]) is not None  # kept for another try until its hours pass


def test_inbox_delivered_and_unknown_publishes(client, app_config, queued):
    queue, item = queued
    deliver(client, app_config, "post.publish.inbox_delivered", {"publish_id": "v_inbox_file~v2-1.7"})
    assert queue.get(item["id"])["status"] == "processing"  # another publish: nothing of ours changes
    deliver(client, app_config, "post.publish.inbox_delivered", {"publish_id": item["publish_id"]})
    assert queue.get(item["id"])["status"] == "inbox"
    deliver(client, app_config, "post.publish.failed", {"publish_id": item["publish_id"], "reason": "internal"})
    assert queue.get(item["id"])["status"] == "inbox"  # a finished post is not failed by a stray event


def test_a_webhook_settles_a_post_the_polling_gave_up_on(live_service, sandbox, tmp_path):
    """TikTok finishes after max_wait: the item says so first, then the signed webhook corrects it."""
    config = live_service.app.config
    control(sandbox, "app", audited=True)
    control(sandbox, "posting", steps=1000)  # polling never sees the end
    account = connect(sandbox, config, private=False)
    queue, store = live_service.app.extensions["greenlight"]["queue"], live_service.store()
    item = queue.add(open_id=account["open_id"], title="slow", path=video(tmp_path))
    done = publisher.publish(
        item["id"],
        {**PRIVATE, "privacy_level": "PUBLIC_TO_EVERYONE"},
        queue=queue,
        store=store,
        config=config,
        poll_every=0.05,
        max_wait=0.3,
    )
    assert (done["status"], done["fail_reason"]) == ("failed", "timed_out")
    control(sandbox, "settle", publish_id=done["publish_id"])  # TikTok finishes and sends its webhooks
    deadline = time.time() + 10
    while queue.get(item["id"])["post_id"] is None and time.time() < deadline:
        time.sleep(0.05)
    got = queue.get(item["id"])
    assert got["status"] == "published" and got["post_id"].isdigit() and got["fail_reason"] is None
    assert queue.media(item["id"]) is None
