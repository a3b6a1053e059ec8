"""The facts' lists and their keys: table rows, verification tokens, history entries; unknown keys refused."""

from __future__ import annotations

import dataclasses
import re

from callback.facts.fields import FieldReader
from callback.facts.model import ROOT, TOKEN, Change, DataRow, Processor, Verification
from callback.facts.setup import UNTIL_DELETED

# The keys each mapping of the facts may hold; anything else is refused with the nearest known key.
KNOWN = {
    "operator": ("legal_name", "contact_email", "contact_url", "country", "governing_law", "address"),
    "urls": ("site", "service", "deletion"),
    "retention": (
        "tokens_unused_days",
        "records_days",
        "content_days",
        "deletion_response_hours",
        "deletion_receipts_days",
        "queued_media_hours",
    ),
    "security": ("encrypt_tokens",),
    "verification": ("tiktok",),
    "verification.tiktok[]": ("token", "prefix"),
    "history[]": ("date", "summary"),
    "platforms.tiktok": ("app_type", "scopes", "redirect_uris"),
    "platforms.*": ("enabled", "scopes"),
}
DATA_ROW_KEYS = ("data", "source", "purpose", "storage", "retention", "days")


def rows(r: FieldReader, app: dict, key: str, cls: type[Processor] | type[DataRow], kinds: dict) -> list:
    """Read a list of table rows (processors, data_rows) into `cls`, refusing unknown fields."""
    out = []
    for i, row in enumerate(r.get(app, ROOT, key, "list", default=[]) or []):
        path = f"{ROOT}.{key}[{i}]"
        if not isinstance(row, dict):
            r.fail(path, "must be a mapping", row)
            continue
        names = [f.name for f in dataclasses.fields(cls)]
        r.known(row, path, DATA_ROW_KEYS if cls is DataRow else names, what="a known field")
        if cls is DataRow and "days" in row:
            row = _row_days(r, row, path)
        out.append(
            cls(
                **{
                    n: r.get(row, path, n, kinds.get(n, "str"), max_len=500)
                    if kinds.get(n, "str") == "str"
                    else r.get(row, path, n, kinds[n])
                    for n in names
                }
            )
        )
    return out


def _row_days(r: FieldReader, row: dict, path: str) -> dict:
    """Word a data row's `days` (a number, or until_deleted) as its retention; refuse both at once."""
    if row.get("retention") is not None:
        r.fail(f"{path}.days", "give either days or retention (in words), not both", show=False)
        return row
    days = r.get(row, path, "days", "days", word=UNTIL_DELETED)
    words = (
        "Until you ask us to delete it, or your account's data is deleted"
        if days is None
        else f"{days} day"
        if days == 1
        else f"{days} days"
    )
    return {**row, "retention": words}


def verification(r: FieldReader, app: dict) -> list[Verification]:
    """Read verification.tiktok: tokens, each with an optional site prefix."""
    ver = r.get(app, ROOT, "verification", "map", default={}) or {}
    r.known(ver, f"{ROOT}.verification", KNOWN["verification"])
    out = []
    for i, item in enumerate(r.get(ver, f"{ROOT}.verification", "tiktok", "list", default=[]) or []):
        path = f"{ROOT}.verification.tiktok[{i}]"
        item = {"token": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            r.fail(path, "must be a token string or a mapping with token and prefix", item)
            continue
        r.known(item, path, KNOWN["verification.tiktok[]"])
        token = r.get(item, path, "token", "str")
        if token and not TOKEN.match(token):
            r.fail(
                f"{path}.token", "must be 8-128 letters, digits, '-' or '_' (paste it from the developer portal)", token
            )
        prefix = r.get(item, path, "prefix", "str", default="")
        if prefix and (".." in prefix or not re.match(r"^/?[A-Za-z0-9._/-]*$", prefix)):
            r.fail(f"{path}.prefix", "must be a site path like /legal/", prefix)
        out.append(Verification(token or "", prefix.strip("/")))
    return out


def history(r: FieldReader, app: dict) -> list[Change]:
    """Read the policy history: a date and a summary per earlier version."""
    out = []
    for i, item in enumerate(r.get(app, ROOT, "history", "list", default=[]) or []):
        path = f"{ROOT}.history[{i}]"
        if not isinstance(item, dict):
            r.fail(path, "must be a mapping with date and summary", item)
            continue
        r.known(item, path, KNOWN["history[]"])
        out.append(Change(r.get(item, path, "date", "date"), r.get(item, path, "summary", "str", max_len=1000)))
    return out
