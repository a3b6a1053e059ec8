"""The visibility check: render the landing page in headless Chromium at desktop and phone widths."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil

from callback.checks.addresses import origin
from callback.checks.model import Finding, Skip, Target, fail, note, register

CHECKS: list = []
check = register(CHECKS, "browser")

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browser download is not needed
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
TIMEOUT_MS = 15000

# For each link to a target page: is it on screen, unhidden, and the topmost element at its centre
# once scrolled to? Scrolling is fine; opening a menu is not. An off-canvas drawer, a collapsed
# <details>, or a menu hidden behind a toggle all fail one of these.
VISIBLE_JS = """
(anchors) => anchors.map(a => {
  a.scrollIntoView({block: "center", inline: "center"});
  const r = a.getBoundingClientRect();
  let seen = r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
             && r.left < window.innerWidth && r.top < window.innerHeight;
  for (let e = a; e && seen; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || s.visibility === "collapse"
        || parseFloat(s.opacity) === 0) seen = false;
  }
  if (seen) {
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    seen = !!hit && (hit === a || a.contains(hit));
  }
  return {href: a.href, text: (a.innerText || a.textContent || "").trim(), visible: seen};
})
"""


def chromium_path() -> str | None:
    """Return Debian's Chromium, or another chromium on PATH, or None."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def link_visibility(
    url: str, targets: dict[str, str], widths: dict[str, tuple[int, int]] = WIDTHS, browser=None
) -> dict[str, dict[str, bool]]:
    """Load `url` at each width; return {width name: {target name: visible without a menu}}.

    `targets` maps a name (e.g. "Privacy") to the absolute URL its link must point to.
    Requests to other hosts are refused, so the page is judged as the reviewer's first paint
    of this site alone and nothing leaves the machine.
    """
    if browser is None:
        return _with_browser(lambda b: link_visibility(url, targets, widths, b))
    from callback.checks.addresses import same_page

    results, site = {}, origin(url)
    for label, (width, height) in widths.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            context.route(
                "**/*", lambda route: route.continue_() if origin(route.request.url) == site else route.abort()
            )
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            tab.goto(url, wait_until="load")
            anchors = tab.eval_on_selector_all("a[href]", VISIBLE_JS)
        finally:
            context.close()
        results[label] = {
            name: any(a["visible"] and same_page(a["href"], want) for a in anchors) for name, want in targets.items()
        }
    return results


def _with_browser(work):
    """Run `work(browser)` with a fresh headless Chromium, closed afterwards."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _launch(work)
    # Playwright's sync API refuses to start inside a running event loop (an async caller, or
    # another Playwright session in this thread): give it a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_launch, work).result()


def _launch(work):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # an optional extra: the other checks still run without it
        raise Skip(
            "Playwright is not installed: pip install 'greenlight-publish[browser]', with Debian's "
            "chromium (apt-get install chromium)"
        ) from None
    path = chromium_path()
    if path is None:
        raise Skip("Chromium is not installed (Debian: apt-get install chromium, or `make system-deps`)")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=ARGS, timeout=30000)
        try:
            return work(browser)
        finally:
            browser.close()


@check("browser.links", "Privacy and Terms links are visible without a menu at 1280 px and 390 px")
def links_visible(t: Target) -> list[Finding]:
    from callback.checks.site import PAGES, page, page_url

    if not t.browser:
        raise Skip("the browser check was turned off (--no-browser)")
    _, doc = page(t, "landing")
    if doc is None:
        raise Skip("the landing page could not be read (see the pages check)")
    with t.site.served() as base:
        targets = {"Privacy": page_url(base, t.config, "privacy"), "Terms": page_url(base, t.config, "terms")}
        seen = link_visibility(page_url(base, t.config, "landing"), targets, browser=t.cache.get("browser"))
    out = []
    for label, found in seen.items():
        width = WIDTHS[label][0]
        for name, visible in found.items():
            if not visible:
                out.append(
                    fail(
                        f"at {width} px ({label}) no visible {name} link on the landing page "
                        "(hidden, off-screen or only inside a menu)",
                        f"link the {PAGES[name.lower()][0].lower()} from the page footer or body "
                        "(the site's theme overrides), then rebuild",
                    )
                )
    return out or [note("Privacy and Terms links visible at " + " and ".join(f"{w} px" for w, _ in WIDTHS.values()))]
