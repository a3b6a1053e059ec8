"""The publishing queue: items and their videos, kept privately, changed atomically, never named by a path."""

from __future__ import annotations

import threading
import tracemalloc

import pytest

from callback.data.queue import MAX_TITLE, PostQueue
from publishing_support import MB, video

FIELDS = {
    "id",
    "open_id",
    "title",
    "source",
    "url",
    "size",
    "duration",
    "inbox",
    "queued_at",
    "status",
    "publish_id",
    "post_id",
    "fail_reason",
    "message",
    "settings",
    "updated_at",
}


@pytest.fixture
def queue(tmp_path):
    return PostQueue(tmp_path / "data")


def test_a_file_is_copied_in_and_the_item_says_everything(queue, tmp_path):
    clip = video(tmp_path, seconds=3)
    item = queue.add(open_id="-000a", title="hello", path=clip, duration=3, now=100.0)
    assert set(item) == FIELDS and queue.get(item["id"]) == item
    assert (item["source"], item["status"], item["inbox"], item["url"]) == ("FILE_UPLOAD", "queued", False, None)
    assert item["size"] == clip.stat().st_size and item["duration"] == 3.0
    assert item["queued_at"] == item["updated_at"] == 100.0 and item["message"]
    assert queue.media(item["id"]).read_bytes() == clip.read_bytes()
    clip.unlink()  # the queue keeps its own copy
    assert queue.media(item["id"]) is not None


def test_a_url_is_queued_without_a_file(queue):
    item = queue.add(open_id="-000a", title="pulled", url="https://media.example/v/1.mp4", inbox=True)
    assert (item["source"], item["size"], item["inbox"]) == ("PULL_FROM_URL", None, True)
    assert queue.media(item["id"]) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"url": "https://a.example/v.mp4", "path": "x"},
        {"url": "http://media.example/v.mp4"},
        {"url": "ftp://x/v"},
        {"url": "https://"},
        {"url": "https://a.example/v.mp4", "title": "x" * 2201},
        {"url": "https://a.example/v.mp4", "open_id": ""},
    ],
)
def test_what_is_not_one_video_for_one_account_is_refused(queue, kwargs):
    args = {"open_id": "-000a", "title": "t", **kwargs}
    with pytest.raises(ValueError):
        queue.add(**args)
    assert queue.all() == []


def test_a_title_of_tiktoks_full_length_is_kept(queue):
    assert len(queue.add(open_id="-000a", title="é" * MAX_TITLE, url="https://a.example/v.mp4")["title"]) == 2200


def test_a_missing_file_leaves_nothing_behind(queue, tmp_path):
    with pytest.raises(FileNotFoundError):
        queue.add(open_id="-000a", title="t", path=tmp_path / "nope.mp4")
    assert queue.all() == [] and list(queue.dir.iterdir()) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a" * 24, "G" * 24, "0" * 23, "0" * 25, "", None, 7])
def test_ids_that_are_not_ours_name_no_file(queue, bad):
    assert queue.get(bad) is None and queue.media(bad) is None and queue.update(bad, title="x") is None
    assert queue.remove(bad) is False


def test_listing_is_oldest_first_and_per_account(queue):
    b = queue.add(open_id="-000b", title="b", url="https://a.example/b.mp4", now=200.0)
    a = queue.add(open_id="-000a", title="a", url="https://a.example/a.mp4", now=100.0)
    c = queue.add(open_id="-000a", title="c", url="https://a.example/c.mp4", now=300.0)
    assert [i["id"] for i in queue.all()] == [a["id"], b["id"], c["id"]]
    assert [i["id"] for i in queue.for_account("-000a")] == [a["id"], c["id"]]
    assert queue.by_publish_id("v_pub_1") is None
    queue.update(c["id"], publish_id="v_pub_1")
    assert queue.by_publish_id("v_pub_1")["id"] == c["id"]


def test_updates_are_checked(queue):
    item = queue.add(open_id="-000a", title="t", url="https://a.example/v.mp4", now=1.0)
    changed = queue.update(item["id"], status="failed", fail_reason="internal", message="words")
    assert changed["status"] == "failed" and changed["updated_at"] > 1.0 and queue.get(item["id"]) == changed
    for bad in ({"status": "lost"}, {"id": "f" * 24}, {"open_id": "-000b"}):
        with pytest.raises(ValueError):
            queue.update(item["id"], **bad)
    assert queue.update("f" * 24, title="x") is None and queue.get("f" * 24) is None  # never created by update


def test_only_one_of_many_claims_wins(queue):
    item = queue.add(open_id="-000a", title="t", url="https://a.example/v.mp4")
    wins, barrier = [], threading.Barrier(8)

    def press() -> None:
        barrier.wait()
        wins.append(queue.claim(item["id"], ("queued",), status="uploading"))

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for w in wins if w) == 1 and queue.get(item["id"])["status"] == "uploading"


def test_dropping_and_removing(queue, tmp_path):
    item = queue.add(open_id="-000a", title="t", path=video(tmp_path))
    queue.drop_media(item["id"])
    queue.drop_media(item["id"])  # twice is fine
    assert queue.media(item["id"]) is None and queue.get(item["id"])["status"] == "queued"
    assert queue.remove(item["id"]) is True and queue.remove(item["id"]) is False and queue.all() == []


def test_a_big_file_is_copied_in_blocks(queue, tmp_path):
    clip = video(tmp_path, seconds=2, size=24 * MB)
    tracemalloc.start()
    try:
        item = queue.add(open_id="-000a", title="big", path=clip)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert item["size"] == 24 * MB and peak < 3 * MB
