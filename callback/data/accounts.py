"""Finding stored accounts by what people call them, and handing their tokens to an uploader's .env."""

from __future__ import annotations

from pathlib import Path

from callback.data.files import write_atomic
from callback.data.store import TokenBackend


class AccountError(LookupError):
    """No account, or no single account, matches what the caller asked for."""


class AmbiguousAccount(AccountError):
    """Several accounts match: the caller must name one; `open_ids` lists the candidates, `ref` the name given."""

    def __init__(self, message: str, open_ids: list[str], ref: str | None = None):
        self.open_ids, self.ref = open_ids, ref
        super().__init__(message)


def named(accounts: list[dict], name: str) -> list[dict]:
    """Return the accounts whose display name or username is `name` (case-insensitive)."""
    want = name.casefold()
    return [
        a
        for a in accounts
        if want and want in ((a.get("display_name") or "").casefold(), (a.get("username") or "").casefold())
    ]


def pick(store: TokenBackend, ref: str | None = None) -> dict:
    """Return the account named by `ref` (open_id or display name), or the only one when `ref` is None.

    A display name is not unique: when several accounts share it, refuse and list their open_ids.
    """
    accounts = store.list()
    if ref:
        exact = [a for a in accounts if a["open_id"] == ref] or named(accounts, ref)
        if not exact:
            raise AccountError(f"no connected account is named {ref!r} (see `greenlight tokens list`)")
        if len(exact) > 1:
            ids = [a["open_id"] for a in exact]
            raise AmbiguousAccount(
                f"{len(exact)} connected accounts are named {ref!r} (open_ids "
                f"{', '.join(ids)}): name one by its open_id",
                ids,
                ref,
            )
        return exact[0]
    if not accounts:
        raise AccountError("no TikTok account is connected yet")
    if len(accounts) > 1:
        names = ", ".join(a.get("display_name") or a["open_id"] for a in accounts)
        raise AmbiguousAccount(
            f"{len(accounts)} accounts are connected ({names}): choose one with --account",
            [a["open_id"] for a in accounts],
        )
    return accounts[0]


EXPORTED = ("TIKTOK_ACCESS_TOKEN", "TIKTOK_REFRESH_TOKEN", "TIKTOK_OPEN_ID", "TIKTOK_EXPIRES_AT")


def _name(line: str) -> str:
    return line.strip().removeprefix("export ").partition("=")[0].strip()


def clear_exports(account: dict) -> list[str]:
    """Remove the account's token lines from every .env file it was exported to; return the files cleared.

    A file whose TIKTOK_OPEN_ID names another account now (exported again since) is left alone.
    """
    cleared = []
    for path in account.get("exports") or []:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue  # moved or deleted by its owner: nothing of ours is left there
        if f"TIKTOK_OPEN_ID={account['open_id']}" not in [line.strip().removeprefix("export ") for line in lines]:
            continue
        write_atomic(path, "".join(f"{line}\n" for line in lines if _name(line) not in EXPORTED))
        cleared.append(path)
    return cleared


def export_env(account: dict, path: str | Path) -> list[str]:
    """Write the account's token variables into a .env file (0600), keeping its other lines; return the keys."""
    values = {
        "TIKTOK_ACCESS_TOKEN": account["access_token"],
        "TIKTOK_REFRESH_TOKEN": account["refresh_token"],
        "TIKTOK_OPEN_ID": account["open_id"],
        "TIKTOK_EXPIRES_AT": str(int(account["expires_at"])),
    }
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    kept = [line for line in lines if _name(line) not in values]
    write_atomic(path, "\n".join(kept + [f"{k}={v}" for k, v in values.items()]) + "\n")
    return list(values)
