"""What the commands share: the facts and settings they run with, the data directory, table output."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from callback.data.backends import open_backend
from callback.data.records import Records
from callback.data.store import TokenBackend
from callback.facts.settings import ConfigError, load_settings

if TYPE_CHECKING:
    from callback.facts import Facts


def facts_from(ctx: click.Context) -> Facts:
    """Load the facts named on the command line, turning errors into a clean exit."""
    from callback.facts import FactsError, load_facts  # not at import: `greenlight token` needs no facts

    try:
        return load_facts(ctx.find_root().obj["facts_path"])
    except FactsError as exc:
        raise click.ClickException("the facts file is invalid:\n" + str(exc)) from None


def cli_settings(ctx: click.Context, data_dir: str | None = None) -> dict:
    """Service settings from the environment, with the facts file (and data directory) named on the command line."""
    overrides = {"FACTS_FILE": ctx.find_root().obj["facts_path"]}
    if data_dir:
        overrides["DATA_DIR"] = data_dir
    try:
        return load_settings(overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


data_dir_option = click.option(
    "--data-dir", default=None, help="The service's data directory [default: GREENLIGHT_DATA_DIR or ./instance]."
)


def open_stores(ctx: click.Context, data_dir: str | None) -> tuple[TokenBackend, Records]:
    """Open the token store and records the settings name: the data directory (or --data-dir), or the database."""
    settings = cli_settings(ctx, data_dir)
    try:
        backend = open_backend(settings)
        return backend.store, backend.records
    except ConfigError as exc:  # an unreachable or not yet upgraded database
        raise click.ClickException(str(exc)) from None


def echo_table(table: list[tuple]) -> None:
    """Print rows as aligned columns, the first row being the header."""
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
