"""The built site (real MkDocs builds of mkdocs.yml and the examples) says what the facts say."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urljoin

import pytest

from callback.facts import load_facts
from callback.site.build import SiteError
from site_support import EXAMPLES, ROOT, article, build, built, footer, hrefs, read, text

SITES = ["repo", "creator", "studio"]
PAGES = ["", "privacy/", "terms/", "data-deletion/", "history/"]


def facts_of(name: str):
    return load_facts(EXAMPLES[name] or ROOT / "mkdocs.yml")


@pytest.mark.parametrize("name", SITES)
def test_every_enabled_scope_is_named_with_its_reason(name):
    facts, site = facts_of(name), built(name)
    landing, privacy = text(article(read(site))), text(article(read(site, "privacy/")))
    for platform in facts.platforms:
        for scope in platform.scopes:
            assert scope.name in landing and scope.name in privacy, scope.name
            assert text(scope.why) in privacy


@pytest.mark.parametrize("name", SITES)
def test_every_processor_is_named_with_purpose_data_and_link(name):
    facts, page = facts_of(name), read(built(name), "privacy/")
    body = text(article(page))
    for p in facts.processors:
        assert p.name in body and p.purpose in body and p.data in body
        assert p.policy_url in hrefs(article(page))
    if not facts.processors:
        assert "We use no third-party processors" in body


@pytest.mark.parametrize("name", SITES)
def test_retention_numbers_equal_the_facts(name):
    facts, site = facts_of(name), built(name)
    r = facts.retention
    privacy = text(article(read(site, "privacy/")))
    deletion = text(article(read(site, "data-deletion/")))
    assert f"{r.tokens_unused_days} days after the app last used them" in privacy
    assert f"| {r.records_days} days |" not in privacy  # rendered as a table, not raw Markdown
    assert "Webhook receipts" in privacy and f" {r.records_days} days " in privacy
    assert "Your network (IP) address, when you send the data-deletion form" in privacy  # the rate limit
    assert f"within {r.deletion_response_hours} hours" in privacy
    assert f"kept for {r.deletion_receipts_days} days" in privacy
    assert f"we delete it within {r.deletion_response_hours} hours" in deletion
    assert f"not used for {r.tokens_unused_days} days" in deletion


def test_changing_a_number_in_the_facts_changes_the_pages(facts_file):
    site = build(facts_file(retention__tokens_unused_days=77, retention__deletion_response_hours=12))
    privacy = text(article(read(site, "privacy/")))
    assert "77 days after the app last used them" in privacy and "90 days" not in privacy
    assert "within 12 hours" in privacy and "72 hours" not in privacy


@pytest.mark.parametrize("name", SITES)
def test_legal_links_in_landing_body_and_every_footer(name):
    site = built(name)
    body = hrefs(article(read(site)))
    assert "privacy/" in body and "terms/" in body
    assert text(article(read(site))).index("Privacy Policy") < text(article(read(site))).index("What")
    for page in PAGES:
        links = {urljoin("/" + page, h) for h in hrefs(footer(read(site, page)))}
        assert {"/privacy/", "/terms/", "/data-deletion/", "/history/"} <= links, page
        assert "Privacy Policy" in text(footer(read(site, page))), page


@pytest.mark.parametrize("name", SITES)
def test_landing_connects_to_the_service_and_names_the_operator(name):
    facts, page = facts_of(name), read(built(name))
    assert facts.connect_url in hrefs(article(page))
    body = text(article(page))
    assert facts.operator.legal_name in body and facts.operator.contact_email in body
    assert " ".join(facts.description.split(".")[0].split()) in body
    assert f"<title>{facts.name}</title>" in page  # the facts name the site, not mkdocs.yml


@pytest.mark.parametrize("name", SITES)
def test_every_page_shows_the_effective_date(name):
    facts, site = facts_of(name), built(name)
    day = f"{facts.effective_date.day} {facts.effective_date:%B %Y}"
    for page in PAGES[1:]:
        assert f"Effective date: {day}" in text(article(read(site, page))), page
    for page in PAGES:
        assert f"Policies effective {day}" in text(footer(read(site, page))), page


@pytest.mark.parametrize("name", SITES)
def test_verification_files_are_exact_bytes_at_root_and_prefix(name):
    facts, site = facts_of(name), built(name)
    assert facts.verification
    for v in facts.verification:
        want = f"tiktok-developers-site-verification={v.token}".encode()
        assert (site / f"tiktok{v.token}.txt").read_bytes() == want  # no trailing newline
        if v.prefix:
            assert (site / v.prefix / f"tiktok{v.token}.txt").read_bytes() == want
        assert f"tiktok{v.token}" not in (site / "sitemap.xml").read_text()
        assert f"tiktok{v.token}" not in read(site)  # not in the navigation
    assert not (site / "search").exists()


def test_prefixed_token_is_under_its_prefix():
    site = built("studio")
    assert (site / "media" / "tiktokLf9PxYt2Hb6DgJ5aWq1Z.txt").exists()
    assert not (site / "media" / "tiktokLf3QeVb8Nc2XsR7wKd4M.txt").exists()


LIMITED_USE = (
    "{name}'s use and transfer of information received from Google APIs will adhere to Google API "
    "Services User Data Policy, including the Limited Use requirements."
)


@pytest.mark.parametrize("name", SITES)
def test_youtube_statements_exactly_when_youtube_is_enabled(name):
    facts, site = facts_of(name), built(name)
    privacy, terms = read(site, "privacy/"), read(site, "terms/")
    youtube = facts.platform("youtube") is not None
    assert (LIMITED_USE.format(name=facts.name) in text(article(privacy))) == youtube
    assert (f"{facts.name} uses YouTube API Services" in text(article(privacy))) == youtube
    assert ("http://www.google.com/policies/privacy" in hrefs(privacy)) == youtube
    assert ("https://security.google.com/settings/security/permissions" in hrefs(privacy)) == youtube
    assert (
        f"By using {facts.name} to publish to YouTube you agree to be bound by the YouTube Terms of Service"
        in text(article(terms))
    ) == youtube
    assert ("https://www.youtube.com/t/terms" in hrefs(terms)) == youtube
    if not youtube:
        assert "YouTube" not in text(article(privacy)) + text(article(terms))


@pytest.mark.parametrize("name", SITES)
def test_meta_section_exactly_when_meta_is_enabled(name):
    facts, site = facts_of(name), built(name)
    privacy = text(article(read(site, "privacy/")))
    deletion = text(article(read(site, "data-deletion/")))
    meta = facts.platform("meta") is not None
    assert ("Facebook and Instagram (Meta)" in privacy) == meta
    assert (f"{facts.service_url}/meta/data-deletion" in privacy) == meta
    assert ("Remove access in Facebook or Instagram" in deletion) == meta
    assert (f"{facts.service_url}/deletion/ followed by the code" in privacy) == meta


@pytest.mark.parametrize("name", SITES)
def test_terms_cover_independence_law_contact_and_age(name):
    facts = facts_of(name)
    terms = text(article(read(built(name), "terms/")))
    assert f"{facts.name} is an independent app. It is not affiliated with, endorsed or sponsored by TikTok" in terms
    affiliation = terms.split("not affiliated with, endorsed or sponsored by ")[1].split(".")[0]
    assert "ByteDance" in affiliation  # TikTok's owner is named too
    for platform, words in (("youtube", ("YouTube", "Google")), ("meta", ("Meta", "Facebook", "Instagram"))):
        assert all((w in affiliation) == (facts.platform(platform) is not None) for w in words)
    assert f"governed by {facts.operator.governing_law}" in terms
    assert facts.operator.contact_email in terms and f"at least {facts.minimum_age} years old" in terms


@pytest.mark.parametrize("name", SITES)
def test_privacy_covers_rights_children_security_and_the_site_itself(name):
    facts = facts_of(name)
    page = read(built(name), "privacy/")
    privacy = text(article(page))
    assert f"not meant for anyone under {facts.minimum_age}" in privacy
    assert facts.deletion_url in hrefs(article(page)) and f"mailto:{facts.operator.contact_email}" in hrefs(page)
    assert "HMAC-SHA256" in privacy and "PKCE" in privacy and "mode 0600" in privacy
    assert ("encrypted at rest" in privacy) == facts.encrypt_tokens
    assert "It sets no cookies, runs no analytics or tracking, and loads nothing" in privacy
    assert f"governed by {facts.operator.governing_law}" in privacy
    assert "../history/" in hrefs(article(page))
    for row in facts.data_rows:
        assert row.data in privacy and row.retention in privacy


@pytest.mark.parametrize("name", SITES)
def test_deletion_page_explains_revoking_requesting_and_timing(name):
    facts = facts_of(name)
    page = read(built(name), "data-deletion/")
    body = text(article(page))
    assert "Settings and privacy" in body and "Apps and services" in body and "Manage app permissions" in body
    assert facts.deletion_url in hrefs(article(page))
    assert f"within {facts.retention.deletion_response_hours} hours" in body


def test_history_page_lists_versions_with_summaries():
    page = text(article(read(built("studio"), "history/")))
    assert "1 December 2026 (current) Added YouTube and Meta publishing" in page
    assert "1 June 2026 First published version (TikTok only). Not archived Not archived" in page


@pytest.mark.parametrize("name", SITES)
def test_draft_banner_on_every_page_of_a_draft(name):
    site = built(name)
    for page in PAGES:
        assert "These pages are not in effect yet" in read(site, page), page


def test_no_banner_and_production_build_when_not_draft(facts_file):
    facts = facts_file(draft=False)
    site = build(facts, production=True)
    for page in PAGES:
        assert "not in effect yet" not in read(site, page)


def test_production_build_refuses_draft_facts(facts_file, monkeypatch):
    with pytest.raises(SiteError, match="production build refused: the facts say `draft: true`"):
        build(facts_file(), production=True)
    monkeypatch.setenv("GREENLIGHT_PRODUCTION", "1")
    with pytest.raises(SiteError, match="production build refused"):
        build(facts_file(), production=None)


def test_mkdocs_build_strict_passes_for_the_repository(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("GREENLIGHT_FACTS", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr
    assert (tmp_path / "site" / "privacy" / "index.html").exists()


def test_facts_file_from_plugin_option_or_environment(tmp_path, facts_file, monkeypatch):
    config = facts_file()
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    (tmp_path / "creator.yml").write_text(EXAMPLES["creator"].read_text())
    config.write_text(config.read_text().replace("- greenlight", "- greenlight:\n      facts: creator.yml"))
    assert "<title>Reelkeeper</title>" in read(build(config=config))
    monkeypatch.setenv("GREENLIGHT_FACTS", str(EXAMPLES["studio"]))  # the environment wins over the option
    assert "<title>Lanternfish Publisher</title>" in read(build(config=config))
