"""The check model: targets, findings, results, the registry and the report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from callback.checks.addresses import is_loopback
from callback.checks.pages import Site
from callback.facts import Facts
from callback.facts.source import fact_prefix, facts_source

ORDER = {"pass": 0, "skip": 1, "warn": 2, "fail": 3}


class Skip(Exception):
    """Raised by a check that cannot run here (say why and how to run it)."""


@dataclass(frozen=True)
class Finding:
    status: str  # "pass", "warn", "fail" (or "skip" for a check that could not run here)
    message: str
    fix: str = ""  # what to change: the fact or the file to edit


def fail(message: str, fix: str = "") -> Finding:
    """Return a failing finding."""
    return Finding("fail", message, fix)


def warn(message: str, fix: str = "") -> Finding:
    """Return a warning."""
    return Finding("warn", message, fix)


def note(message: str) -> Finding:
    """Return a passing finding that records what was verified."""
    return Finding("pass", message)


@dataclass
class Target:
    """Everything a check looks at: the facts, the site, the service and the local settings."""

    facts: Facts
    facts_path: Path
    config: dict  # the whole parsed mkdocs.yml (site_name, theme, ...)
    settings: dict  # callback.facts.settings.load_settings(): secrets come from the environment or .env
    site: Site
    service: str | None = None
    browser: bool = True
    cache: dict = field(default_factory=dict)

    @property
    def demo(self) -> bool:
        """Whether the facts describe a loopback demo (site and service on this machine).

        Such a setup can never be submitted for review, so production-only requirements
        (https, a real client key) are warnings there instead of failures.
        """
        return is_loopback(self.facts.site_url) and is_loopback(self.facts.service_url)

    def fact(self, key: str) -> str:
        """Name a fact for a fix message: 'extra.app.<key> in mkdocs.yml' (or '<key> in' a bare facts file)."""
        source = facts_source(self.facts_path)  # the demo's copy names the operator's file: edit that one
        return f"{fact_prefix(source)}{key} in {source.name}"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    group: str
    run: Callable[[Target], list[Finding]]


@dataclass
class Result:
    check: Check
    status: str
    findings: list[Finding]

    def as_dict(self) -> dict:
        """Return this result as plain JSON-ready data."""
        return {
            "id": self.check.id,
            "title": self.check.title,
            "group": self.check.group,
            "status": self.status,
            "findings": [dataclasses.asdict(f) for f in self.findings],
        }


def run_check(check: Check, target: Target) -> Result:
    """Run one check; a skip or an unexpected error becomes a result, never a crash."""
    try:
        findings = list(check.run(target))
    except Skip as exc:
        return Result(check, "skip", [Finding("skip", str(exc))])
    except Exception as exc:  # one broken check must not hide the others
        return Result(check, "fail", [fail(f"the check could not run: {type(exc).__name__}: {exc}")])
    status = max((f.status for f in findings), key=ORDER.__getitem__, default="pass")
    return Result(check, status, findings)


def ok(results: list[Result]) -> bool:
    """True when no check failed (warnings and skips do not fail a run)."""
    return all(r.status != "fail" for r in results)


def counts(results: list[Result]) -> dict[str, int]:
    """Count results by status."""
    out = dict.fromkeys(ORDER, 0)
    for r in results:
        out[r.status] += 1
    return out


def format_report(results: list[Result], header: str = "") -> str:
    """Render a readable report: one line per check, then what is wrong and what to change."""
    lines = [header, ""] if header else []
    for i, r in enumerate(results):
        lines.append(f"{r.status.upper():4}  {r.check.title}")
        following = results[i + 1] if i + 1 < len(results) else None
        if r.status == "skip" and following and following.status == "skip" and following.findings == r.findings:
            continue  # a run of checks skipped for one reason shows the reason once, after the last
        for f in r.findings:
            if f.status == "pass":
                continue
            lines.append(f"      - {f.message}")
            if f.fix:
                lines.append(f"        fix: {f.fix}")
    n = counts(results)
    lines += [
        "",
        f"{n['pass']} passed, {n['warn']} warned, {n['fail']} failed, {n['skip']} skipped"
        + ("" if ok(results) else " - fix the failures above before submitting for review"),
    ]
    return "\n".join(lines)


def format_json(results: list[Result], **context: object) -> str:
    """Render the results as JSON for CI."""
    return json.dumps(
        {"ok": ok(results), "counts": counts(results), **context, "checks": [r.as_dict() for r in results]}, indent=2
    )


def register(registry: list[Check], group: str) -> Callable[[str, str], Callable]:
    """Make a decorator that adds check functions to a module's registry."""

    def check(id: str, title: str) -> Callable:
        def wrap(fn: Callable[[Target], list[Finding]]) -> Callable:
            registry.append(Check(id, title, group, fn))
            return fn

        return wrap

    return check
