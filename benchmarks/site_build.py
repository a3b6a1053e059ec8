"""Benchmark the public site: build time against plain Material, page weight, requests to other hosts.

Run: .venv/bin/python benchmarks/site_build.py   (exits 1 when a target is missed)

- build time: the facts site (mkdocs.yml + the greenlight plugin) against a plain Material site with the
  same pages (the same Markdown, already rendered), built alternately in this process; medians compared.
- first-load weight of each page: the HTML plus every stylesheet, script and icon it loads, gzipped; the
  product's screenshots, feature pictures and recording (extra.app.product) are counted apart: they load lazily.
- requests to other hosts: counted in a real Chromium when one is installed, else from the HTML and CSS.
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from callback.checks.browser import ARGS  # noqa: E402
from callback.facts import load_facts  # noqa: E402
from callback.site.audit import external, find_external, page_resources  # noqa: E402
from callback.site.build import build_site  # noqa: E402
from callback.site.plugin import THEME  # noqa: E402
from callback.site.render import render_pages  # noqa: E402
from callback.site.static import StaticServer  # noqa: E402

RUNS = 7
TARGET_RATIO = 1.5
TARGET_BYTES = 70 * 1024
PLAIN_CONFIG = """\
site_name: Plain
site_url: https://plain.example/
theme:
  name: material
  font: false
plugins: []
extra_css:
  - assets/greenlight.css
markdown_extensions: [admonition, attr_list, md_in_html, tables]
"""


def plain_project(work: Path) -> Path:
    """Write a plain Material project holding the same pages, already rendered, with no plugin."""
    docs = ROOT / "docs"
    sources = {p.relative_to(docs).as_posix(): p.read_text() for p in docs.rglob("*.md")}
    pages = render_pages(load_facts(ROOT / "mkdocs.yml"), sources)
    for path, text in pages.items():
        if path.endswith(".md"):
            (work / "docs" / path).parent.mkdir(parents=True, exist_ok=True)
            # Plain Material has no home.html: its baseline renders the home page with the default template.
            (work / "docs" / path).write_text(text.replace("template: home.html\n", ""))
    if (docs / "assets").is_dir():  # the operator's images (icon, screenshots) the pages show
        shutil.copytree(docs / "assets", work / "docs" / "assets", dirs_exist_ok=True)
    (work / "docs" / "assets").mkdir(exist_ok=True)
    shutil.copy(THEME / "greenlight.css", work / "docs" / "assets")
    (work / "mkdocs.yml").write_text(PLAIN_CONFIG)
    return work / "mkdocs.yml"


def plain_build(config: Path, out: Path) -> float:
    """Build the plain site; return seconds."""
    import time

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    start = time.monotonic()
    build(load_config(config_file=str(config), site_dir=str(out)))
    return time.monotonic() - start


def build_times(work: Path) -> tuple[float, float]:
    """Return the median build seconds of the facts site and of the plain one, built alternately."""
    plain = plain_project(work / "plain")
    ours, theirs = [], []
    for i in range(RUNS + 1):  # the first round warms caches and is dropped
        a = build_site(ROOT / "mkdocs.yml", site_dir=work / "ours-site", production=False).seconds
        b = plain_build(plain, work / "plain-site")
        if i:
            ours.append(a)
            theirs.append(b)
    return statistics.median(ours), statistics.median(theirs)


def page_weights(site: Path, pictures: set[str] = frozenset()) -> dict[str, int]:
    """Return each page's first-load weight: gzipped HTML plus the local files it loads, `pictures` left out."""
    out = {}
    for page in sorted(site.rglob("index.html")):
        html = page.read_text()
        total = len(gzip.compress(html.encode()))
        base = "/" + page.parent.relative_to(site).as_posix() + "/"
        for url in {u for u in page_resources(html) if not external(u) and not u.startswith("data:")}:
            path = urljoin(base, url.split("#")[0].split("?")[0]).lstrip("/")
            if path not in pictures:
                total += len(gzip.compress((site / path).read_bytes()))
        out[_url_path(site, page)] = total
    return out


def product_pictures() -> set[str]:
    """Return the screenshots, feature pictures and recording the facts name (not the logo or icon)."""
    images = load_facts(ROOT / "mkdocs.yml").product.images()
    return {path for key, path in images if key not in ("icon", "logo")}


def _url_path(site: Path, file: Path) -> str:
    """Return the URL path of the page a built file belongs to ("/", "/privacy/")."""
    rel = file.parent.relative_to(site).as_posix()
    return "/" if rel == "." else f"/{rel}/"


def other_host_requests(site: Path, pages: list[str]) -> dict[str, int] | None:
    """Load each page in Chromium and count requests to any host but 127.0.0.1 (None: no browser here)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium:
        return None
    server = StaticServer(site).start()
    counts = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            for path in pages:
                page = browser.new_page()
                requested: list = []
                page.on("request", requested.append)
                page.goto(f"{server.url}{path}", wait_until="networkidle")
                counts[path] = sum((urlsplit(r.url).hostname or "") != "127.0.0.1" for r in requested)
                page.close()
            browser.close()
    finally:
        server.stop()
    return counts


def main() -> int:
    """Print the numbers; return 1 if a target is missed."""
    missed = []
    with tempfile.TemporaryDirectory(prefix="greenlight-bench-") as tmp:
        work = Path(tmp)
        ours, plain = build_times(work)
        ratio = ours / plain
        print(
            f"build time (median of {RUNS}): facts site {ours * 1000:.0f} ms, plain Material "
            f"{plain * 1000:.0f} ms, ratio {ratio:.2f} (target <= {TARGET_RATIO})"
        )
        if ratio > TARGET_RATIO:
            missed.append("build time ratio")
        site = work / "ours-site"
        pictures = product_pictures()
        weights = page_weights(site, pictures)
        lazy = sum(len(gzip.compress((site / p).read_bytes())) for p in pictures)
        browser = other_host_requests(site, list(weights))
        static = dict.fromkeys(weights, 0)
        for file, _ in find_external(site):
            static[_url_path(site, file)] = static.get(_url_path(site, file), 0) + 1
        counts = browser if browser is not None else static
        how = "Chromium" if browser is not None else "HTML/CSS scan"
        print(f"{'page':<36} {'first load (gzip)':>18} {'other-host requests (' + how + ')':>38}")
        for path, size in weights.items():
            print(f"{path:<36} {size / 1024:>15.1f} KB {counts.get(path, 0):>38}")
            if size > TARGET_BYTES:
                missed.append(f"weight of {path}")
            if counts.get(path, 0) or static.get(path, 0):
                missed.append(f"other hosts on {path}")
        print(f"product pictures, loaded lazily and counted apart: {len(pictures)}, {lazy / 1024:.1f} KB gzipped")
        print(f"targets: first load <= {TARGET_BYTES // 1024} KB, 0 requests to other hosts")
    if missed:
        print("MISSED: " + ", ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
