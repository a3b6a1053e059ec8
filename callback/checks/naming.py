"""What an app name must not contain: the names of social platforms, which app review refuses."""

from __future__ import annotations

import re

# Names app review refuses inside an app name. Distinctive names match anywhere, even split by
# spaces or punctuation ("Tik Tok", "you-tube"); short common words match only as whole words.
PLATFORM_NAMES = (
    "tiktok",
    "douyin",
    "musically",
    "youtube",
    "instagram",
    "facebook",
    "whatsapp",
    "messenger",
    "snapchat",
    "pinterest",
    "linkedin",
    "twitter",
    "twitch",
)
PLATFORM_WORDS = ("meta", "google", "threads", "insta", "tt", "ig", "fb", "yt")


def platform_names_in(name: str) -> list[str]:
    """Return the platform names an app name contains (case-insensitive, across spaces and hyphens)."""
    squashed = re.sub(r"[^a-z0-9]", "", name.casefold())
    words = set(re.findall(r"[a-z0-9]+", name.casefold()))
    return [n for n in PLATFORM_NAMES if n in squashed] + [w for w in PLATFORM_WORDS if w in words]
