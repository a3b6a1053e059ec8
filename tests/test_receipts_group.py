"""Group commit of webhook receipts: one fsync answers many writers, never one whose line came after it began."""

from __future__ import annotations

import threading
import time

import callback.data.receipts as receipts_module
from callback.data.receipts import EventLog


def receipt(eid: str) -> dict:
    return {"id": eid, "at": 1.0, "event": "post.publish.complete", "create_time": 1, "user": "u", "done": True}


def test_a_write_made_during_an_fsync_waits_for_the_next_one(tmp_path, monkeypatch):
    log, timeline, release = EventLog(tmp_path), [], threading.Event()
    real, calls = receipts_module.fsync, []

    def slow_fsync(fd: int) -> None:
        calls.append(fd)
        n = len(calls)
        timeline.append(f"fsync {n} began")
        if n == 1:
            release.wait(10)  # the first fsync is still on its way to the disk when B writes
        real(fd)
        timeline.append(f"fsync {n} ended")

    monkeypatch.setattr(receipts_module, "fsync", slow_fsync)
    first = threading.Thread(target=lambda: (log.add(receipt("a" * 64)), timeline.append("A answered")))
    first.start()
    while not calls:
        time.sleep(0.001)
    second = threading.Thread(target=lambda: (log.add(receipt("b" * 64)), timeline.append("B answered")))
    second.start()
    time.sleep(0.1)
    assert "B answered" not in timeline  # B's line came after fsync 1 began: fsync 1 does not cover it
    release.set()
    first.join(10)
    second.join(10)
    assert timeline.index("B answered") > timeline.index("fsync 2 ended")
    assert timeline.index("A answered") > timeline.index("fsync 1 ended")


def test_writers_waiting_together_share_one_fsync(tmp_path, monkeypatch):
    log, release, calls = EventLog(tmp_path), threading.Event(), []
    real = receipts_module.fsync

    def slow_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            release.wait(10)
        real(fd)

    monkeypatch.setattr(receipts_module, "fsync", slow_fsync)
    threads = [threading.Thread(target=log.add, args=(receipt(f"{i:064x}"),)) for i in range(9)]
    threads[0].start()
    while not calls:
        time.sleep(0.001)
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)  # the other eight wrote while fsync 1 was under way
    release.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 2  # fsync 1 for the first writer, one more for the eight who came during it
    assert len(log.receipts()) == 9


def test_each_process_reads_the_others_lines_exactly(tmp_path):
    """Lines another worker wrote (read by their fixed start and end, or decoded whole) index the same."""
    here, other = EventLog(tmp_path), EventLog(tmp_path)  # two workers' logs on one file
    nested = {k: v for k, v in receipt("a" * 64).items() if k != "done"}
    nested.update(content={"done": True, "note": '"done":true}'}, done=False)  # done last, as handle() writes it
    assert other.add(nested) == "new"
    assert here.add(receipt("a" * 64)) == "pending"  # its own done is false, whatever its content says
    other.mark_done("a" * 64)
    assert here.add(receipt("a" * 64)) == "done"
    assert other.add(receipt("b" * 64)) == "new"  # done, in the fixed form
    assert here.add(receipt("b" * 64)) == "done"
    # A rewrite may leave a line in another key order: it is decoded whole.
    assert other.rewrite(lambda r: {"done": False, **{k: v for k, v in r.items() if k != "done"}}) == 1
    assert here.add(receipt("c" * 64)) == "new"
    assert EventLog(tmp_path).add(receipt("a" * 64)) == "done"  # the done mark still applies
    assert EventLog(tmp_path).add(receipt("b" * 64)) == "pending"  # the rewrite made it not done
