"""`greenlight init`, `build`, `serve` and `archive`: start, build, preview and archive the public site."""
from __future__ import annotations

import os
from pathlib import Path

import click

from callback.cli.common import facts_from
from callback.facts import FactsError
from callback.site.build import SiteError, archive_site, build_site
from callback.site.starter import StarterError, write_starter


def _facts_override(ctx: click.Context, config_file: str) -> str | None:
    """Return the facts file to use when it is not the config file's own extra.app."""
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
    try:
        written = archive_site(facts_from(ctx), config_file)
    except (SiteError, FactsError) as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"Archived {path}")
    if not written:
        click.echo("Nothing to do: this version is already archived.")
    click.echo("Next: commit the files, then set a new effective_date and add a history entry saying what changed.")


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", default="Example App", show_default=True, help="The app's name, as users will see it.")
def init(directory: str, name: str) -> None:
    """Start a new site in DIRECTORY: a mkdocs.yml with commented facts, and the page templates."""
    try:
        written = write_starter(directory, name)
    except StarterError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"Wrote {path}")
    click.echo("Next: edit extra.app in mkdocs.yml until every fact is true, then run `greenlight build`.")
