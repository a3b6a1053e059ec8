"""`greenlight serve`'s two ways to preview: MkDocs' live-reloading server, or rebuilds with Zensical."""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import click

from callback.facts import read_config
from callback.site.build import SiteError, build_site
from callback.site.prerender import discard
from callback.site.static import StaticServer

POLL_SECONDS = 0.5
_CANNOT_LISTEN = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)


class _Echo(logging.Handler):
    """Print MkDocs' log on stderr: its address, its rebuilds, and every error with its cause."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            message = "error: " + message
        elif record.levelno >= logging.WARNING:
            message = "warning: " + message
        click.echo(message, err=True)


@contextlib.contextmanager
def mkdocs_log() -> Iterator[None]:
    """Show MkDocs' INFO and above for as long as the block runs (greenlight installs no logging of its own)."""
    logger, handler = logging.getLogger("mkdocs"), _Echo(logging.INFO)
    level, logger.level = logger.level, logging.INFO
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def serve_mkdocs(config_file: str, port: int, facts: str | None) -> None:
    """Serve with MkDocs' live-reloading server, watching the facts file too when it is not mkdocs.yml."""
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import Abort

    with mkdocs_log():
        try:
            serve(
                config_file=config_file, dev_addr=f"127.0.0.1:{port}", livereload=True, watch=[facts] if facts else []
            )
        except Abort:  # MkDocs has logged the cause above; its own message would only say "Aborted"
            raise click.ClickException(
                "the site was not built (the cause is above); fix it, then run greenlight serve again"
            ) from None
        except OSError as exc:
            if exc.errno not in _CANNOT_LISTEN:
                raise
            raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None


def _watched(config_file: Path, facts: str | None) -> list[Path]:
    """The files whose change calls for a rebuild: mkdocs.yml, the facts, the docs and the theme overrides."""
    raw = read_config(config_file)
    theme = raw.get("theme")
    theme = theme if isinstance(theme, dict) else {}
    paths = [config_file, config_file.parent / str(raw.get("docs_dir") or "docs")]
    if theme.get("custom_dir"):
        paths.append(config_file.parent / str(theme["custom_dir"]))
    return paths + ([Path(facts)] if facts else [])


def _stamp(paths: list[Path]) -> tuple:
    found = []
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found += [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists()]
    return tuple(found)


def _rebuild(config_file: str, facts: str | None, site: Path) -> bool:
    """Build beside the served directory and swap it in; print how it went, every error with its cause."""
    staging = site.with_name("next")
    try:
        done = build_site(config_file, facts=facts, site_dir=staging, strict=False, generator="zensical")
    except SiteError as exc:  # a failed build leaves nothing in staging, and the served site as it was
        click.echo(f"error: the site was not rebuilt; the last good build is still served:\n{exc}", err=True)
        return False
    discard(site)
    shutil.copytree(staging, site, dirs_exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Built in {done.seconds:.2f} s with zensical", err=True)
    return True


def serve_zensical(config_file: str, port: int, facts: str | None) -> None:
    """Build with Zensical, serve the result, and rebuild whenever a watched file changes (no live reload)."""
    site = Path(tempfile.mkdtemp(prefix="greenlight-serve-")) / "site"
    if not _rebuild(config_file, facts, site):
        raise click.ClickException(
            "the site was not built (the cause is above); fix it, then run greenlight serve again"
        )
    watched = _watched(Path(config_file), facts)
    seen = _stamp(watched)
    try:
        server = StaticServer(site, port).start()
    except OSError as exc:
        raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    click.echo(f"Serving on {server.url}/ (rebuilt when a file changes; Ctrl-C stops)", err=True)
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = _stamp(watched)
            if now != seen:
                seen = now
                click.echo("Detected file changes", err=True)
                _rebuild(config_file, facts, site)
    except KeyboardInterrupt:
        click.echo("Shutting down...", err=True)
    finally:
        server.stop()
        shutil.rmtree(site.parent, ignore_errors=True)
