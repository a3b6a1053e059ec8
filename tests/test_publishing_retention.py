"""Queued videos are deleted on the schedule the privacy policy prints, and erasure leaves nothing queued."""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.erasure import erase_user
from callback.data.queue import PostQueue
from callback.data.records import Records
from callback.data.retention import purge
from callback.data.tokens import TokenStore
from callback.facts import FactsError, load_facts
from callback.sandbox.webhooks import signature, webhook_body
from callback.site.render import render_page
from publishing_support import video

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_900_000_000.0
HOUR, DAY = 3600, 86400


def policy_rows(facts) -> tuple[str, str]:
    """The privacy policy's rows for queued videos and for their titles and settings."""
    page = render_page("privacy.md", (ROOT / "docs" / "privacy.md").read_text(), facts)
    video_row = next(line for line in page.splitlines() if line.startswith("| Videos queued for posting"))
    meta_row = next(line for line in page.splitlines() if line.startswith("| Each queued post's title"))
    return video_row, meta_row


@pytest.fixture
def stores(app_config):
    data = app_config["DATA_DIR"]
    return TokenStore(data), Records(data), PostQueue(data)


def test_the_policy_and_the_purge_read_the_same_hours(stores, facts_file, tmp_path):
    store, recs, queue = stores
    facts = load_facts(facts_file(retention__queued_media_hours=5))
    video_row, meta_row = policy_rows(facts)
    hours = int(re.search(r"or (\d+) hours after it was queued", video_row).group(1))
    days = int(re.search(r"Kept (\d+) days after the post finished", meta_row).group(1))
    assert (hours, days) == (5, facts.retention.content) == (5, 30)
    assert "private data directory" in video_row and "0600" in video_row
    clip = video(tmp_path)
    old = queue.add(open_id="-000a", title="waited too long", path=clip, now=NOW - (hours * HOUR + 1))
    young = queue.add(open_id="-000a", title="still waiting", path=clip, now=NOW - (hours * HOUR - 60))
    failed = queue.add(open_id="-000a", title="failed long ago", path=clip, now=NOW - 2 * hours * HOUR)
    queue.update(failed["id"], status="failed", fail_reason="internal", updated_at=NOW - hours * HOUR)
    busy = queue.add(open_id="-000a", title="uploading", path=clip, now=NOW - 2 * hours * HOUR)
    queue.update(busy["id"], status="uploading")
    url = queue.add(
        open_id="-000a", title="never approved", url="https://media.example/v.mp4", now=NOW - 2 * hours * HOUR
    )
    posted = queue.add(open_id="-000a", title="posted", path=clip, now=NOW - 40 * DAY)
    queue.update(posted["id"], status="published", updated_at=NOW - (days * DAY + 1))
    queue.drop_media(posted["id"])
    recent = queue.add(open_id="-000a", title="posted lately", path=clip, now=NOW - 40 * DAY)
    queue.update(recent["id"], status="published", updated_at=NOW - (days * DAY - 60))
    queue.drop_media(recent["id"])

    dry = purge(facts, store, recs, now=NOW, dry_run=True)
    assert sorted(dry.media) == sorted([old["id"], failed["id"], busy["id"], url["id"]])
    assert dry.items == [posted["id"]] and queue.media(old["id"]) is not None

    purge(facts, store, recs, now=NOW)
    assert queue.media(old["id"]) is None and queue.get(old["id"])["status"] == "expired"
    assert "5 hours" in queue.get(old["id"])["message"]
    assert queue.media(young["id"]) is not None and queue.get(young["id"])["status"] == "queued"
    assert queue.get(failed["id"])["status"] == "expired" and queue.get(failed["id"])["fail_reason"] == "internal"
    assert queue.media(busy["id"]) is None and queue.get(busy["id"])["status"] == "uploading"  # its upload goes on
    assert queue.get(url["id"])["status"] == "expired"
    assert queue.get(posted["id"]) is None and queue.get(recent["id"])["status"] == "published"
    assert sorted(p.name for p in queue.dir.glob("*.media")) == [f"{young['id']}.media"]


def test_the_default_is_48_hours_and_a_bad_value_names_its_key(facts_file):
    facts = load_facts(ROOT / "mkdocs.yml")
    assert facts.retention.queued_media_hours == 48 and "or 48 hours after it was queued" in policy_rows(facts)[0]
    with pytest.raises(FactsError, match=r"extra\.app\.retention\.queued_media_hours"):
        load_facts(facts_file(retention__queued_media_hours="three days"))
    until = load_facts(facts_file(retention__content_days="until_deleted"))
    assert "until your account's data is deleted" in policy_rows(until)[1]


def test_purge_sweeps_videos_no_item_owns(stores, tmp_path):
    store, recs, queue = stores
    item = queue.add(open_id="-000a", title="kept", path=video(tmp_path))
    (queue.dir / ("f" * 24 + ".media")).write_bytes(b"left by an add cut short")
    purge(load_facts(ROOT / "mkdocs.yml"), store, recs)
    assert [p.name for p in queue.dir.glob("*.media")] == [f"{item['id']}.media"]


def test_greenlight_purge_says_what_went(app_config, stores, tmp_path):
    _, _, queue = stores
    queue.add(open_id="-000a", title="old", path=video(tmp_path), now=1000.0)
    result = CliRunner().invoke(cli, ["purge", "--dry-run", "--data-dir", app_config["DATA_DIR"]])
    assert result.exit_code == 0, result.output
    assert "would delete 1 queued video(s) kept past 48 hours" in result.output


def test_erasure_removes_the_accounts_queue_items_and_videos(stores, tmp_path):
    store, recs, queue = stores
    clip = video(tmp_path)
    mine = [
        queue.add(open_id="-000gone", title="secret plans", path=clip),
        queue.add(open_id="-000gone", title="by url", url="https://media.example/v.mp4"),
    ]
    other = queue.add(open_id="-000stays", title="someone else", path=clip)
    out = erase_user("-000gone", store=store, recs=recs, source="tiktok")
    assert out["queued"] == 2 and queue.for_account("-000gone") == []
    assert all(queue.get(i["id"]) is None and queue.media(i["id"]) is None for i in mine)
    assert queue.get(other["id"]) and queue.media(other["id"])
    remaining = b"".join(p.read_bytes() for p in queue.dir.iterdir() if p.is_file())
    assert b"-000gone" not in remaining and b"secret plans" not in remaining


def test_a_removal_webhook_erases_the_queue_too(client, app_config, app, tmp_path):
    queue = app.extensions["greenlight"]["queue"]
    item = queue.add(open_id="-000removed", title="to go", path=video(tmp_path))
    body = webhook_body(
        app_config["TIKTOK_CLIENT_KEY"], "authorization.removed", "-000removed", {"reason": 1}, 1_700_000_000
    )
    ts = int(time.time())
    r = client.post(
        "/webhooks/tiktok",
        data=body,
        headers={
            "Content-Type": "application/json",
            "TikTok-Signature": signature(app_config["TIKTOK_CLIENT_SECRET"], ts, body),
        },
    )
    assert r.status_code == 200
    assert queue.get(item["id"]) is None and not list(queue.dir.glob("*.media"))


def test_queue_files_are_private(stores, tmp_path):
    _, _, queue = stores
    item = queue.add(open_id="-000a", title="t", path=video(tmp_path))
    assert stat.S_IMODE(queue.dir.stat().st_mode) == 0o700
    for path in (queue.media(item["id"]), queue.dir / f"{item['id']}.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_erasure_and_purge_take_the_queue_they_are_given(stores, tmp_path):
    """A backend without a data directory of its own (PostgreSQL) passes the service's queue."""
    store, recs, _ = stores
    elsewhere = PostQueue(tmp_path / "elsewhere")
    item = elsewhere.add(open_id="-000gone", title="t", path=video(tmp_path), now=1000.0)

    class Database:  # records that keep no files
        events, deletions, subject = recs.events, recs.deletions, recs.subject

    assert purge(load_facts(ROOT / "mkdocs.yml"), store, Database(), dry_run=True).media == []
    assert purge(load_facts(ROOT / "mkdocs.yml"), store, Database(), queue=elsewhere).media == [item["id"]]
    assert erase_user("-000gone", store=store, recs=Database(), source="tiktok", queue=elsewhere)["queued"] == 1
    assert elsewhere.all() == []
