"""Webhook receipts in `webhooks.jsonl`: one fsync'd line per accepted event, deduplicated across processes."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

from callback.data.files import FileLock, append_at, fsync, fsync_dir, private_dir, sweep_temporary, write_atomic


class EventLog:
    """Webhook receipts in `webhooks.jsonl`, deduplicated by event id across processes.

    A writer appends its line under the log's lock and fsyncs the file after releasing it, so no
    writer's disk wait holds up another's append (a journaling filesystem also folds overlapping fsyncs
    into one commit). No writer returns before its own line is on disk.
    """

    def __init__(self, data_dir: str | Path):
        self.path = private_dir(data_dir) / "webhooks.jsonl"
        self._lock = FileLock(self.path)
        self._seen: dict[str, bool] = {}  # event id -> processed
        self._fd: int | None = None  # read/write handle on the file _seen describes
        self._offset = 0  # end of the last complete line read or written
        self._size = 0  # file size at the last _sync (more than _offset: a torn line to cut)
        self._group = threading.Lock()  # guards the three below (see _commit)
        self._written = self._synced = 0  # writes this process made, and those an fsync has covered
        self._done: threading.Event | None = None  # set when the fsync under way ends; None: none under way

    def add(self, receipt: dict) -> str:
        """Record a receipt durably unless its id is known; return "new", "pending" (not done) or "done"."""
        line = _encode(receipt)  # before taking the lock, which every worker's writers share
        with self._lock.held():
            state = self._sync().get(receipt["id"])
            if state is None:
                self._append(line)
                self._seen[receipt["id"]] = bool(receipt.get("done"))
            written = self._written_now()
        # A duplicate waits for the disk too: the first delivery's line may still be on its way there.
        self._durable(*written)
        return "new" if state is None else "done" if state else "pending"

    def mark_done(self, event_id: str) -> None:
        """Note durably that an event's side effects are complete, so a redelivery is not processed again."""
        line = _encode({"done": event_id})
        with self._lock.held():
            self._sync()
            self._append(line)
            self._seen[event_id] = True
            written = self._written_now()
        self._durable(*written)

    def receipts(self) -> list[dict]:
        """Return every receipt, oldest first, with `done` folded in."""
        with self._lock.held():
            lines = self._read()
        done = {line["done"] for line in lines if "done" in line and "id" not in line}
        return [{**r, "done": bool(r.get("done")) or r["id"] in done} for r in lines if "id" in r]

    def rewrite(self, keep) -> int:
        """Replace each receipt with keep(receipt) (None drops it) in one atomic rewrite; return how many changed."""
        with self._lock.held():
            lines, out, changed = self._read(), [], 0
            dropped = set()
            for line in lines:
                if "id" not in line:
                    if line["done"] not in dropped:
                        out.append(line)
                    continue
                new = keep(line)
                changed += new != line
                if new is None:
                    dropped.add(line["id"])
                else:
                    out.append(new)
            if changed:
                # A writer still fsyncing the old file (see _durable) makes its line durable there too.
                write_atomic(self.path, "".join(_encode(x).decode() for x in out))
                self._reopen()
            sweep_temporary(self.path.parent, self.path.name)  # a killed rewrite's copy may name erased users
            return changed

    def _written_now(self) -> tuple[int, int | None]:
        """Count a write (call with the lock held); return its ticket and a handle on the file it went to.

        The fsync runs outside the lock (see _durable) on this handle, so it covers the line even if a
        rewrite replaces the file meanwhile (the new file was fsync'd before it replaced this one).
        """
        self._written += 1
        return self._written, None if self._fd is None else os.dup(self._fd)  # None: no log file yet

    def _durable(self, ticket: int, fd: int | None) -> None:
        """Return once write `ticket` is on disk (see _commit), after releasing the lock.

        Writers of one process commit as a group: one fsync covers every line written before it began,
        so a writer whose line an fsync under way already covers only waits for it.
        """
        if fd is None:
            return
        try:
            self._commit(ticket, fd)
        finally:
            os.close(fd)

    def _commit(self, ticket: int, fd: int) -> None:
        """Return once an fsync that began after write `ticket` of this process has finished.

        One Event per fsync, not a Condition: each waiting writer then wakes once, when the fsync it
        waits on ends (under gevent, a Condition's notify_all costs every waiter several lock rounds).
        """
        while True:
            with self._group:
                if self._synced >= ticket:
                    return  # an fsync that began after this write covered it
                under_way = self._done
                if under_way is None:
                    upto, done = self._written, threading.Event()
                    self._done = done
            if under_way is not None:
                under_way.wait()  # that fsync may have begun before this write: then look again
                continue
            synced = False
            try:
                fsync(fd)
                synced = True
            finally:
                with self._group:
                    self._done = None
                    self._synced = max(self._synced, upto) if synced else self._synced
                done.set()
            return

    def _append(self, data: bytes) -> None:
        """Write one line after the last complete one (call with the lock held, after _sync)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        self._offset = self._size = append_at(self._fd, data, self._offset, self._size)

    def _read(self) -> list[dict]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(x) for x in text.splitlines(keepends=True) if x.endswith("\n")]

    def _sync(self) -> dict[str, bool]:
        """Bring the id index up to date with the file, reading only lines added since last time."""
        st = os.fstat(self._fd) if self._fd is not None else None
        if st is None or st.st_nlink == 0:
            # Holding the indexed file open pins its inode, so a rewritten file (a new inode) is
            # always noticed here: st_nlink drops to 0 once the old one is replaced.
            self._reopen()
            st = os.fstat(self._fd) if self._fd is not None else None
        size = self._size = st.st_size if st else 0
        if size > self._offset and self._fd is not None:
            chunk = os.pread(self._fd, size - self._offset, self._offset)
            end = chunk.rfind(b"\n") + 1  # a torn last line (crash mid-append) is ignored
            for raw in chunk[:end].splitlines():
                eid, done = _entry(raw)
                self._seen[eid] = self._seen.get(eid, False) or done
            self._offset += end
        return self._seen

    def _reopen(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._seen, self._offset, self._size, self._fd = {}, 0, 0, None
        with contextlib.suppress(FileNotFoundError):
            self._fd = os.open(self.path, os.O_RDWR)


def _entry(raw: bytes) -> tuple[str, bool]:
    """Return the event id a line is about and whether it says the event is done.

    Every other worker's lines are read here, under the log's lock: a receipt written by add() is read
    by its fixed start (the id) and end (done, its last key) rather than decoded whole.
    """
    if raw[:7] == b'{"id":"' and raw[71:73] == b'",' and raw.endswith((b',"done":true}', b',"done":false}')):
        return raw[7:71].decode("ascii"), raw.endswith(b"true}")
    item = json.loads(raw)
    return (item["id"], bool(item.get("done"))) if "id" in item else (item["done"], True)


# One encoder for every line: json.dumps builds a new one on each call that passes options.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _encode(item: dict) -> bytes:
    """One compact JSON line."""
    return (_COMPACT.encode(item) + "\n").encode()
