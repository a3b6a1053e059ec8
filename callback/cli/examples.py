"""`greenlight examples`: the systemd units, cron lines, nginx example and facts files, for an installed Greenlight."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

SHARE = Path(__file__).resolve().parent.parent / "share"  # shipped in the wheel; deploy/ and examples/ in a checkout


@click.command("examples")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def examples(directory: str) -> None:
    """Write deploy/ (systemd units, cron lines, nginx) and examples/ (facts files) into DIRECTORY."""
    root = Path(directory)
    taken = [str(root / part) for part in ("deploy", "examples") if (root / part).exists()]
    if taken:
        raise click.ClickException("refusing to overwrite existing directories: " + ", ".join(taken))
    for part in ("deploy", "examples"):
        shutil.copytree(SHARE / part, root / part)
        click.echo(f"Wrote {root / part}/")
    click.echo("Next: edit the paths and user in deploy/*.service to match your machine, then install them.")
