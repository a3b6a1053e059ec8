"""Helpers for the site tests: real MkDocs builds, each shared site built once per test run."""

from __future__ import annotations

import atexit
import functools
import html
import os
import re
import shutil
import tempfile
from pathlib import Path

from callback.site.build import build_site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "repo": None,
    "creator": ROOT / "examples" / "creator-tiktok-only.yml",
    "studio": ROOT / "examples" / "studio-all-platforms.yml",
}
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's end-of-life notice, printed once per run
_TMP = Path(tempfile.mkdtemp(prefix="greenlight-sites-"))
atexit.register(shutil.rmtree, _TMP, True)


@functools.cache
def built(name: str) -> Path:
    """Build the repo's site ("repo") or an example's ("creator", "studio") once; return its site dir."""
    return build_site(ROOT / "mkdocs.yml", facts=EXAMPLES[name], site_dir=_TMP / name, production=False).site_dir


def build(facts: Path | None = None, config: Path = ROOT / "mkdocs.yml", **kwargs) -> Path:
    """Build a one-off site (into a fresh directory) from a facts file; return the site dir."""
    out = Path(tempfile.mkdtemp(dir=_TMP)) / "site"
    kwargs.setdefault("production", False)
    return build_site(config, facts=facts, site_dir=out, **kwargs).site_dir


def project(tmp_path: Path, facts_file) -> Path:
    """Make a full site project in tmp_path (mkdocs.yml with the example facts, a copy of docs/)."""
    config = facts_file()
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*-????-??-??.md"))
    return config


def read(site: Path, page: str = "") -> str:
    """Return the HTML of a built page ("" is the landing page, "privacy/" the privacy policy...)."""
    return (site / page / "index.html").read_text(encoding="utf-8")


def article(page_html: str) -> str:
    """Return the page body (Material's <article>), without header, navigation or footer."""
    return re.search(r"<article.*?</article>", page_html, re.S).group(0)


def footer(page_html: str) -> str:
    """Return the page's <footer> element."""
    return re.search(r"<footer.*?</footer>", page_html, re.S).group(0)


def text(fragment: str) -> str:
    """Return the visible text of an HTML fragment, whitespace collapsed."""
    plain = re.sub(r"<[^>]+>", " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(plain)).replace(" .", ".").replace(" ,", ",").strip()


def hrefs(fragment: str) -> list[str]:
    """Return every link target in an HTML fragment."""
    return [html.unescape(h) for h in re.findall(r'<a\s[^>]*href="([^"]*)"', fragment)]
