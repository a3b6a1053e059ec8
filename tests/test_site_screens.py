"""Screenshots at 1280 and 390 px of the home page, each legal page and each service page, with layout checks.

The pictures are kept as test artifacts in $GREENLIGHT_SCREENSHOTS (or a temporary directory): what a
reviewer would see, page by page. Each page must not scroll sideways, must show the app's logo and must
show the Privacy and Terms links without opening a menu.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from callback.facts import load_facts
from callback.site.static import serve_directory
from conftest import ROOT, write_facts
from site_support import EXAMPLES, built

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SITE_PAGES = {
    "home": "",
    "privacy": "privacy/",
    "terms": "terms/",
    "data-deletion": "data-deletion/",
    "history": "history/",
}

# Layout facts about the page as loaded: sideways scrolling, the logo, the legal links as drawn on screen.
LAYOUT_JS = """
() => {
  const onScreen = (a) => {
    const r = a.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth
          && r.bottom <= innerHeight)) return false;
    for (let e = a; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || parseFloat(s.opacity) === 0) return false;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === a || a.contains(hit));
  };
  const shown = (path) => [...document.querySelectorAll("a[href]")]
    .some(a => new URL(a.href).pathname.endsWith(path) && onScreen(a));
  const logo = document.querySelector(".gl-brand__mark");
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
    wideTables: [...document.querySelectorAll("table")].filter(t => t.scrollWidth > t.clientWidth + 1).length,
    logo: !!logo && logo.complete && logo.naturalWidth > 0 && onScreen(logo.closest("a")),
    privacy: shown("/privacy/"), terms: shown("/terms/"),
    header: getComputedStyle(document.querySelector(".gl-header")).backgroundColor,
    headerText: [...document.querySelectorAll(".gl-header a")].map(a => getComputedStyle(a).color),
  };
}
"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: $GREENLIGHT_SCREENSHOTS, else a temporary directory."""
    where = os.environ.get("GREENLIGHT_SCREENSHOTS")
    folder = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module", params=["repo", "studio"])
def site(request):
    """Serve a built site from 127.0.0.1: the repository's, and the studio example (long name, wide tables)."""
    with serve_directory(built(request.param)) as base:
        facts = load_facts(EXAMPLES[request.param] or ROOT / "mkdocs.yml")
        yield request.param, base.rstrip("/"), facts.product.color


def visit(browser, url: str, width: str, shots: Path, name: str, setup=None) -> dict:
    """Load a page at a width, save its screenshot, and return its layout facts and what it asked for."""
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    hosts, problems = set(), []
    page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        if setup:
            setup(page)  # the platform's consent page may complain of its own favicon: not ours to judge
            problems.clear()
        page.goto(url, wait_until="networkidle")
        layout = page.evaluate(LAYOUT_JS)
        page.screenshot(path=str(shots / f"{name}-{w}.png"))
        page.screenshot(path=str(shots / f"{name}-{w}-full.png"), full_page=True)
        layout.update(hosts=hosts, problems=problems, html=page.content())
    finally:
        context.close()
    return layout


def rgb(color: str) -> str:
    """Write #rrggbb as the browser's computed style does."""
    return "rgb({}, {}, {})".format(*(int(color[i : i + 2], 16) for i in (1, 3, 5)))


def assert_layout(layout: dict, where: str, color: str = "#00695c") -> None:
    assert layout["scrollWidth"] <= layout["innerWidth"], f"{where} scrolls sideways"
    assert layout["wideTables"] == 0, f"{where} has a table wider than the page"
    assert layout["logo"], f"{where} shows no logo in its header"
    assert layout["privacy"] and layout["terms"], f"{where}: Privacy and Terms links not visible without a menu"
    assert layout["header"] == rgb(color), f"{where} is not in the brand colour"
    assert set(layout["headerText"]) == {"rgb(255, 255, 255)"}, f"{where}: header links not white on the brand colour"
    assert layout["hosts"] == {"127.0.0.1"}, layout["hosts"]
    assert not layout["problems"], (where, layout["problems"])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", SITE_PAGES)
def test_site_page_at_width(browser, site, shots, name, width):
    which, url, color = site
    layout = visit(browser, f"{url}/{SITE_PAGES[name]}", width, shots, f"site-{which}-{name}")
    assert_layout(layout, f"{which} {name} at {WIDTHS[width][0]} px", color)
    if name == "home":
        assert 'data-md-type="navigation" hidden' in layout["html"] and 'data-md-type="toc" hidden' in layout["html"]


@pytest.mark.parametrize("width", WIDTHS)
def test_home_hero_puts_the_app_and_its_legal_links_above_the_fold(browser, site, width):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    page.goto(site[1] + "/", wait_until="networkidle")
    for selector in (".gl-hero__mark", ".gl-hero__title", ".gl-cta", ".gl-links a >> nth=0", ".gl-links a >> nth=1"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= h, f"{selector} below the fold at {w} px"
    assert page.locator(".gl-hero__title").evaluate("e => getComputedStyle(e).fontWeight") == "800"
    context.close()


# -- the service's own pages, served by the real service on 127.0.0.1 with the sandbox platform --


@pytest.fixture
def styled_service(sandbox_config, sandbox, tmp_path):
    """The service with the repository's facts and docs (so it has the logo), on a loopback port."""
    from callback import create_app
    from callback.sandbox.server import BackgroundServer

    server = BackgroundServer()
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    facts = write_facts(tmp_path / "mkdocs.yml", urls__service=server.url, platforms__tiktok__app_type="desktop")
    server.app = create_app({**sandbox_config, "FACTS_FILE": str(facts)})
    sandbox.client.webhook_url = server.url + "/webhooks/tiktok"
    with server:
        yield server


def _deletion_request(url: str) -> str:
    import requests

    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url + "/deletion", timeout=10).text).group(1)
    r = s.post(
        url + "/deletion", data={"account": "anna.example", "csrf_token": token}, timeout=10, allow_redirects=False
    )
    return r.headers["Location"].split("?")[0]


def _connect(service_url: str, sandbox):
    def setup(page):
        page.goto(service_url + "/connect/tiktok")
        page.get_by_label(re.compile(sandbox.users()[0].display_name)).check()
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url("**/connect/tiktok/connected")

    return setup


@pytest.mark.parametrize("width", WIDTHS)
def test_service_pages_share_the_site_look(browser, styled_service, sandbox, shots, width):
    url = styled_service.url
    pages = {
        "deletion-form": (url + "/deletion", None),
        "deletion-status": (url + _deletion_request(url), None),
        "connected": (url + "/connect/tiktok/connected", _connect(url, sandbox)),
        "cancelled": (url + "/callback/tiktok?error=access_denied", None),
        "error": (url + "/no-such-page", None),
    }
    for name, (address, setup) in pages.items():
        layout = visit(browser, address, width, shots, f"service-{name}", setup)
        if name == "error":  # the browser reports the page's own 404 status, which is the point of it
            layout["problems"] = [p for p in layout["problems"] if "status of 404" not in p]
        assert_layout(layout, f"service {name} at {WIDTHS[width][0]} px")
        if name == "connected":
            assert "Connected as" in layout["html"]
            home = r'<a class="button" href="https://clipwise\.example/">Back to Clipwise</a>'
            assert re.search(home, layout["html"]) or ">Post your first video</a>" in layout["html"]
