"""Durable file primitives: private directories, inter-process locks, atomic JSON, fsync'd appends."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


def private_dir(path: str | Path) -> Path:
    """Create `path` (mode 0700) if needed and tighten its mode; return it."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on `<path>.lock` across processes (gunicorn workers, cron, the CLI)."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def fsync_dir(path: str | Path) -> None:
    """Make a rename or a new file in this directory durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
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
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_json(path: str | Path, data: Any) -> None:
    """Atomically write `data` as pretty JSON."""
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path, default: Any) -> Any:
    """Read JSON from `path`, or return `default` when the file does not exist."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def append_line(path: str | Path, record: dict) -> None:
    """Append one JSON line and fsync it, so it survives a crash once this returns."""
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    new = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        fsync_dir(Path(path).parent)


def read_lines(path: str | Path) -> list[dict]:
    """Read a JSON-lines file, skipping a torn last line left by a crash."""
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.endswith("\n"):
                    with contextlib.suppress(json.JSONDecodeError):
                        out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out
