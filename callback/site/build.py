"""Build the public site with MkDocs in this process, and archive the policies now in effect."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from callback.facts import read_config
from callback.site.history import snapshots
from callback.site.render import TemplateError, render_pages


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
