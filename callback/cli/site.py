"""`greenlight init`, `build`, `serve` and `archive`: start, build, preview and archive the public site."""

from __future__ import annotations

import os
from pathlib import Path

import click

from callback.cli.common import facts_from
from callback.facts import FactsError
from callback.site.build import GENERATORS, SiteError, archive_site, build_site, choose_generator
from callback.site.starter import StarterError, write_starter

# Material prints its end-of-life notice only when run as `mkdocs`, so builds through greenlight would never show
# it. Relayed once per process, with the switch spelled out; Material's own NO_MKDOCS_2_WARNING hides it too.
NOTICE = (
    "note: Material for MkDocs reaches end of life on 5 May 2027 (critical fixes until then). Zensical, "
    "its successor, builds this same site: pip install 'greenlight-publish[zensical]', then "
    "greenlight build --generator zensical. Set NO_MKDOCS_2_WARNING=1 to hide this note."
)
_NOTICE_SHOWN = False

generator_option = click.option(
    "--generator",
    type=click.Choice(GENERATORS),
    default=None,
    envvar="GREENLIGHT_GENERATOR",
    help="The site generator [default: mkdocs while it is installed, else zensical; or GREENLIGHT_GENERATOR].",
)


def _generator(requested: str | None) -> str:
    """Pick the generator (a clean error when it is missing), relaying Material's end-of-life notice for MkDocs."""
    global _NOTICE_SHOWN
    try:
        chosen = choose_generator(requested)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    if chosen == "mkdocs" and not _NOTICE_SHOWN and not os.environ.get("NO_MKDOCS_2_WARNING"):
        _NOTICE_SHOWN = True
        click.echo(NOTICE, err=True)
    return chosen


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
@click.option("--strict/--no-strict", default=True, show_default=True, help="Fail on any generator warning.")
@generator_option
@click.pass_context
def build(
    ctx: click.Context, config_file: str, site_dir: str | None, production: bool, strict: bool, generator: str | None
) -> None:
    """Build the public site from the facts into site/."""
    facts = _facts_override(ctx, config_file)
    chosen = _generator(generator)
    try:
        done = build_site(
            config_file, facts=facts, site_dir=site_dir, production=production or None, strict=strict, generator=chosen
        )
    except SiteError as exc:
        raise click.ClickException(f"the site was not built:\n{exc}") from None
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Built {done.site_dir} in {done.seconds:.2f} s with {done.generator}")


@click.command()
@click.option("--config-file", "-f", default="mkdocs.yml", show_default=True, help="The MkDocs configuration.")
@click.option("--port", default=8000, show_default=True, help="The port on 127.0.0.1 to serve on.")
@generator_option
@click.pass_context
def serve(ctx: click.Context, config_file: str, port: int, generator: str | None) -> None:
    """Preview the site on 127.0.0.1, rebuilding it on every change; prints its address once it is up."""
    from callback.cli import preview

    facts = _facts_override(ctx, config_file)
    if facts:
        facts = str(Path(facts).resolve())
        os.environ["GREENLIGHT_FACTS"] = facts  # each MkDocs rebuild reloads the plugin, which reads it
    if _generator(generator) == "zensical":
        preview.serve_zensical(config_file, port, facts)
    else:
        preview.serve_mkdocs(config_file, port, facts)


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
