"""Durable file primitives: private directories, the one inter-process lock, atomic writes, JSON."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def private_dir(path: str | Path) -> Path:
    """Create `path` (mode 0700) if needed and tighten its mode; return it."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class LockTimeout(TimeoutError):
    """Raised when a lock is still held by another thread or process after the caller's bound."""


class FileLock:
    """An exclusive lock on `<path>.lock` across threads and processes (gunicorn workers, cron, the CLI).

    flock excludes other open files, not other threads, and a forked worker shares its parent's open
    files: so a mutex guards the threads, and each process opens the lock file for itself.
    """

    def __init__(self, path: str | Path):
        self.path = f"{path}.lock"
        self._mutex = threading.Lock()
        self._fd, self._pid = -1, 0

    def held(self, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
        """Hold the lock (`with lock.held():`); with `timeout` (0: do not wait) raise LockTimeout past it."""
        return _Holding(self, timeout)

    def _acquire(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        if not (self._mutex.acquire() if timeout is None else self._mutex.acquire(timeout=timeout)):
            raise LockTimeout(self.path)
        try:
            if self._pid != os.getpid():
                self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            _flock(self._fd, deadline, self.path)
        except BaseException:
            self._mutex.release()
            raise

    def _release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()


class _Holding:
    """FileLock.held(): a class rather than a generator, as the webhook path takes a lock twice per event."""

    __slots__ = ("lock", "timeout")

    def __init__(self, lock: FileLock, timeout: float | None):
        self.lock, self.timeout = lock, timeout

    def __enter__(self) -> None:
        self.lock._acquire(self.timeout)

    def __exit__(self, *exc) -> None:
        self.lock._release()


def _flock(fd: int, deadline: float | None, name: str) -> None:
    """Take flock on fd, waiting until `deadline` (None: as long as it takes; flock itself has no timeout).

    Under gevent a busy lock is polled with short sleeps, in which the worker's other requests run: each
    holder keeps it for microseconds, and handing the wait to a thread costs about 100 us of CPU.
    """
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is None and not _cooperative():
                fcntl.flock(fd, fcntl.LOCK_EX)  # a thread of its own: the kernel wakes it when the lock is free
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(name) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def locked(path: str | Path, timeout: float | None = None) -> contextlib.AbstractContextManager[None]:
    """Hold a one-off FileLock on `<path>.lock` (see FileLock)."""
    return FileLock(path).held(timeout)


def _cooperative() -> bool:
    """Tell whether this process runs under gevent, where every request of a worker shares one thread."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("os")


SLOW_FSYNC = 0.002  # seconds: an fsync slower than this sends the next one to a thread (see fsync)
_slow_disk = False  # the last fsync took longer than SLOW_FSYNC


def fsync(fd: int) -> None:
    """Flush a file to disk; under gevent, in its pool of real threads while the disk is slow.

    Under gevent a blocking call stalls every request of the worker, but handing it to a thread costs
    about 100 us of CPU (measured), more than a fast disk's fsync blocks for: so fsync runs inline
    until one takes longer than SLOW_FSYNC, then in the pool, where the writers waiting together share
    one (EventLog's group commit), until one is fast again.
    """
    global _slow_disk
    if _slow_disk and _cooperative():
        import gevent

        took = gevent.get_hub().threadpool.apply(_timed_fsync, (fd,))
    else:
        took = _timed_fsync(fd)
    _slow_disk = took > SLOW_FSYNC


def _timed_fsync(fd: int) -> float:
    """fsync, timed where it runs (a busy worker's wait for the thread's answer is not the disk's)."""
    start = time.monotonic()
    os.fsync(fd)
    return time.monotonic() - start


def fsync_dir(path: str | Path) -> None:
    """Make a rename or a new file in this directory durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | Path, text: str) -> None:
    """Replace `path` with `text` so readers see the old or the new file, never a torn one (mode 0600)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def append_at(fd: int, data: bytes, offset: int, size: int | None = None) -> int:
    """Write `data` at `offset`, the end of the last complete line, cutting first any torn line a killed
    writer left there (`size`: the file's known size; None when unknown); return the new end."""
    if size is None or size > offset:
        os.ftruncate(fd, offset)
    os.pwrite(fd, data, offset)
    return offset + len(data)


STALE_TEMPORARY = 60.0  # seconds: a live write_atomic takes milliseconds; older copies were left by a crash


def sweep_temporary(directory: str | Path, name: str = "*", older_than: float = 0.0) -> int:
    """Delete the temporary copies write_atomic left for `name` in `directory` (a killed writer's); return how many.

    Call with the lock that writers of `name` hold, or with `older_than` set so no live write is touched.
    """
    cutoff, gone = time.time() - older_than, 0
    for path in Path(directory).rglob(f".{name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if not older_than or path.stat().st_mtime < cutoff:
                path.unlink()
                gone += 1
    return gone


def write_json(path: str | Path, data: Any) -> None:
    """Atomically write `data` as pretty JSON."""
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path, default: Any) -> Any:
    """Read JSON from `path`, or return `default` when the file does not exist."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
