"""Earlier versions of the privacy policy and terms: frozen snapshots and the list of versions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from callback.facts import Facts

# Snapshots written by `greenlight archive`; they are frozen Markdown, never rendered again.
ARCHIVE = re.compile(r"^history/(privacy|terms)-(\d{4}-\d{2}-\d{2})\.md$")
KINDS = {"privacy": ("privacy.md", "privacy policy"), "terms": ("terms.md", "terms of service")}
# A relative Markdown link target: no scheme, not site-absolute, not a bare #anchor.
_RELATIVE_LINK = re.compile(r"\]\((?![A-Za-z][A-Za-z0-9+.-]*:|/|#)([^)\s]+)\)")


@dataclass(frozen=True)
class Version:
    """One published version: its date, what changed, and links (relative to history/index.md)."""

    date: dt.date
    summary: str
    current: bool
    privacy: str | None
    terms: str | None


def is_archive(path: str) -> bool:
    """Tell whether a docs path is a frozen snapshot."""
    return bool(ARCHIVE.match(path))


def versions(facts: Facts, paths: Iterable[str]) -> list[Version]:
    """List the current version first, then every earlier archived or recorded one, newest first."""
    archived: dict[dt.date, dict[str, str]] = {}
    for path in paths:
        if m := ARCHIVE.match(path):
            archived.setdefault(dt.date.fromisoformat(m[2]), {})[m[1]] = path.removeprefix("history/")
    summaries = {c.date: c.summary for c in facts.history}
    now = facts.effective_date
    out = [Version(now, summaries.get(now, "The version now in effect."), True, "../privacy.md", "../terms.md")]
    for date in sorted((set(archived) | set(summaries)) - {now}, reverse=True):
        links = archived.get(date, {})
        out.append(
            Version(
                date,
                summaries.get(date, "No summary was recorded for this version."),
                False,
                links.get("privacy"),
                links.get("terms"),
            )
        )
    return out


def freeze(kind: str, markdown: str, effective: dt.date) -> str:
    """Turn a rendered page into its frozen copy under history/: links fixed, a note on top."""
    page, title = KINDS[kind]
    # The copy lives one directory down, so relative links must climb one level.
    body = _RELATIVE_LINK.sub(r"](../\1)", markdown)
    note = (
        f'!!! note "Earlier version"\n    This is the {title} that took effect on '
        f"{effective.isoformat()}. It has since been replaced: read the [current {title}](../{page}) "
        "or the [list of versions](index.md).\n"
    )
    lines = body.split("\n")
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    return "\n".join([*lines[:at], "", note, *lines[at:]])


def snapshots(facts: Facts, rendered: Mapping[str, str]) -> dict[str, str]:
    """Return the frozen copies of the current privacy policy and terms, keyed by docs path."""
    date = facts.effective_date.isoformat()
    return {
        f"history/{kind}-{date}.md": freeze(kind, rendered[page], facts.effective_date)
        for kind, (page, _) in KINDS.items()
    }


def stale(facts: Facts, rendered: Mapping[str, str]) -> list[str]:
    """Name the archived pages of the current effective date that no longer match the rendered pages.

    Such a mismatch means the facts changed while the effective date stayed the same: the date would lie.
    """
    out = []
    for path, frozen in snapshots(facts, rendered).items():
        if path in rendered and rendered[path] != frozen:
            out.append(path)
    return out
