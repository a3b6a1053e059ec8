"""What the publishing tests share: a connected account, the sandbox's posting controls, sample videos."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from callback.data.backends import open_backend
from callback.data.queue import PostQueue
from callback.data.store import apply_tokens
from callback.facts.settings import load_settings
from callback.platform.media import sample_mp4

MB = 1024 * 1024
SCOPES = ("user.info.basic", "video.publish", "video.upload")
PRIVATE = {
    "privacy_level": "SELF_ONLY",
    "disable_comment": False,
    "disable_duet": False,
    "disable_stitch": False,
    "brand_content_toggle": False,
    "brand_organic_toggle": False,
    "is_aigc": False,
}


@pytest.fixture
def config(sandbox_config) -> dict:
    """Complete service settings pointing at the sandbox (what app.config holds in the service)."""
    return load_settings(sandbox_config)


def control(sandbox, what: str, **body) -> dict:
    """Drive one of the sandbox's controls under /_sandbox/ over HTTP, as a test of the platform would."""
    r = requests.post(f"{sandbox.url}/_sandbox/{what}", json=body, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def connect(sandbox, config: dict, user=None, scopes: tuple[str, ...] = SCOPES, private: bool = True) -> dict:
    """Store an account whose tokens the sandbox issued (its TikTok account private unless told otherwise)."""
    user = user or sandbox.users()[0]
    control(sandbox, "creator", open_id=user.open_id, private_account=private)
    tokens = sandbox.state.issue_tokens(sandbox.client.key, user.open_id, scopes)
    account = apply_tokens({"open_id": user.open_id, "display_name": user.display_name}, tokens, time.time())
    open_backend(config).store.put(account)
    return account


def stores(config: dict):
    """The token store and the queue of the data directory the settings name."""
    return open_backend(config).store, PostQueue(config["DATA_DIR"])


def video(tmp_path: Path, seconds: float = 5, size: int | None = None, name: str = "clip.mp4") -> Path:
    """Write a small valid MP4 and return its path."""
    path = tmp_path / name
    sample_mp4(path, seconds=seconds, size=size)
    return path


def publishes(sandbox) -> list[dict]:
    """The publishes the sandbox has seen (never upload URLs)."""
    return requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()["posting"]["publishes"]
