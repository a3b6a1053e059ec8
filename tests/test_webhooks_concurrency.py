"""The receipt log under gunicorn's shape: several processes with several threads, plus a concurrent rewrite."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from callback.data.receipts import EventLog

pytestmark = pytest.mark.slow

PROCESSES, THREADS, EVENTS = 4, 2, 150


def _writer(data_dir: str, worker: int, results) -> None:
    log = EventLog(data_dir)  # like a gunicorn worker: its own index, locks and handles
    fsyncs = [0]
    real = os.fsync

    def counting(fd):
        fsyncs[0] += 1
        real(fd)

    os.fsync = counting
    outcome: dict[str, str] = {}

    def run(thread: int) -> None:
        for i in range(EVENTS):
            # Every event is sent by two workers at once, as TikTok's retries can arrive.
            n = (worker // 2) * THREADS * EVENTS + thread * EVENTS + i
            user = "erase-me" if n % 5 == 0 else "keep-me"
            outcome[f"{n:064x}"] = log.add(
                {
                    "id": f"{n:064x}",
                    "at": 1.0,
                    "event": "post.publish.complete",
                    "user": user,
                    "content": {"publish_id": f"p{n}"},
                    "done": True,
                }
            )

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((outcome, fsyncs[0]))


def _eraser(data_dir: str, stop, rewrites) -> None:
    log = EventLog(data_dir)
    while not stop.is_set():
        if log.rewrite(lambda r: {**r, "user": "", "erased": True} if r.get("user") == "erase-me" else r):
            rewrites.value += 1


def test_many_writers_record_each_event_once_and_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("fork")
    results, stop, rewrites = ctx.Queue(), ctx.Event(), ctx.Value("i", 0)
    eraser = ctx.Process(target=_eraser, args=(str(tmp_path), stop, rewrites))
    eraser.start()
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), w, results)) for w in range(PROCESSES)]
    for p in writers:
        p.start()
    outcomes = [results.get(timeout=120) for _ in writers]
    for p in writers:
        p.join(timeout=30)
    stop.set()
    eraser.join(timeout=30)
    assert all(p.exitcode == 0 for p in [*writers, eraser])
    assert rewrites.value > 0  # the file was replaced under the writers' feet, more than once as a rule

    distinct = PROCESSES // 2 * THREADS * EVENTS
    answers = [state for outcome, _ in outcomes for state in outcome.values()]
    assert len(answers) == 2 * distinct
    assert answers.count("new") == distinct  # exactly one of the two deliveries was new
    assert set(answers) == {"new", "done"}

    receipts = EventLog(tmp_path).receipts()
    ids = [r["id"] for r in receipts]
    assert len(ids) == len(set(ids)) == distinct  # every acknowledged event is there, once
    fsyncs = sum(f for _, f in outcomes)
    # Group commit: one fsync covers every write made before it began (tests/test_receipts_group.py).
    assert 0 < fsyncs <= len(answers)
    assert Path(tmp_path, "webhooks.jsonl").read_bytes().endswith(b"\n")
