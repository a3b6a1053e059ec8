"""`python -m callback`: the greenlight command, for when another tool already owns that name."""

from __future__ import annotations

from callback.cli import cli

cli(prog_name="greenlight")
