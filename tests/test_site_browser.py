"""In a real Chromium, the legal links are visible without opening a menu, at desktop and phone widths."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from callback.site.static import serve_directory
from site_support import built

WIDTHS = [(1280, 800), (390, 844)]


@pytest.fixture(scope="module")
def site_url():
    """Serve the repository's built site from 127.0.0.1."""
    with serve_directory(built("repo")) as base:
        yield base.rstrip("/")


def _shown_at_its_place(page, link) -> bool:
    """Tell whether the link is visible, inside the viewport, and the topmost element where it is drawn."""
    box = link.bounding_box()
    view = page.viewport_size
    if not link.is_visible() or box is None or box["width"] == 0:
        return False
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= view["width"]
        and box["y"] + box["height"] <= view["height"]
    )
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    on_top = link.evaluate("(el, [x, y]) => el.contains(document.elementFromPoint(x, y))", [x, y])
    return inside and on_top


@pytest.mark.browser
@pytest.mark.parametrize("width, height", WIDTHS, ids=["desktop-1280", "phone-390"])
def test_privacy_and_terms_links_visible_without_a_menu(browser, site_url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    page.goto(site_url + "/", wait_until="networkidle")
    page.screenshot(path=f"/tmp/greenlight-landing-{width}.png")

    # In the page body, above the fold: no scrolling, no menu.
    for title in ("Privacy Policy", "Terms of Service"):
        link = page.locator("article a", has_text=title).first
        assert _shown_at_its_place(page, link), f"{title} link in the body at {width}px"
        assert link.evaluate("el => !el.closest('.md-nav, .md-sidebar, [data-md-component=sidebar]')")

    # In the footer, once the reader scrolls down to it.
    for title in ("Privacy Policy", "Terms of Service"):
        link = page.locator("footer .gl-legal a", has_text=title)
        link.scroll_into_view_if_needed()
        assert _shown_at_its_place(page, link), f"{title} link in the footer at {width}px"
    page.screenshot(path=f"/tmp/greenlight-footer-{width}.png")

    # Following the link works.
    page.locator("article a", has_text="Privacy Policy").first.click()
    page.wait_for_url("**/privacy/")
    assert page.locator("h1").inner_text() == "Privacy Policy"

    assert hosts == {"127.0.0.1"}  # nothing from any other host
    assert context.cookies() == []
    context.close()
