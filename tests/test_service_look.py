"""The service's pages wear the site's look: its stylesheet, logo and colour, served by the service itself."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, url_for

from conftest import ROOT, write_facts
from test_security import csp_of

SITE_CSS = ROOT / "callback" / "site" / "templates" / "theme" / "greenlight.css"


def test_the_sites_stylesheet_and_the_services_layout_are_served_here(client):
    site = client.get("/assets/greenlight.css")
    assert site.status_code == 200 and site.data == SITE_CSS.read_bytes()
    assert site.headers["Content-Type"].startswith("text/css") and "max-age=" in site.headers["Cache-Control"]
    assert client.get("/assets/service.css").status_code == 200
    assert client.get("/assets/other.css").status_code == 404


def test_the_logo_comes_from_the_operators_docs(client):
    r = client.get("/assets/logo")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
    assert r.data == (ROOT / "docs" / "assets" / "logo.svg").read_bytes()
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/deletion", "/no-such-page", "/callback/tiktok?error=access_denied"])
def test_every_page_links_the_look_and_keeps_a_strict_policy(client, path):
    r = client.get(path)
    page = r.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/assets/greenlight.css">' in page
    assert '<link rel="stylesheet" href="/assets/service.css">' in page
    assert '<link rel="icon" href="/assets/logo">' in page
    assert 'class="gl-brand__mark" src="/assets/logo" width="32" height="32"' in page
    nonce = re.search(r'<style nonce="([^"]+)">:root\{--gl-primary:#00695c\}</style>', page).group(1)
    csp = csp_of(r)
    assert f"'nonce-{nonce}'" in csp["style-src"] and "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    for title, url in [("Privacy", "https://clipwise.example/privacy/"), ("Terms", "https://clipwise.example/terms/")]:
        assert f'<a href="{url}">{title}</a>' in page
    assert "https://clipwise.example/history/" in page and 'href="https://clipwise.example/"' in page


def test_the_brand_colour_is_the_facts(app_config, tmp_path):
    from callback import create_app

    (tmp_path / "docs").symlink_to(ROOT / "docs")
    facts = write_facts(tmp_path / "mkdocs.yml", product__color="#4527a0")
    page = create_app({**app_config, "FACTS_FILE": str(facts)}).test_client().get("/deletion").get_data(as_text=True)
    assert ":root{--gl-primary:#4527a0}" in page


def test_without_a_logo_the_pages_show_none(app_config, tmp_path):
    from callback import create_app

    facts = write_facts(tmp_path / "mkdocs.yml", product=None)
    client = create_app({**app_config, "FACTS_FILE": str(facts)}).test_client()
    assert client.get("/assets/logo").status_code == 404
    page = client.get("/deletion").get_data(as_text=True)
    assert "/assets/logo" not in page and "gl-brand__name" in page


def _connected(app):
    """A browser session that has just connected an account (as the OAuth callback leaves it)."""
    from callback.service.oauth import CONNECTED

    app.extensions["greenlight"]["store"].put(
        {
            "open_id": "open-1",
            "display_name": "Mara",
            "scope": ["user.info.basic", "video.publish", "video.upload"],
            "access_token": "act.x",
            "refresh_token": "rft.x",
            "expires_at": 2e9,
            "refresh_expires_at": 2e9,
        }
    )
    client = app.test_client()
    with client.session_transaction() as s:
        s[CONNECTED] = "open-1"
    return client


def test_the_connected_page_leads_back_to_the_site_until_there_is_a_posting_page(app):
    page = _connected(app).get("/connect/tiktok/connected").get_data(as_text=True)
    assert "Connected as Mara" in page
    if "posting.page" in app.view_functions:
        assert ">Post your first video</a>" in page
    else:
        assert '<a class="button" href="https://clipwise.example/">Back to Clipwise</a>' in page


def test_the_connected_page_leads_to_the_posting_page_once_there_is_one(app_config):
    from callback import create_app

    app = create_app(app_config)
    if "posting.page" not in app.view_functions:  # the posting page as it will be: blueprint posting, view page
        posting = Blueprint("posting", __name__)
        posting.add_url_rule("/post", "page", lambda: "the posting page")
        app.register_blueprint(posting)
    with app.test_request_context():
        where = url_for("posting.page")
    page = _connected(app).get("/connect/tiktok/connected").get_data(as_text=True)
    assert f'<a class="button" href="{where}">Post your first video</a>' in page
