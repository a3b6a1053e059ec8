"""Disk waits under gevent workers: a slow fsync or a busy lock never stalls the worker's other requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = r"""
from gevent import monkey
monkey.patch_all()
import fcntl, json, os, sys, threading, time
import gevent
from callback.data import files

real_sleep = monkey.get_original("time", "sleep")
main = threading.get_ident()
ticks = [0]

def ticker():
    while True:
        ticks[0] += 1
        gevent.sleep(0.001)
"""


def run(script: str, tmp_path: Path) -> dict:
    """Run `script` after PRELUDE in a gevent-patched interpreter; return the JSON it prints last."""
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_a_fast_disk_is_synced_inline_and_a_slow_one_from_a_thread(tmp_path):
    result = run(
        r"""
delays, on_main = [0.02, 0.0, 0.0, 0.05, 0.0], []
def fake_fsync(fd):
    on_main.append(threading.get_ident() == main)
    real_sleep(delays[len(on_main) - 1])
os.fsync = fake_fsync
fd = os.open(sys.argv[1] + "/f", os.O_RDWR | os.O_CREAT)
ticking = gevent.spawn(ticker)
gevent.sleep(0.005)
before = []
for _ in delays:
    before.append(ticks[0])
    files.fsync(fd)
print(json.dumps({"on_main": on_main, "ticks_during": [b - a for a, b in zip(before, before[1:] + [ticks[0]])]}))
""",
        tmp_path,
    )
    # 1st: inline (the disk was fast so far) but slow; 2nd: so in a thread, and fast; 3rd: inline again;
    # 4th: inline and slow; 5th: in a thread.
    assert result["on_main"] == [True, False, True, True, False]
    # An inline fsync holds the worker's one thread: nothing else ran meanwhile.
    assert result["ticks_during"][0] <= 1


def test_other_requests_run_while_a_slow_fsync_waits_in_a_thread(tmp_path):
    result = run(
        r"""
calls = []
def fake_fsync(fd):
    calls.append(threading.get_ident() == main)
    real_sleep(0.2 if len(calls) > 1 else 0.01)
os.fsync = fake_fsync
fd = os.open(sys.argv[1] + "/f", os.O_RDWR | os.O_CREAT)
files.fsync(fd)  # slow: the next one goes to a thread
gevent.spawn(ticker)
gevent.sleep(0.005)
start = ticks[0]
files.fsync(fd)
print(json.dumps({"on_main": calls, "ticks": ticks[0] - start}))
""",
        tmp_path,
    )
    assert result["on_main"] == [True, False]
    assert result["ticks"] >= 50  # 200 ms of fsync in a thread: the ticker ran about every millisecond


def test_a_busy_lock_lets_the_workers_other_requests_run(tmp_path):
    result = run(
        r"""
path = sys.argv[1] + "/store"
other = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)  # another holder: flock excludes other open files
fcntl.flock(other, fcntl.LOCK_EX)
def free():
    real_sleep(0.3)
    fcntl.flock(other, fcntl.LOCK_UN)
monkey.get_original("_thread", "start_new_thread")(free, ())
gevent.spawn(ticker)
gevent.sleep(0.005)
start, began = ticks[0], time.monotonic()
with files.FileLock(path).held():
    waited = time.monotonic() - began
print(json.dumps({"ticks": ticks[0] - start, "waited": waited}))
""",
        tmp_path,
    )
    assert result["waited"] >= 0.25  # it did wait for the other holder
    assert result["ticks"] >= 50  # and the worker's other greenlets ran meanwhile
