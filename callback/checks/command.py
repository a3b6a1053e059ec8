"""The `greenlight check` command."""

from __future__ import annotations

from pathlib import Path

import click

from callback.checks import Check, Finding, Result, Target, fail, format_json, format_report, ok, run_all
from callback.checks.pages import open_site
from callback.facts import FactsError, load_facts, read_config
from callback.facts.settings import load_settings
from callback.facts.source import facts_source


def build_target(
    facts_path: str | Path,
    site: str | None = None,
    service: str | None = None,
    browser: bool = True,
    settings: dict | None = None,
) -> Target:
    """Load the facts and settings and name what to check; raise FactsError on invalid facts."""
    facts_path = Path(facts_path)
    facts = load_facts(facts_path)
    config = read_config(facts_path)
    # A mkdocs.yml builds into its site_dir beside it; a bare facts file says nothing about the build.
    default_site = facts_path.parent / str(config.get("site_dir") or "site") if "extra" in config else Path("site")
    return Target(
        facts=facts,
        facts_path=facts_path,
        config=config,
        settings=load_settings() if settings is None else settings,
        site=open_site(site, default_site),
        service=service,
        browser=browser,
    )


def _invalid_facts(path: str, exc: FactsError) -> list[Result]:
    check = Check("facts.valid", "The facts file is valid", "facts", lambda t: [])
    return [
        Result(
            check,
            "fail",
            [fail(p, f"edit {facts_source(path).name}") for p in exc.problems]
            + [Finding("skip", "no other check can run until the facts load")],
        )
    ]


@click.command("check")
@click.option(
    "--site",
    metavar="URL|PATH",
    default=None,
    help="The site to check: a deployed https URL, or a built directory (default: the local build, site/).",
)
@click.option(
    "--service",
    metavar="URL",
    default=None,
    help="The running callback service to check (health, webhook signatures, connect redirect).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (for CI).")
@click.option("--no-browser", is_flag=True, help="Skip the Chromium link-visibility check.")
@click.pass_context
def check(ctx: click.Context, site: str | None, service: str | None, as_json: bool, no_browser: bool) -> None:
    """Check the site, facts and service against what app review asks for.

    Exits non-zero when any check fails; each failure says what to change.
    """
    facts_path = ctx.find_root().obj["facts_path"]
    try:
        target = build_target(facts_path, site, service, browser=not no_browser)
        results = run_all(target)
        where = {"facts": str(facts_path), "site": target.site.label, "service": service}
    except FactsError as exc:
        results = _invalid_facts(facts_path, exc)
        where = {"facts": str(facts_path), "site": site, "service": service}
    if as_json:
        click.echo(format_json(results, **where))
    else:
        header = f"greenlight check: facts {where['facts']}, site {where['site']}, service {service or '(not checked)'}"
        click.echo(format_report(results, header))
    ctx.exit(0 if ok(results) else 1)
