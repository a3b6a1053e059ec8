"""Encryption at rest of an account's tokens, shared by every token backend (Fernet, `fernet:` prefix)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from callback.data.store import StoreError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

SECRET_FIELDS = ("access_token", "refresh_token")
ENCRYPTED = "fernet:"


class Sealer:
    """Seal and open the secret fields of an account exactly as the file store's tokens.json holds them.

    `where` names the storage in errors (tokens.json, the database), so the operator knows what to fix.
    """

    def __init__(self, encryption_key: str | bytes | None, where: str = "tokens.json"):
        self._fernet: Fernet | None = None
        if encryption_key:  # cryptography costs 10 ms to import: only when tokens are encrypted
            from cryptography.fernet import Fernet

            self._fernet = Fernet(encryption_key)
        self.where = where

    def seal(self, account: dict) -> dict:
        """Return a copy of the account with its tokens encrypted (unchanged without a key)."""
        acc = copy.deepcopy(account)
        if self._fernet:
            for key in SECRET_FIELDS:
                if acc.get(key):
                    acc[key] = ENCRYPTED + self._fernet.encrypt(acc[key].encode()).decode()
        return acc

    def open(self, account: dict) -> dict:
        """Return a copy of the account with its tokens decrypted, or raise StoreError naming the key to set."""
        acc = copy.deepcopy(account)
        for key in SECRET_FIELDS:
            value = acc.get(key) or ""
            if value.startswith(ENCRYPTED):
                if not self._fernet:
                    raise StoreError(f"{self.where} holds encrypted tokens: set GREENLIGHT_ENCRYPTION_KEY")
                try:
                    acc[key] = self._fernet.decrypt(value[len(ENCRYPTED) :].encode()).decode()
                except _invalid_token():
                    raise StoreError(f"GREENLIGHT_ENCRYPTION_KEY does not decrypt {self.where}") from None
        return acc


def _invalid_token() -> type[Exception]:
    """Fernet's error for a token that the key does not open (imported only once a key is in use)."""
    from cryptography.fernet import InvalidToken

    return InvalidToken
