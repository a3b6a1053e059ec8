"""The sandbox's in-memory platform state: apps, users, codes, tokens, call counts and injected faults."""

from __future__ import annotations

import collections
import secrets
import threading
import time
from dataclasses import dataclass, field

from callback.sandbox.posts import Posting

# Lifetimes TikTok has documented over time (access, refresh), in seconds.
LIFETIMES = {"legacy": (86400, 31536000), "rotating": (7200, 15552000)}
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list", "video.upload", "video.publish")
FAULT_KINDS = ("server_error", "temporarily_unavailable", "http_502", "hang", "slow")


@dataclass
class Client:
    """A registered developer app."""

    key: str
    secret: str
    name: str = "Sandbox App"
    redirect_uris: tuple[str, ...] = ()  # empty: any redirect URI is accepted
    webhook_url: str = ""
    audited: bool = False
    verified_prefixes: tuple[str, ...] = ()  # URL prefixes PULL_FROM_URL may fetch from


@dataclass
class User:
    """A platform account that can authorize apps."""

    open_id: str
    union_id: str
    display_name: str
    username: str
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = True
    max_video_post_duration_sec: int = 600
    private_account: bool = False  # an unaudited app may only post to private accounts
    can_post: bool = True  # False: the platform says this creator cannot post now
    daily_post_cap: int = 15  # posts a day through the API before spam_risk_too_many_posts


@dataclass
class Grant:
    """An issued code or token: who it is for and until when."""

    client_key: str
    open_id: str
    scopes: tuple[str, ...]
    expires: float
    redirect_uri: str = ""
    challenge: str = ""


@dataclass
class SandboxState:
    """Everything the sandbox platform remembers, guarded by one lock."""

    clients: dict[str, Client] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    access_ttl: int = LIFETIMES["legacy"][0]
    refresh_ttl: int = LIFETIMES["legacy"][1]
    code_ttl: int = 300
    rotate: bool = True
    pkce_encoding: str = "hex"
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    calls: collections.Counter = field(default_factory=collections.Counter)
    faults: dict[str, collections.deque] = field(default_factory=lambda: collections.defaultdict(collections.deque))
    webhooks: list[dict] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    posting: Posting = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.posting = Posting(self.lock)  # shares the one lock

    def add_client(self, key: str, secret: str, **kwargs) -> Client:
        """Register an app."""
        with self.lock:
            self.clients[key] = Client(key, secret, **kwargs)
            return self.clients[key]

    def add_user(self, display_name: str, username: str = "", **kwargs) -> User:
        """Create a platform account with fresh ids."""
        with self.lock:
            user = User(
                open_id="-000" + secrets.token_urlsafe(18),
                union_id="u." + secrets.token_hex(12),
                display_name=display_name,
                username=username or display_name.lower().replace(" ", "."),
                **kwargs,
            )
            self.users[user.open_id] = user
            return user

    def issue_code(
        self, client_key: str, open_id: str, scopes: tuple[str, ...], redirect_uri: str, challenge: str
    ) -> str:
        """Issue a short-lived, single-use authorization code."""
        code = secrets.token_urlsafe(32)
        with self.lock:
            self.codes[code] = Grant(client_key, open_id, scopes, time.time() + self.code_ttl, redirect_uri, challenge)
        return code

    def take_code(self, code: str) -> Grant | None:
        """Remove and return a code (codes are single-use even when the exchange then fails)."""
        with self.lock:
            return self.codes.pop(code, None)

    def issue_tokens(self, client_key: str, open_id: str, scopes: tuple[str, ...]) -> dict:
        """Issue an access + refresh token pair and return the token endpoint's success body."""
        now = time.time()
        access, refresh = "act." + secrets.token_urlsafe(40), "rft." + secrets.token_urlsafe(40)
        with self.lock:
            self.access[access] = Grant(client_key, open_id, scopes, now + self.access_ttl)
            self.refresh[refresh] = Grant(client_key, open_id, scopes, now + self.refresh_ttl)
        return {
            "open_id": open_id,
            "scope": ",".join(scopes),
            "access_token": access,
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
            "refresh_expires_in": self.refresh_ttl,
            "token_type": "Bearer",
        }

    def use_refresh(self, client_key: str, token: str) -> Grant | None:
        """Return the grant behind a live refresh token, consuming it when refresh tokens rotate."""
        with self.lock:
            grant = self.refresh.get(token)
            if grant is None or grant.client_key != client_key or grant.expires <= time.time():
                return None
            if self.rotate:
                del self.refresh[token]
            return grant

    def check_access(self, token: str) -> Grant | None:
        """Return the grant behind a live access token, or None."""
        with self.lock:
            grant = self.access.get(token)
            return grant if grant and grant.expires > time.time() else None

    def revoke(self, client_key: str, open_id: str) -> int:
        """Drop every token of one user for one app (the user's authorization is gone); return how many."""
        with self.lock:
            gone = 0
            for table in (self.access, self.refresh):
                for token in [t for t, g in table.items() if g.client_key == client_key and g.open_id == open_id]:
                    del table[token]
                    gone += 1
            return gone

    def expire(self, open_id: str, what: str = "access") -> int:
        """Make a user's access and/or refresh tokens expired (for tests of expiry handling)."""
        with self.lock:
            tables = {"access": [self.access], "refresh": [self.refresh], "both": [self.access, self.refresh]}[what]
            hit = [g for table in tables for g in table.values() if g.open_id == open_id]
            for grant in hit:
                grant.expires = time.time() - 1
            return len(hit)

    def authorized(self, open_id: str) -> list[str]:
        """Return the client keys holding a live refresh token for this user."""
        with self.lock:
            return sorted({g.client_key for g in self.refresh.values() if g.open_id == open_id})

    def add_fault(self, endpoint: str, kind: str, count: int = 1, delay: float = 5.0) -> None:
        """Make the next `count` calls to `endpoint` fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        with self.lock:
            self.faults[endpoint].extend({"kind": kind, "delay": delay} for _ in range(count))

    def hit(self, endpoint: str) -> dict | None:
        """Count a call to `endpoint` and return the fault it must suffer, if any."""
        with self.lock:
            self.calls[endpoint] += 1
            queue = self.faults.get(endpoint)
            return queue.popleft() if queue else None

    def reset(self) -> None:
        """Forget codes, tokens, counters, faults, deliveries and publishes (apps and users stay)."""
        with self.lock:
            for table in (self.codes, self.access, self.refresh, self.faults):
                table.clear()
            self.calls.clear()
            self.webhooks.clear()
            self.posting.clear()

    def summary(self) -> dict:
        """Return counters and sizes, safe to show (no tokens)."""
        with self.lock:
            return {
                "calls": dict(self.calls),
                "codes": len(self.codes),
                "access_tokens": len(self.access),
                "refresh_tokens": len(self.refresh),
                "faults": {k: len(v) for k, v in self.faults.items() if v},
                "users": [
                    {
                        "open_id": u.open_id,
                        "display_name": u.display_name,
                        "username": u.username,
                        "authorized": self.authorized(u.open_id),
                    }
                    for u in self.users.values()
                ],
                "webhooks": list(self.webhooks),
                "lifetimes": {"access": self.access_ttl, "refresh": self.refresh_ttl, "rotate": self.rotate},
                "posting": self.posting.summary(),
            }
