"""The site keeps its own privacy promises: nothing from other hosts, no cookies, no secrets shipped."""

from __future__ import annotations

import re

import pytest

from callback.site.audit import external, find_external, find_secrets, page_resources, secret_values
from callback.site.build import SiteError, build_site
from site_support import ROOT, build, built, project, read

SITES = ["repo", "creator", "studio"]
FAKE_TOKEN = "act.1a2B3c4D5e6F7g8H9i0JkLmNoPqRsT!*"


@pytest.mark.parametrize("name", SITES)
def test_built_site_loads_nothing_from_other_hosts(name):
    site = built(name)
    assert find_external(site) == []
    for page in site.rglob("*.html"):
        loaded = page_resources(page.read_text())
        assert loaded and not [u for u in loaded if external(u)], page
        assert "fonts.googleapis" not in page.read_text() and "gstatic" not in page.read_text()


@pytest.mark.parametrize("name", SITES)
def test_no_cookies_no_analytics(name):
    site = built(name)
    for path in list(site.rglob("*.html")) + list(site.rglob("*.js")):
        body = path.read_text(errors="replace")
        assert "document.cookie" not in body, path
        assert not re.search(r"gtag\(|google-analytics|googletagmanager|plausible|matomo", body), path
    assert "Content-Security-Policy" in read(site) and "default-src 'self'" in read(site)


def test_the_scanner_finds_every_kind_of_external_load(tmp_path):
    (tmp_path / "a.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
        '<img srcset="local.png 1x, https://img.example/y.png 2x"><div style="background:url(https://i.example/z)">'
        '<style>@import "https://fonts.example/f.css";</style><link rel="preconnect" href="https://fonts.gstatic.com">'
        '<iframe src="https://video.example/embed"></iframe><a href="https://fine.example/">a plain link</a>'
        '<img src="data:image/png;base64,AAAA"><link rel="canonical" href="https://clipwise.example/">'
    )
    (tmp_path / "b.css").write_text("a{background:url('https://i.example/bg.png')} b{background:url(local.png)}")
    found = sorted(u for _, u in find_external(tmp_path))
    assert found == sorted(
        [
            "https://cdn.example/x.css",
            "//cdn.example/x.js",
            "https://img.example/y.png",
            "https://i.example/z",
            "https://fonts.example/f.css",
            "https://fonts.gstatic.com",
            "https://video.example/embed",
            "https://i.example/bg.png",
        ]
    )


def test_build_fails_when_a_theme_resource_comes_from_another_host(tmp_path, facts_file):
    config = project(tmp_path, facts_file)
    config.write_text(config.read_text() + "extra_javascript:\n  - https://cdn.example/tracker.js\n")
    with pytest.raises(SiteError, match=r"loads none:\n.*https://cdn.example/tracker.js"):
        build(config=config)


def test_secret_guard_trips_on_an_environment_secret(facts_file, monkeypatch):
    secret = "s3cr3t-Value-0f-the-client"
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", secret)
    facts = facts_file(summary=f"Clipwise posts videos (debug {secret}).")
    with pytest.raises(SiteError) as err:
        build(facts)
    message = str(err.value)
    assert "secret guard" in message and "index.html: value of environment variable TIKTOK_CLIENT_SECRET" in message
    assert secret not in message


def test_secret_guard_removes_the_leaking_site(facts_file, monkeypatch, tmp_path):
    secret = "another-s3cret-value-42"
    monkeypatch.setenv("GREENLIGHT_SECRET_KEY", secret)
    out = tmp_path / "site"
    with pytest.raises(SiteError):
        build_site(ROOT / "mkdocs.yml", facts=facts_file(summary=f"Clipwise {secret}."), site_dir=out)
    assert not out.exists()  # nothing left that could be published by mistake


def test_secret_guard_trips_on_a_dotenv_value(tmp_path, facts_file):
    secret = "dotenv-0nly-s3cret-xyz"
    config = project(tmp_path, facts_file)
    (tmp_path / ".env").write_text(f"# service secrets\nMETA_APP_SECRET='{secret}'\nDATA_DIR=instance\n")
    (tmp_path / "docs" / "terms.md").write_text((tmp_path / "docs" / "terms.md").read_text() + f"\n{secret}\n")
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "terms/index.html: value of META_APP_SECRET from .env" in str(err.value)
    assert secret not in str(err.value)


@pytest.mark.parametrize(
    "leak, kind",
    [
        (FAKE_TOKEN, "TikTok access token"),
        ("rft.AbCdEfGhIjKlMnOpQrStUvWx.yz", "TikTok refresh token"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "private key (PEM)"),
    ],
)
def test_secret_guard_trips_on_token_shaped_text_in_docs(tmp_path, facts_file, leak, kind):
    config = project(tmp_path, facts_file)
    page = tmp_path / "docs" / "data-deletion.md"
    page.write_text(page.read_text() + f"\n```\n{leak}\n```\n")
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert f"data-deletion/index.html: {kind}" in str(err.value)
    assert leak.splitlines()[0][8:] not in str(err.value)


def test_find_secrets_reports_file_and_kind_only(tmp_path):
    (tmp_path / "a.html").write_text("<p>key=abc&lt;def&gt;123</p>")
    (tmp_path / "b.json").write_text('{"t": "' + FAKE_TOKEN + '"}')
    (tmp_path / "c.txt").write_text("contact.example/path and react.createElement are not tokens")
    found = find_secrets(tmp_path, {"value of X": "abc<def>123"})
    assert found == [(tmp_path / "a.html", "value of X"), (tmp_path / "b.json", "TikTok access token (act.…)")]
    assert find_secrets(tmp_path, ["abc<def>123"])[0][1] == "a secret value"


def test_secret_values_pick_secret_names_from_env_and_dotenv(tmp_path):
    (tmp_path / ".env").write_text("STRIPE_API_KEY=sk_live_abcdefgh\nSITE_TITLE=Clipwise Studio\nDB_PASSWORD=short\n")
    env = {
        "TIKTOK_CLIENT_SECRET": "0123456789abcdef",
        "HOME": "/root/secret-home",
        "SSL_KEY_FILE": "/etc/key.pem",
        "GITHUB_TOKEN": "ghp_abcdefghijklmnop",
        "KEY": "tiny",
    }
    got = secret_values(env, tmp_path / ".env")
    assert got == {
        "value of environment variable GITHUB_TOKEN": "ghp_abcdefghijklmnop",
        "value of environment variable TIKTOK_CLIENT_SECRET": "0123456789abcdef",
        "value of STRIPE_API_KEY from .env": "sk_live_abcdefgh",
    }


def test_theme_overrides_are_not_published():
    site = built("repo")
    assert not (site / "overrides").exists()
    assert not list(site.rglob("main.html"))
