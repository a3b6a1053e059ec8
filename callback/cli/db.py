"""`greenlight db`: the PostgreSQL backend's schema upgrades, and moving a data directory into it."""

from __future__ import annotations

from pathlib import Path

import click

from callback.cli.common import cli_settings
from callback.facts.settings import ConfigError


def _database(ctx: click.Context):
    """The database GREENLIGHT_DATABASE_URL names, or a clean exit saying to set it."""
    settings = cli_settings(ctx)
    if not settings.get("DATABASE_URL"):
        raise click.ClickException(
            "GREENLIGHT_DATABASE_URL is not set: the file backend needs no database "
            "(set it, in the environment or .env, to use PostgreSQL)"
        )
    from callback.data.pg_db import database

    return settings, database(settings["DATABASE_URL"])


@click.group("db")
def db_group() -> None:
    """The PostgreSQL backend (GREENLIGHT_DATABASE_URL): schema upgrades and moving a data directory in."""


@db_group.command("upgrade")
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Create or upgrade the database schema to this release's version (safe to run again)."""
    from callback.data.pg_schema import LATEST, upgrade

    _, db = _database(ctx)
    try:
        applied = upgrade(db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if applied:
        click.echo(f"applied migration(s) {', '.join(map(str, applied))}; the schema is at version {LATEST}")
    else:
        click.echo(f"the schema is already at version {LATEST}; nothing to do")


@db_group.command("migrate-from-files")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_context
def migrate_command(ctx: click.Context, data_dir: Path) -> None:
    """Copy a data directory's tokens, receipts, deletion requests and salt into the database.

    Run it with the service stopped. Nothing the database already holds is overwritten, so it can be
    run again; the files are left as they are: remove them once the counts below check out.
    """
    from callback.data.pg_migrate import MigrationError, describe, migrate_from_files
    from callback.data.pg_schema import require_current
    from callback.data.store import StoreError

    settings, db = _database(ctx)
    try:
        require_current(db)
        moved = migrate_from_files(data_dir, db, settings.get("ENCRYPTION_KEY") or None)
    except (ConfigError, MigrationError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in describe(moved):
        click.echo(line)
    if not all(m.ok for m in moved):
        raise click.ClickException(
            "some records were not found in the database after copying; the files are "
            "untouched: run the command again, or keep using the file backend"
        )
    click.echo(
        f"done: {data_dir} is in the database. Its files were not changed; remove them once you have "
        "started the service on GREENLIGHT_DATABASE_URL and checked it."
    )
