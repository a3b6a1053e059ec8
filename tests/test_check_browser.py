"""The Chromium visibility check: legal links hidden in a menu fail; the real landing page passes."""

from __future__ import annotations

import pytest

from callback.checks.browser import link_visibility
from callback.site.static import serve_directory
from conftest import ROOT
from fixtures.check.sites import HERE, build_site, messages, run, target

FACTS = ROOT / "mkdocs.yml"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The real site, built from the repository's mkdocs.yml."""
    return build_site(tmp_path_factory.mktemp("built") / "site")


def test_real_built_landing_page_passes_at_both_widths(built, browser):
    result = run(target(FACTS, built, browser=browser), "browser.links")
    assert result.status == "pass", messages(result)


def test_links_only_in_a_collapsed_menu_fail_at_both_widths(browser):
    result = run(target(FACTS, HERE / "collapsed-menu", browser=browser), "browser.links")
    assert result.status == "fail"
    text = messages(result, "fail")
    for width in ("1280 px (desktop)", "390 px (phone)"):
        assert f"at {width} no visible Privacy link" in text and f"at {width} no visible Terms link" in text


def test_links_in_an_off_canvas_drawer_fail(browser):
    result = run(target(FACTS, HERE / "drawer", browser=browser), "browser.links")
    assert result.status == "fail" and "390 px" in messages(result) and "1280 px" in messages(result)


def test_links_hidden_only_on_phones_fail_only_at_phone_width(browser):
    with serve_directory(HERE / "desktop-only") as base:
        seen = link_visibility(base, {"Privacy": base + "privacy/", "Terms": base + "terms/"}, browser=browser)
    assert seen == {"desktop": {"Privacy": True, "Terms": True}, "phone": {"Privacy": False, "Terms": False}}


def test_check_can_be_turned_off(built):
    t = target(FACTS, built)
    t.browser = False
    assert run(t, "browser.links").status == "skip"
