"""Build, preview and archive the public site: `greenlight build`, `serve`, `init` and `archive`."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from callback.facts import FactsError, read_config
from callback.history import snapshots
from callback.site import TemplateError, render_pages


class SiteError(RuntimeError):
    """Raised when the site cannot be built; the message says why, in the operator's terms."""


@dataclass
class Built:
    """Where a build went, how long it took, and what MkDocs warned about."""

    site_dir: Path
    seconds: float
    warnings: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    """Keep MkDocs' warnings and errors so a failed build can say what went wrong."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(config_file: str | Path = "mkdocs.yml", *, facts: str | Path | None = None,
               site_dir: str | Path | None = None, production: bool | None = None,
               strict: bool | None = None) -> Built:
    """Build the site with MkDocs in this process; raise SiteError with MkDocs' own messages on failure."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    collect, logger = _Collect(), logging.getLogger("mkdocs")
    logger.addHandler(collect)
    start = time.monotonic()
    try:
        cfg = load_config(config_file=str(config_file), site_dir=str(site_dir) if site_dir else None, strict=strict)
        plugin = cfg.plugins.get("greenlight")
        if plugin is None:
            raise SiteError(f"{config_file}: `plugins` must include greenlight, which renders the pages")
        plugin.facts_path = str(facts) if facts else None
        plugin.production = production
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except (MkDocsException, OSError) as exc:
        # MkDocs logs the real cause (a PluginError, a strict-mode warning) before it aborts.
        causes = [m for m in collect.messages if m != str(exc)]
        raise SiteError("\n".join(causes or [str(exc)])) from None
    finally:
        logger.removeHandler(collect)
    return Built(Path(cfg.site_dir), time.monotonic() - start, collect.messages)


def docs_dir(config_file: str | Path) -> Path:
    """Return the docs directory a mkdocs.yml names (default: docs beside it)."""
    config_file = Path(config_file)
    return config_file.parent / str(read_config(config_file).get("docs_dir", "docs"))


def archive_site(facts, config_file: str | Path = "mkdocs.yml") -> list[Path]:
    """Freeze the privacy policy and terms now in effect into docs/history/; return the files written."""
    docs = docs_dir(config_file)
    sources = {p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8")
               for p in sorted(docs.rglob("*.md")) if "overrides" not in p.relative_to(docs).parts}
    try:
        rendered = render_pages(facts, sources)
    except TemplateError as exc:
        raise SiteError(f"page template {docs.name}/{exc}") from None
    written = []
    for path, text in snapshots(facts, rendered).items():
        target = docs / path
        if target.exists():
            if target.read_text(encoding="utf-8") != text:
                raise SiteError(f"{target} already exists and differs from the pages now rendered: the facts "
                                "changed without a new effective_date. Restore the old facts, or keep the archive.")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _facts_override(ctx: click.Context, config_file: str) -> str | None:
    """Return the facts file to use when it is not the config file's own extra.app."""
    from callback.cli import facts_from  # imported here: cli.py imports this module to register it

    facts_from(ctx)  # a clean, complete list of bad keys before MkDocs starts
    path = ctx.find_root().obj["facts_path"]
    same = Path(path).resolve() == Path(config_file).resolve()
    return None if same else path


@click.command()
@click.option("--config-file", "-f", default="mkdocs.yml", show_default=True, help="The MkDocs configuration.")
@click.option("--site-dir", "-d", default=None, help="Where to write the site (default: mkdocs.yml's site_dir).")
@click.option("--production", is_flag=True, help="Refuse draft facts (same as GREENLIGHT_PRODUCTION=1).")
@click.option("--strict/--no-strict", default=True, show_default=True, help="Fail on any MkDocs warning.")
@click.pass_context
def build(ctx: click.Context, config_file: str, site_dir: str | None, production: bool, strict: bool) -> None:
    """Build the public site from the facts into site/."""
    facts = _facts_override(ctx, config_file)
    try:
        done = build_site(config_file, facts=facts, site_dir=site_dir, production=production or None, strict=strict)
    except SiteError as exc:
        raise click.ClickException(f"the site was not built:\n{exc}") from None
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Built {done.site_dir} in {done.seconds:.2f} s")


@click.command()
@click.option("--config-file", "-f", default="mkdocs.yml", show_default=True, help="The MkDocs configuration.")
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.pass_context
def serve(ctx: click.Context, config_file: str, port: int) -> None:
    """Preview the site on http://127.0.0.1:8000, rebuilding on every change."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    facts = _facts_override(ctx, config_file)
    if facts:
        os.environ["GREENLIGHT_FACTS"] = str(Path(facts).resolve())  # each rebuild reloads the plugin
    mkdocs_serve(config_file=config_file, dev_addr=f"127.0.0.1:{port}", livereload=True)


@click.command()
@click.option("--config-file", "-f", default="mkdocs.yml", show_default=True, help="The MkDocs configuration.")
@click.pass_context
def archive(ctx: click.Context, config_file: str) -> None:
    """Freeze the privacy policy and terms now in effect into docs/history/ (run before changing the facts)."""
    from callback.cli import facts_from

    try:
        written = archive_site(facts_from(ctx), config_file)
    except (SiteError, FactsError) as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"Archived {path}")
    if not written:
        click.echo("Nothing to do: this version is already archived.")
    click.echo("Next: commit the files, then set a new effective_date and add a history entry saying what changed.")
