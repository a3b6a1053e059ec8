"""Build the public site with MkDocs (in this process) or Zensical, and archive the policies now in effect."""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from callback.facts import read_config
from callback.site import zensical
from callback.site.history import snapshots
from callback.site.prerender import SiteError
from callback.site.render import TemplateError, render_pages

__all__ = ["Built", "SiteError", "archive_site", "build_site", "choose_generator", "docs_dir"]
GENERATORS = ("mkdocs", "zensical")
INSTALL = {
    "mkdocs": "pip install mkdocs mkdocs-material (both come with greenlight-publish)",
    "zensical": "pip install 'greenlight-publish[zensical]' (Zensical needs Python 3.11 or newer)",
}


@dataclass
class Built:
    """Where a build went, how long it took, which generator made it, and what that generator warned about."""

    site_dir: Path
    seconds: float
    warnings: list[str] = field(default_factory=list)
    generator: str = "mkdocs"


def installed(generator: str) -> bool:
    """Tell whether a site generator (mkdocs with Material, or zensical) can run here."""
    if generator == "zensical":
        return zensical.available()
    return all(importlib.util.find_spec(m) is not None for m in ("mkdocs", "material"))


def choose_generator(requested: str | None = None) -> str:
    """Return the generator to build with: the one asked for, else MkDocs while it is installed, else Zensical."""
    if requested:
        if requested not in GENERATORS:
            raise SiteError(f"unknown site generator {requested!r}: choose {' or '.join(GENERATORS)}")
        if not installed(requested):
            raise SiteError(f"{requested} is not installed: {INSTALL[requested]}")
        return requested
    for name in GENERATORS:
        if installed(name):
            return name
    raise SiteError("no site generator is installed: " + ", or ".join(INSTALL.values()))


class _Collect(logging.Handler):
    """Keep MkDocs' warnings and errors so a failed build can say what went wrong."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(
    config_file: str | Path = "mkdocs.yml",
    *,
    facts: str | Path | None = None,
    site_dir: str | Path | None = None,
    production: bool | None = None,
    strict: bool | None = None,
    generator: str | None = None,
) -> Built:
    """Build the site with MkDocs or Zensical; raise SiteError with the generator's own messages on failure."""
    generator = choose_generator(generator)
    if generator == "zensical":
        start = time.monotonic()
        out, warnings = zensical.build(
            config_file, facts=facts, site_dir=site_dir, production=production, strict=strict
        )
        return Built(out, time.monotonic() - start, warnings, "zensical")
    return _mkdocs(config_file, facts=facts, site_dir=site_dir, production=production, strict=strict)


def _mkdocs(
    config_file: str | Path,
    *,
    facts: str | Path | None,
    site_dir: str | Path | None,
    production: bool | None,
    strict: bool | None,
) -> Built:
    """Build the site with MkDocs in this process (the greenlight plugin renders the pages)."""
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
    sources = {
        p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(docs.rglob("*.md"))
        if "overrides" not in p.relative_to(docs).parts
    }
    try:
        rendered = render_pages(facts, sources)
    except TemplateError as exc:
        raise SiteError(f"page template {docs.name}/{exc}") from None
    written = []
    for path, text in snapshots(facts, rendered).items():
        target = docs / path
        if target.exists():
            if target.read_text(encoding="utf-8") != text:
                raise SiteError(
                    f"{target} already exists and differs from the pages now rendered: the facts "
                    "changed without a new effective_date. Restore the old facts, or keep the archive."
                )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
