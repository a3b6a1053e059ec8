"""The rules a post must meet before it goes to TikTok: the page's choices as post_info, the refresh call.

Kept apart from publisher.py (which runs the steps) so each stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callback.data.store import ReconnectNeeded
from callback.platform.posting import explain
from callback.platform.tiktok import TikTok

FLAGS = ("disable_comment", "disable_duet", "disable_stitch", "brand_content_toggle", "brand_organic_toggle", "is_aigc")
SETTINGS = ("title", "privacy_level", "video_cover_timestamp_ms", *FLAGS)  # what the page may choose


class Refusal(Exception):
    """A post stopped before or without TikTok's say: `code` for fail_reason, `message` for people."""

    def __init__(self, code: str, message: str | None = None):
        self.code, self.message = code, message or explain(code)
        super().__init__(self.message)


def refresher(config: dict) -> Callable[[dict], dict]:
    """Return the refresh call for TokenBackend.refresh: a rejected refresh token means reconnect."""
    return TikTok.from_settings(config).refresher(ReconnectNeeded)


def post_info(settings: dict, creator: dict) -> dict:
    """Build a direct post's post_info from the page's choices; what the creator turned off stays off."""
    privacy = settings.get("privacy_level")
    if not privacy:  # never a default: the creator chooses
        raise Refusal("no_privacy")
    info: dict[str, Any] = {"title": str(settings.get("title") or ""), "privacy_level": str(privacy)}
    info.update({flag: bool(settings.get(flag, False)) for flag in FLAGS})
    for what in ("comment", "duet", "stitch"):
        if creator.get(f"{what}_disabled"):
            info[f"disable_{what}"] = True
    if info["brand_content_toggle"] and info["privacy_level"] == "SELF_ONLY":
        raise Refusal("branded_private")
    cover = settings.get("video_cover_timestamp_ms")
    if cover is not None:
        if isinstance(cover, bool) or not str(cover).isdigit():
            raise Refusal("invalid_params")
        info["video_cover_timestamp_ms"] = int(cover)
    return info


def duration_words(seconds: float) -> str:
    """Say how long a video is: seconds under two minutes, else minutes."""
    return f"{seconds:.0f} seconds" if seconds < 120 else f"{round(seconds / 60, 1):g} minutes"


def timeout_message(max_wait: float) -> str:
    """Say that TikTok did not finish within the bound (minutes from one minute up)."""
    within = f"{round(max_wait / 60, 1):g} minutes" if max_wait >= 60 else f"{max_wait:g} seconds"
    return f"TikTok did not finish processing within {within}; check the app on TikTok."
