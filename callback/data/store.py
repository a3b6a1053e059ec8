"""The storage interface every token backend implements, and what callers share across backends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class StoreError(RuntimeError):
    """Raised when the token file cannot be read as the configuration says it should be."""


class ReconnectNeeded(RuntimeError):
    """Raised when an account's refresh token expired or was rejected: the user must connect again."""

    def __init__(self, open_id: str, reason: str):
        self.open_id, self.reason = open_id, reason
        super().__init__(f"account {open_id} must be connected again: {reason}")


class TokenBackend(Protocol):
    """The few calls the rest of Greenlight makes on stored accounts.

    Implemented by the file store (callback.data.tokens) and the PostgreSQL store (callback.data.pg_tokens);
    callback.data.backends.open_backend picks one, and tests/test_storage_contract.py holds both to it.
    """

    def get(self, open_id: str) -> dict | None:
        """Return one account with its tokens decrypted, or None."""

    def list(self) -> list[dict]:
        """Return every account, tokens decrypted, ordered by display name, then open_id."""

    def put(self, account: dict) -> None:
        """Insert or replace an account (keyed by its open_id)."""

    def update(self, open_id: str, **fields) -> dict | None:
        """Set some fields of an account atomically; return it, or None if it does not exist."""

    def delete(self, open_id: str) -> bool:
        """Remove an account so that no stored copy names it; return whether it existed."""

    def refresh(
        self, open_id: str, refresher: Callable[[dict], dict], margin: float = 300, now: Callable[[], float] = time.time
    ) -> dict:
        """Return the account with an access token valid for `margin` seconds, refreshing it exactly once.

        One refresh per account across every process and instance; the new refresh token is stored before
        the account is returned; an account deleted meanwhile raises KeyError.
        """


def apply_tokens(account: dict, response: dict, now: float) -> dict:
    """Copy a token-endpoint response into an account, with absolute expiry times from its lifetimes."""
    account.update(
        open_id=response.get("open_id") or account["open_id"],
        access_token=response["access_token"],
        refresh_token=response["refresh_token"],
        expires_at=now + int(response["expires_in"]),
        refresh_expires_at=now + int(response["refresh_expires_in"]),
        scope=sorted(s for s in response.get("scope", "").split(",") if s) or account.get("scope", []),
        refreshed_at=now,
        needs_reconnect=None,
    )
    account.setdefault("connected_at", now)
    return account


def new_key() -> str:
    """Return a fresh key for GREENLIGHT_ENCRYPTION_KEY."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
