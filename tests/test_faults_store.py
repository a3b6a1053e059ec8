"""A hung platform stalls nothing else, removals finish exactly once, and crashed writes leave no copies."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from callback.data.files import FileLock
from callback.data.records import Records
from callback.data.tokens import TokenStore
from callback.sandbox.webhooks import signature, webhook_body
from callback.tokens import fresh_account
from data_support import everything

OTHER = {
    "open_id": "-000OtherAccount000000",
    "display_name": "Other",
    "access_token": "act.other-0123456789",
    "refresh_token": "rft.other-0123456789",
    "expires_at": time.time() + 86400,
    "refresh_expires_at": time.time() + 86400 * 30,
    "connected_at": 1.0,
}


def removal(live, open_id: str, when: int | None = None) -> requests.Response:
    """Deliver a signed authorization.removed for `open_id` to the live service."""
    cfg = live.app.config
    now = int(time.time()) if when is None else when
    body = webhook_body(cfg["TIKTOK_CLIENT_KEY"], "authorization.removed", open_id, {"reason": 1}, now)
    return requests.post(
        live.url + "/webhooks/tiktok",
        data=body,
        timeout=30,
        headers={"TikTok-Signature": signature(cfg["TIKTOK_CLIENT_SECRET"], now, body)},
    )


@pytest.fixture
def connected(live_service):
    """A connected account whose access token has expired, so the next use refreshes it."""
    user = live_service.sandbox.users()[0]
    assert live_service.connect(user.open_id).status_code == 200
    live_service.store().update(user.open_id, expires_at=time.time() - 1)
    live_service.store().put(dict(OTHER))
    return user.open_id


def test_a_hung_refresh_stalls_no_request(live_service, connected):
    """TikTok answers nothing for a refresh: removals, /healthz and /deletion still answer at once."""
    settings = {**live_service.app.config, "HTTP_TIMEOUT": 3.0, "HTTP_RETRIES": 1, "HTTP_BACKOFF": 0.01}
    live_service.sandbox.fault("token", "hang", count=5, delay=3.5)
    store = TokenStore(live_service.data_dir)  # another process's view: the CLI or a cron refresh
    outcome = {}

    def refresh():
        try:
            fresh_account(store, connected, settings)
            outcome["result"] = "refreshed"
        except Exception as exc:  # the hung platform or the account erased meanwhile
            outcome["result"] = type(exc).__name__

    worker = threading.Thread(target=refresh)
    worker.start()
    time.sleep(0.5)  # the refresh now waits on TikTok, holding its account's lock
    started = time.monotonic()
    assert requests.get(live_service.url + "/healthz", timeout=5).status_code == 200
    assert requests.get(live_service.url + "/deletion", timeout=5).status_code == 200
    assert live_service.store().get(OTHER["open_id"])["display_name"] == "Other"  # other accounts go on
    r = removal(live_service, connected)
    elapsed = time.monotonic() - started
    assert r.status_code == 200 and elapsed < 2.0, elapsed
    assert live_service.store().get(connected) is None  # erased at once, not after the refresh
    worker.join(timeout=30)
    assert outcome["result"] in ("KeyError", "PlatformError")
    assert live_service.store().get(connected) is None  # the finished refresh did not bring it back
    assert connected not in everything(live_service.data_dir)


def test_a_removal_acknowledged_while_the_store_is_busy_finishes_exactly_once(live_service, connected):
    """The 200 goes out once the receipt is durable; the erasure follows when the store is free."""
    live_service.app.extensions["greenlight"]["store"].lock_timeout = 0.3
    lock = FileLock(live_service.data_dir / "tokens.json")
    sent = int(time.time())
    with lock.held():  # another process holds the store far longer than a request may wait
        started = time.monotonic()
        r = removal(live_service, connected, when=sent)
        assert r.status_code == 200 and time.monotonic() - started < 2.0
    recs = Records(live_service.data_dir)
    deadline = time.monotonic() + 10
    while not all(x["done"] for x in recs.events.receipts()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the retrier finishes it
    assert TokenStore(live_service.data_dir).get(connected) is None
    again = removal(live_service, connected, when=sent)  # TikTok delivers at least once
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    receipts = [x for x in recs.deletions.all() if x["source"] == "tiktok"]
    assert len(receipts) == 1, receipts
    assert all(x["done"] for x in recs.events.receipts())


def test_a_removal_left_pending_by_a_crash_is_finished_at_the_next_start(app_config, tmp_path):
    """Acknowledged, then the process died before erasing: the next start erases, once."""
    from callback import create_app

    store, recs = TokenStore(app_config["DATA_DIR"]), Records(app_config["DATA_DIR"])
    store.put(dict(OTHER))
    recs.events.add(
        {
            "id": "e" * 64,
            "at": time.time(),
            "event": "authorization.removed",
            "create_time": 1,
            "user": OTHER["open_id"],
            "subject": recs.subject(OTHER["open_id"]),
            "content": {"reason": 1},
            "done": False,
        }
    )
    create_app(app_config)
    create_app(app_config)  # a second start finds nothing left to do
    assert TokenStore(app_config["DATA_DIR"]).get(OTHER["open_id"]) is None
    assert OTHER["open_id"] not in everything(app_config["DATA_DIR"])
    assert len([x for x in recs.deletions.all() if x["source"] == "tiktok"]) == 1
    assert [x["done"] for x in recs.events.receipts()] == [True]


def test_copies_left_by_a_killed_writer_go_with_the_erasure(live_service, connected):
    """A kill -9 mid-rewrite leaves `.name.*.tmp` files; none may outlive the erasure of who they name."""
    data = live_service.data_dir
    for name in ("webhooks.jsonl", "tokens.json", "tokens.journal", "deletions.json"):
        (data / f".{name}.k1ll3d.tmp").write_text(f'{{"user": "{connected}", "access_token": "act.leftover"}}\n')
    assert removal(live_service, connected).status_code == 200
    assert connected not in everything(data) and "act.leftover" not in everything(data)


def test_old_copies_are_swept_at_start_and_live_ones_kept(app_config):
    from callback import create_app

    data = Path(app_config["DATA_DIR"])
    data.mkdir(parents=True)
    old, live = data / ".tokens.json.old1.tmp", data / ".tokens.json.live.tmp"
    old.write_text("act.leftover")
    live.write_text("a write under way")
    past = time.time() - 3600
    import os

    os.utime(old, (past, past))
    create_app(app_config)
    assert not old.exists() and live.exists()
