"""Build the public site with Zensical: render the pages from the facts first, then let Zensical lay them out.

Zensical reads mkdocs.yml but runs no MkDocs plugin, so nothing the greenlight plugin does would happen. Here the
same functions run around it instead (callback.site.prerender): the pages are rendered into a temporary docs
directory with a generated configuration, and the built site gets its verification files and guards afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from markupsafe import escape

from callback.facts import Facts
from callback.site import face, prerender, zensical_config
from callback.site.prerender import REQUIRED, STYLESHEET, THEME, SiteError

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WHERE = re.compile(r"\[\s*([^\]\s]+:\d+(?::\d+)?)\s*\]")
_FAILED = re.compile(r"^(?:[A-Za-z_.]*(?:Error|Exception)|Error): (.+)$")
TIMEOUT = 600


def available() -> bool:
    """Tell whether Zensical is installed."""
    return importlib.util.find_spec("zensical") is not None


class DocsFiles:
    """The docs directory as face.py reads MkDocs' files: get_file_from_path(path).content_bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def get_file_from_path(self, path: str) -> SimpleNamespace | None:
        found = (self.root / path).resolve()
        if not found.is_relative_to(self.root) or not found.is_file():
            return None
        return SimpleNamespace(content_bytes=found.read_bytes())


def page_url(src: str, directory_urls: bool = True) -> str:
    """Return a page's URL from the site root, as MkDocs' File.url gives it."""
    index = src == "index.md" or src.endswith("/index.md")
    dest = src[:-3] + (".html" if index or not directory_urls else "/index.html")
    folder, name = dest.rpartition("/")[0], dest.rpartition("/")[2]
    return (folder or ".") + "/" if directory_urls and name == "index.html" else dest


def _copy_docs(docs: Path, into: Path, custom: Path | None) -> dict[str, str]:
    """Copy the docs directory (not hidden files, not theme overrides kept in it); return its page templates."""

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n.startswith(".") or (custom is not None and Path(folder, n).resolve() == custom)]

    shutil.copytree(docs, into, ignore=skip)
    return {p.relative_to(into).as_posix(): p.read_text(encoding="utf-8") for p in sorted(into.rglob("*.md"))}


def _run(config: Path, strict: bool) -> list[str]:
    """Run Zensical on the generated configuration; return its warnings, or raise SiteError with its messages."""
    # A process of its own: the compiled core keeps state between builds and writes straight to the terminal.
    cmd = [sys.executable, "-m", "zensical", "build", "-f", str(config)] + (["--strict"] if strict else [])
    done = subprocess.run(
        cmd, cwd=config.parent, capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, "NO_COLOR": "1"}
    )
    lines = [_ANSI.sub("", line).rstrip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
    warnings = []
    for i, line in enumerate(lines):
        if line.startswith("Warning:"):
            where = next((m[1] for m in map(_WHERE.search, lines[i + 1 : i + 4]) if m), "")
            warnings.append(line.removeprefix("Warning:").strip() + (f" ({where})" if where else ""))
    if done.returncode != 0:
        failed = [m[1] for m in map(_FAILED.match, lines) if m]
        cause = failed[-1] if failed else next((x for x in reversed(lines) if x.strip()), "no message")
        raise SiteError("Zensical could not build the site: " + cause + "".join(f"\n  {w}" for w in warnings))
    return warnings


def _finish_pages(site: Path, name: str) -> None:
    """Do to each built page what the plugin's on_page_content does, and undo Zensical's double escaping."""
    # The theme's partials write `config.site_name | e` into a title attribute. MkDocs gets the name as escaped
    # Markup, which |e leaves alone; Zensical gets the same escaped text as a plain string and escapes it again.
    twice = f'title="{escape(name)}"'
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        done = face.label_cells(html).replace(twice, f'title="{name}"')  # tables read as cards on a phone
        if done != html:
            page.write_text(done, encoding="utf-8")


def _verify(site: Path, facts: Facts, directory_urls: bool) -> None:
    """Refuse a build in which Zensical left out Greenlight's theme overrides (a Zensical that reads them otherwise)."""
    for src in REQUIRED:
        url = page_url(src, directory_urls)
        page = site / (url + "index.html" if url.endswith("/") else url).removeprefix("./")
        html = page.read_text(encoding="utf-8") if page.is_file() else ""
        # The no-other-hosts policy (main.html's extrahead) and, for draft facts, the banner (its announce block).
        missing = [
            what
            for what, needed in (
                ("the page", bool(html)),
                ("the Content-Security-Policy", "Content-Security-Policy" in html),
                ("the draft banner", not facts.draft or 'class="md-banner' in html),
            )
            if not needed
        ]
        if missing:
            raise SiteError(
                f"Zensical built {src} without {' and '.join(missing)} that Greenlight's theme adds; "
                "nothing was published. Build with --generator mkdocs, or a Zensical this "
                "Greenlight was tested with (see pyproject.toml's zensical extra)."
            )


def build(
    config_file: str | Path,
    *,
    facts: str | Path | None = None,
    site_dir: str | Path | None = None,
    production: bool | None = None,
    strict: bool | None = None,
) -> tuple[Path, list[str]]:
    """Build the site with Zensical; return (site directory, Zensical's warnings), or raise SiteError."""
    config_file = Path(config_file)
    base = config_file.parent
    raw = zensical_config.read_config(config_file)
    # As MkDocs does: site_dir, even from the command line, is relative to mkdocs.yml.
    target = (base / str(site_dir or raw.get("site_dir") or "site")).resolve()
    try:
        return target, _build(config_file, raw, facts, target, production, strict)
    except SiteError:
        prerender.discard(target)  # as the plugin does: nothing of a refused build may be published by mistake
        raise


def _build(config_file: Path, raw: dict, facts_file, target: Path, production, strict) -> list[str]:
    base = config_file.parent
    option = zensical_config.plugins(raw)["greenlight"]
    facts = prerender.load(
        prerender.facts_path(base, str(facts_file) if facts_file else None, str(option.get("facts") or "")),
        raw.get("extra"),
    )
    prerender.refuse(
        facts,
        production if production is not None else bool(option.get("production")) or prerender.production_requested(),
    )
    strict = bool(raw.get("strict", False)) if strict is None else strict
    docs = base / str(raw.get("docs_dir") or "docs")
    theme = raw.get("theme")
    theme = theme if isinstance(theme, dict) else {}
    custom = (base / str(theme["custom_dir"])).resolve() if theme.get("custom_dir") else None
    with tempfile.TemporaryDirectory(prefix="greenlight-zensical-") as tmp:
        work = Path(tmp)
        sources = _copy_docs(docs, work / "docs", custom)
        if not (work / "docs" / STYLESHEET).exists():
            (work / "docs" / STYLESHEET).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(THEME / "greenlight.css", work / "docs" / STYLESHEET)
        files = DocsFiles(work / "docs")
        prerender.check_files(facts, files, docs.resolve(), sources)
        pages, static = prerender.render(facts, sources, docs.name)
        for path, text in pages.items():
            (work / "docs" / path).write_text(text, encoding="utf-8")
        directory_urls = raw.get("use_directory_urls", True) is not False
        links = prerender.legal_links(lambda p: page_url(p, directory_urls))
        data = prerender.template_data(facts, links, files)
        # One theme directory: ours, then the operator's overrides on top (MkDocs searches them the other way round).
        shutil.copytree(THEME, work / "theme")
        if custom is not None:
            shutil.copytree(custom, work / "theme", dirs_exist_ok=True)
        config = zensical_config.configure(raw, facts, data, strict)
        warnings = _run(zensical_config.write(config, work / "mkdocs.yml"), strict)
        site = work / "site"
        if "search" not in zensical_config.plugins(raw):
            (site / "search.json").unlink(missing_ok=True)
        _verify(site, facts, directory_urls)
        _finish_pages(site, str(escape(facts.name)))
        prerender.write_static(site, static)
        prerender.audit(site, base)
        prerender.discard(target)
        shutil.copytree(site, target, dirs_exist_ok=True)
    return warnings
