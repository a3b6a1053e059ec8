"""Dates and times as every page, status page and command shows them."""

from __future__ import annotations

import datetime as dt


def utc_text(ts: float | None) -> str:
    """A unix time as `2026-12-01 14:05 UTC`, or "-" for none."""
    if not ts:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def longdate(value: dt.date) -> str:
    """A date as the legal pages print it: `1 November 2026`."""
    return f"{value.day} {value:%B %Y}"
