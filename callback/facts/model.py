"""The facts model: what an operator states once, and the site and the service both obey."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from callback.facts.product import Product
from callback.facts.setup import Cookie, Notice, Storage, deletion_address

ROOT = "extra.app"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")

# What each known scope lets the app do; an operator may override the wording
# by writing the scope as a mapping `scope: why`.
SCOPES = {
    "tiktok": {
        "user.info.basic": "Read your open_id, display name and avatar, to show which account is connected.",
        "user.info.profile": "Read your profile link, bio and verification status.",
        "user.info.stats": "Read your follower, following, like and video counts.",
        "video.list": "Read the list of your public videos.",
        "video.upload": "Send videos you choose to your TikTok inbox as drafts, for you to finish and post.",
        "video.publish": "Post videos you choose directly to your TikTok profile.",
    },
    "youtube": {
        "https://www.googleapis.com/auth/youtube.upload": "Upload videos you choose to your YouTube channel.",
        "https://www.googleapis.com/auth/youtube.readonly": (
            "Read your channel's name and the status of uploaded videos."
        ),
        "https://www.googleapis.com/auth/youtube": "Manage your YouTube videos (set titles, privacy and thumbnails).",
    },
    "meta": {
        "instagram_basic": "Read your Instagram account's name and profile picture.",
        "instagram_content_publish": "Publish videos you choose to your Instagram account.",
        "pages_show_list": "List the Facebook Pages you manage, so you can pick one.",
        "pages_read_engagement": "Read your Page's name and basic information.",
        "pages_manage_posts": "Publish videos you choose to your Facebook Page.",
        "publish_video": "Publish videos you choose to your Facebook Page.",
    },
}
PLATFORM_NAMES = {"tiktok": "TikTok", "youtube": "YouTube", "meta": "Meta (Facebook and Instagram)"}


class FactsError(ValueError):
    """Raised when the facts file is missing, unreadable or invalid; lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    scopes: tuple[Scope, ...]


@dataclass(frozen=True)
class Operator:
    # Only a way to reach the operator is required (contact_email or contact_url); "" means not stated.
    legal_name: str
    contact_email: str
    country: str
    governing_law: str
    address: str = ""
    contact_url: str = ""


@dataclass(frozen=True)
class Processor:
    name: str
    purpose: str
    data: str
    policy_url: str


@dataclass(frozen=True)
class DataRow:
    data: str
    source: str
    purpose: str
    storage: str
    retention: str


@dataclass(frozen=True)
class Retention:
    tokens_unused_days: int | None  # None: until the user revokes access (no inactivity limit)
    records_days: int | None  # None: until the account's data is deleted
    deletion_response_hours: int
    deletion_receipts_days: int  # 0: no receipt is kept once a deletion is carried out
    content_days: int | Literal["records_days"] | None = (
        "records_days"  # publishing records Greenlight holds; None: until deleted
    )
    queued_media_hours: int = 48  # a queued video is deleted once posted, or this many hours after queueing

    @property
    def content(self) -> int | None:
        """Days publishing records are kept: content_days, or records_days when it is not given."""
        days = self.content_days
        return self.records_days if days == "records_days" else days


@dataclass(frozen=True)
class Verification:
    token: str
    prefix: str = ""

    @property
    def filename(self) -> str:
        return f"tiktok{self.token}.txt"

    @property
    def content(self) -> str:
        return f"tiktok-developers-site-verification={self.token}"


@dataclass(frozen=True)
class Change:
    date: dt.date
    summary: str


@dataclass(frozen=True)
class Facts:
    name: str
    summary: str
    description: str
    effective_date: dt.date
    operator: Operator
    site_url: str
    service_url: str
    app_type: str
    redirect_uris: tuple[str, ...]
    platforms: tuple[Platform, ...]
    processors: tuple[Processor, ...]
    data_rows: tuple[DataRow, ...]
    retention: Retention
    minimum_age: int
    encrypt_tokens: bool
    verification: tuple[Verification, ...]
    history: tuple[Change, ...]
    draft: bool = False
    deployment: str = "hosted"  # hosted | local (the service runs on the operator's own computer)
    users: str = "public"  # public | owner (only the operator connects their own accounts)
    storage: Storage = field(default_factory=Storage)
    deletion_page: str = ""  # urls.deletion: where people ask for (or carry out) deletion, if not our form
    cookies: tuple[Cookie, ...] = ()  # cookies the operator's own site sets, beside the service's own
    we_do_not: tuple[str, ...] = ()  # ids of callback.facts.setup.WE_DO_NOT
    changes: Notice = field(default_factory=Notice)
    product: Product = field(default_factory=Product)  # the app's face: callback/facts/product.py
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def platform(self, key: str) -> Platform | None:
        """Return the enabled platform with this key, or None."""
        return next((p for p in self.platforms if p.key == key), None)

    @property
    def tiktok(self) -> Platform:
        """The TikTok platform, which every valid facts file enables."""
        found = self.platform("tiktok")
        if found is None:
            raise LookupError("the facts enable no TikTok platform")
        return found

    @property
    def tiktok_scopes(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.tiktok.scopes)

    @property
    def webhook_url(self) -> str:
        return self.service_url + "/webhooks/tiktok"

    @property
    def connect_url(self) -> str:
        return self.service_url + "/connect/tiktok"

    @property
    def deletion_url(self) -> str:
        """Where people ask for deletion on the web: urls.deletion, else the service's form if public, else ""."""
        return deletion_address(self)
