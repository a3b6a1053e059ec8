"""Webhooks over real HTTP: the sandbox platform signs and delivers to the service on 127.0.0.1."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from callback.data.records import Records
from callback.sandbox.webhooks import send_webhook
from data_support import everything


def test_disconnect_at_the_platform_erases_the_account(live_service, sandbox):
    user = sandbox.users()[0]
    assert live_service.connect(open_id=user.open_id).status_code == 200
    assert live_service.store().get(user.open_id)["display_name"] == user.display_name
    control = sandbox.url + "/_sandbox"
    r = requests.post(
        control + "/webhook",
        json={"event": "post.publish.complete", "user_openid": user.open_id, "content": {"publish_id": "v_pub_live"}},
        timeout=10,
    )
    assert r.json()["status"] == 200
    assert user.display_name in everything(live_service.data_dir)

    r = requests.post(
        control + "/disconnect", json={"open_id": user.open_id, "client_key": sandbox.client.key}, timeout=10
    )
    assert r.json()["status"] == 200  # the service answered TikTok's delivery with 200

    assert live_service.store().get(user.open_id) is None
    data = everything(live_service.data_dir)
    for identifier in (user.open_id, user.display_name, user.username, user.union_id, "v_pub_live"):
        assert identifier not in data, identifier
    receipts = Records(live_service.data_dir).deletions.all()
    assert [r["source"] for r in receipts] == ["tiktok"] and "TikTok: the user disconnected" in receipts[0]["note"]


def test_concurrent_redeliveries_are_recorded_once(live_service, sandbox):
    ts = int(time.time())

    def deliver(i: int) -> int:
        # The same event, each attempt signed at its own time, as TikTok's retries are.
        return send_webhook(
            live_service.url + "/webhooks/tiktok",
            sandbox.client.key,
            sandbox.client.secret,
            "post.publish.failed",
            "-000someone",
            {"publish_id": "v_dup", "reason": "x"},
            timestamp=ts + i % 3,
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(deliver, range(48)))
    assert statuses == [200] * 48
    receipts = Records(live_service.data_dir).events.receipts()
    # create_time is the signing time in the sandbox's bodies: three distinct events, each recorded once.
    assert sorted(r["create_time"] for r in receipts) == [ts, ts + 1, ts + 2]
