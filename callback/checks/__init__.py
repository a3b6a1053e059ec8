"""`greenlight check`: every check, in report order, and the runner."""

from __future__ import annotations

from callback.checks import browser, content, facts, service, site
from callback.checks.model import (
    Check,
    Finding,
    Result,
    Skip,
    Target,
    counts,
    fail,
    format_json,
    format_report,
    note,
    ok,
    run_check,
    warn,
)

__all__ = [
    "Check",
    "Finding",
    "Result",
    "Skip",
    "Target",
    "all_checks",
    "counts",
    "fail",
    "format_json",
    "format_report",
    "note",
    "ok",
    "run_all",
    "run_check",
    "warn",
]


def all_checks() -> list[Check]:
    """Return every check, in report order: facts, site, page content, browser, service."""
    return [*facts.CHECKS, *site.CHECKS, *content.CHECKS, *browser.CHECKS, *service.CHECKS]


def run_all(target: Target, checks: list[Check] | None = None) -> list[Result]:
    """Run the checks against the target and return their results."""
    return [run_check(c, target) for c in (all_checks() if checks is None else checks)]
