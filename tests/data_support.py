"""What a data directory holds, for tests that prove a request changed nothing or an erasure left nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path


def snapshot(data_dir) -> dict:
    """Hash every file under the data directory (lock files included: they must not appear either)."""
    root = Path(data_dir)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def everything(data_dir) -> str:
    """The bytes of every file in the data directory, as one searchable text."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in Path(data_dir).rglob("*") if p.is_file())
