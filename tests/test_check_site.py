"""Site checks: each fails on a copy of the real built site with exactly one defect, and passes on the real one."""

from __future__ import annotations

import pytest

from callback.sandbox.server import BackgroundServer
from conftest import ROOT
from fixtures.check.sites import build_site, copy_site, edit, messages, run, static_host, target

FACTS = ROOT / "mkdocs.yml"
TOKEN_FILE = "tiktokXk3mPq9LrT2vWz7aB4cD.txt"
SITE_CHECKS = [
    "site.pages",
    "site.https",
    "site.identity",
    "site.landing",
    "site.policy",
    "site.verification",
    "site.external",
    "site.secrets",
]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The real site, built once per session from the repository's mkdocs.yml."""
    return build_site(tmp_path_factory.mktemp("built") / "site")


@pytest.fixture
def site(built, tmp_path):
    """A private copy of the built site for one test to damage."""
    return copy_site(built, tmp_path / "site")


@pytest.mark.parametrize("check_id", SITE_CHECKS)
def test_real_built_site_passes(built, check_id):
    result = run(target(FACTS, built), check_id)
    assert result.status == "pass", messages(result)


def test_missing_page_fails_with_the_source_to_edit(site):
    (site / "terms" / "index.html").unlink()
    result = run(target(FACTS, site), "site.pages")
    assert result.status == "fail"
    bad = [f for f in result.findings if f.status == "fail"]
    assert len(bad) == 1 and "Terms of service" in bad[0].message and "docs/terms.md" in bad[0].fix


def test_missing_site_directory_fails_and_dependent_checks_skip(tmp_path):
    t = target(FACTS, tmp_path / "nowhere")
    assert run(t, "site.pages").status == "fail"
    assert "greenlight build" in run(t, "site.pages").findings[0].fix
    assert run(t, "site.identity").status == "skip"


def test_page_without_the_app_name_fails(site):
    page = site / "data-deletion" / "index.html"
    edit(page, "Clipwise", "Someapp")
    result = run(target(FACTS, site), "site.identity")
    assert result.status == "fail"
    assert "Data-deletion page does not name the app" in messages(result)


def test_page_without_the_effective_date_fails(site):
    edit(site / "privacy" / "index.html", "1 November 2026", "sometime")
    result = run(target(FACTS, site), "site.identity")
    assert result.status == "fail"
    assert messages(result, "fail") == "Privacy policy does not show the effective date (1 November 2026)"


def test_login_page_as_landing_fails(site):
    (site / "index.html").write_text(
        "<html><head><title>Clipwise</title></head><body><h1>Clipwise</h1><p>Effective 1 November 2026</p>"
        "<form><input name=user><input type=password name=pw><button>Log in</button></form></body></html>"
    )
    result = run(target(FACTS, site), "site.landing")
    text = messages(result, "fail")
    assert result.status == "fail"
    assert "asks for a password" in text and "only" in text and "how it works" in text


def test_landing_without_the_scopes_fails(site):
    edit(site / "index.html", "video.upload", "video.something")
    result = run(target(FACTS, site), "site.landing")
    assert result.status == "fail" and "video.upload" in messages(result, "fail")


def test_policy_missing_a_scope_fails(site):
    edit(site / "privacy" / "index.html", "video.publish", "video.post")
    result = run(target(FACTS, site), "site.policy")
    assert result.status == "fail"
    assert "does not name the TikTok scope video.publish" in messages(result)


def test_policy_missing_a_processor_fails(site, facts_file):
    # The facts now name a processor the built policy never mentions: the site was not rebuilt.
    facts = facts_file(
        processors=[
            {
                "name": "Tidy Storage Inc",
                "purpose": "backups",
                "data": "tokens",
                "policy_url": "https://tidy.example/privacy",
            }
        ]
    )
    result = run(target(facts, site), "site.policy")
    assert result.status == "fail" and "processor Tidy Storage Inc" in messages(result)


def test_verification_file_with_trailing_newline_fails(site):
    (site / TOKEN_FILE).write_bytes(b"tiktok-developers-site-verification=Xk3mPq9LrT2vWz7aB4cD\n")
    result = run(target(FACTS, site), "site.verification")
    assert result.status == "fail" and "trailing newline" in messages(result)


def test_verification_file_missing_fails(site):
    (site / TOKEN_FILE).unlink()
    result = run(target(FACTS, site), "site.verification")
    assert result.status == "fail" and "is missing" in messages(result)


def test_external_script_fails(site):
    edit(site / "terms" / "index.html", "</head>", '<script src="https://cdn.example.net/x.js"></script></head>', 1)
    result = run(target(FACTS, site), "site.external")
    assert result.status == "fail"
    assert messages(result, "fail") == "terms/index.html loads https://cdn.example.net/x.js"


def test_css_import_from_another_host_fails(site):
    css = site / "assets" / "greenlight.css"
    css.write_text('@import url("//fonts.example.org/font.css");\n' + css.read_text())
    result = run(target(FACTS, site), "site.external")
    assert result.status == "fail" and "//fonts.example.org/font.css" in messages(result)


def test_absolute_link_to_the_site_itself_is_not_external(site):
    edit(site / "index.html", "</head>", '<link rel="icon" href="https://clipwise.example/assets/x.png"></head>', 1)
    assert run(target(FACTS, site), "site.external").status == "pass"


def test_token_shaped_string_fails(site):
    edit(site / "terms" / "index.html", "</body>", "<!-- act.1234567890abcdefghijklmnopqrstuv --></body>", 1)
    result = run(target(FACTS, site), "site.secrets")
    assert result.status == "fail"
    assert "terms/index.html: TikTok access token" in messages(result)
    assert "act.1234567890" not in messages(result)  # the report never repeats the secret


def test_configured_secret_in_the_site_fails(site):
    edit(site / "index.html", "</body>", "<p>test-client-secret-0123456789</p></body>", 1)
    result = run(target(FACTS, site), "site.secrets")
    assert result.status == "fail" and "TIKTOK_CLIENT_SECRET" in messages(result)


def test_site_url_not_https_fails_unless_a_loopback_demo(site, facts_file):
    # The facts loader only accepts https or loopback addresses, so the defect is a loopback
    # site URL beside a real service: not a demo, so it fails.
    mixed = facts_file(urls__site="http://127.0.0.1:8000")
    result = run(target(mixed, site), "site.https")
    assert result.status == "fail" and "not https" in messages(result)
    demo = facts_file(urls__site="http://127.0.0.1:8000", urls__service="http://127.0.0.1:8001")
    assert run(target(demo, site), "site.https").status == "warn"


# -- a deployed site: fetched over HTTP, redirects never followed, content types as served --


@pytest.fixture
def host(site):
    """Serve the damaged copy like a static host; tests set redirects and types before requests."""
    with BackgroundServer(static_host(site)) as server:
        server.site = site
        yield server


def served(server, redirects=None, types=None) -> str:
    """Point the host at the site with these redirects and content types; return its URL."""
    server.app = static_host(server.site, redirects, types)
    return server.url + "/"


def test_deployed_site_passes(host):
    t = target(FACTS, served(host))
    for check_id in SITE_CHECKS:
        result = run(t, check_id)
        assert result.status == "pass", (check_id, messages(result))


def test_deployed_page_that_redirects_fails(host):
    url = served(host, redirects={"privacy/": "/legal/privacy/"})
    result = run(target(FACTS, url), "site.pages")
    assert result.status == "fail"
    assert "redirects (301) to /legal/privacy/" in messages(result, "fail")


def test_deployed_verification_file_served_as_html_fails(host):
    url = served(host, types={TOKEN_FILE: "text/html; charset=utf-8"})
    result = run(target(FACTS, url), "site.verification")
    assert result.status == "fail" and "not text/plain" in messages(result)


def test_deployed_verification_file_behind_a_redirect_fails(host):
    url = served(host, redirects={TOKEN_FILE: "/other.txt"})
    result = run(target(FACTS, url), "site.verification")
    assert result.status == "fail" and "redirects (301)" in messages(result)


def test_deployed_secret_is_found_by_crawling(host):
    edit(host.site / "assets" / "greenlight.css", "", "/* rft.abcdefghijklmnopqrstuvwxyz0123 */", 1)
    result = run(target(FACTS, served(host)), "site.secrets")
    assert result.status == "fail" and "assets/greenlight.css: TikTok refresh token" in messages(result)


def test_unreachable_deployed_site_fails_clearly():
    result = run(target(FACTS, "http://127.0.0.1:9/"), "site.pages")
    assert result.status == "fail" and "could not reach" in messages(result)


# -- YouTube: the API Services terms ask the policy and the terms for particular words and links --

STUDIO = ROOT / "examples" / "studio-all-platforms.yml"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The site built from the all-platforms example facts (YouTube and Meta enabled)."""
    return build_site(tmp_path_factory.mktemp("studio") / "site", facts=STUDIO)


def test_all_platforms_policy_passes(studio):
    result = run(target(STUDIO, studio), "site.policy")
    assert result.status == "pass", messages(result)


def test_policy_without_the_limited_use_statement_fails(studio, tmp_path):
    site = copy_site(studio, tmp_path / "site")
    edit(site / "privacy" / "index.html", "Limited Use", "usual")
    result = run(target(STUDIO, site), "site.policy")
    assert result.status == "fail" and messages(result, "fail") == "the privacy policy does not say 'Limited Use'"


def test_terms_without_the_youtube_terms_link_fail(studio, tmp_path):
    site = copy_site(studio, tmp_path / "site")
    edit(site / "terms" / "index.html", "https://www.youtube.com/t/terms", "https://www.youtube.com/")
    result = run(target(STUDIO, site), "site.policy")
    assert result.status == "fail" and "YouTube Terms of Service" in messages(result, "fail")


def test_policy_without_the_revocation_link_fails(studio, tmp_path):
    site = copy_site(studio, tmp_path / "site")
    edit(
        site / "privacy" / "index.html",
        'href="https://security.google.com/settings/security/permissions"',
        'href="https://myaccount.google.com/"',
    )
    result = run(target(STUDIO, site), "site.policy")
    assert result.status == "fail"
    assert "does not link https://security.google.com/settings/security/permissions" in messages(result)
