"""Each kind of operator states its real setup: the example facts build for production and pass the check."""

from __future__ import annotations

import functools
import re
import shutil

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.facts import load_facts
from site_support import ROOT, article, build, hrefs, read, text

KINDS = {
    "local": ROOT / "examples" / "local-single-owner.yml",
    "website": ROOT / "examples" / "multi-user-website.yml",
    "database": ROOT / "examples" / "database-youtube.yml",
}
PAGES = ("", "privacy/", "terms/", "data-deletion/")
LOOPBACK = re.compile(r"https?://(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])", re.I)
ENV = {"TIKTOK_CLIENT_KEY": "awq1w2e3r4t5y6u7", "TIKTOK_CLIENT_SECRET": "kinds-test-client-secret-1"}


@functools.cache
def site(kind: str):
    """Build an example as the Pages workflow does: --production --strict."""
    return build(KINDS[kind], production=True, strict=True)


def page(kind: str, path: str) -> str:
    return text(article(read(site(kind), path)))


@pytest.mark.parametrize("kind", KINDS)
def test_each_example_builds_for_production_and_passes_the_check(kind):
    result = CliRunner().invoke(
        cli, ["--facts", str(KINDS[kind]), "check", "--site", str(site(kind)), "--no-browser", "--json"], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert '"fail": 0' in result.output


@pytest.mark.browser
def test_the_local_example_passes_the_whole_check_with_the_browser():
    result = CliRunner().invoke(cli, ["--facts", str(KINDS["local"]), "check", "--site", str(site("local"))], env=ENV)
    assert result.exit_code == 0, result.output


def test_local_pages_show_no_loopback_address_and_promise_no_webhook():
    for path in site("local").rglob("*.html"):
        assert not LOOPBACK.search(path.read_text()), path
    landing, privacy, deletion = page("local", ""), page("local", "privacy/"), page("local", "data-deletion/")
    assert "Connect your TikTok account" not in read(site("local"))
    assert "signed notification" not in privacy and "TikTok then tells" not in deletion
    assert "TikTok cannot notify us" in privacy and "refuses your account's token" in privacy
    assert "TikTok refuses it, and Kettlecut then deletes every record" in deletion
    assert "tokens.json on our own computer" in privacy and "our server" not in privacy
    assert "Write to kettlecut@kettlecut.example with your TikTok username" in deletion  # no form: the contact
    assert "Start the connection in Kettlecut on the computer it runs on" in landing


def test_local_single_owner_states_its_optional_facts():
    facts, privacy = load_facts(KINDS["local"]), page("local", "privacy/")
    assert facts.operator.legal_name == "" and "operated by" not in privacy.split("In short")[0]
    assert "Governing law" not in privacy and "Governing law" not in page("local", "terms/")
    assert "kept until you revoke access or ask us to delete them; there is no time limit otherwise" in privacy
    assert "Even if you never ask" not in page("local", "data-deletion/")
    assert "No receipt remains" in page("local", "data-deletion/")
    assert "sets none either: only its operator connects accounts" in privacy
    assert ".env files on our own computer beside our uploader" in privacy and "not encrypted" in privacy
    for item in (
        "phone numbers",
        "biometric identifiers",
        "other people's email addresses",
        "We do no profiling",
        "no decisions about you by automated means",
    ):
        assert item in privacy
    assert "at least 14 days before it takes effect (on this website)" in privacy
    assert "If you keep using Kettlecut after a change takes effect" in privacy


def test_multi_user_website_states_contact_page_cookies_and_self_service_deletion():
    built, facts = site("website"), load_facts(KINDS["website"])
    privacy = page("website", "privacy/")
    assert facts.operator.contact_email == ""
    assert facts.operator.contact_url in hrefs(article(read(built, "privacy/")))
    assert "mailto:" not in read(built, "privacy/")
    cookies = privacy.split("Cookies This website")[-1]
    assert "session Sparrowcast's callback service Strictly necessary" in cookies
    assert "sc_dashboard Sparrowcast's own website Strictly necessary" in cookies
    assert f"{facts.service_url}/deletion" in hrefs(article(read(built, "data-deletion/")))
    assert "Verify with TikTok and delete now" in page("website", "data-deletion/")
    assert "Connect your TikTok account" in read(built)


def test_database_and_youtube_example_states_storage_and_never_denies_google_tokens():
    privacy, built = page("database", "privacy/"), site("database")
    assert "PostgreSQL database (managed by Hetzner in Falkenstein, Germany)" in privacy
    # Tokens and records are in the database; only queued videos stay files in the data directory.
    assert "tokens.json" not in privacy and "Data files are readable only by the service" not in privacy
    assert "Videos queued for posting" in privacy
    assert "does not store Google tokens" not in privacy
    assert "The Google tokens and YouTube data Northlight Desk keeps are listed in the table above" in privacy
    assert "encrypted at rest" in privacy
    for row in ("Video titles, captions and the schedule you chose", "Operational logs", "private Amazon S3 bucket"):
        assert row in privacy
    assert re.search(r"Publishing status per publish_id.*? 30 days", privacy)  # content_days, not records_days
    terms = page("database", "terms/")
    assert "not affiliated with, endorsed or sponsored by TikTok, ByteDance, YouTube or Google" in terms
    links = hrefs(article(read(built, "privacy/")))
    assert "https://www.tiktok.com/legal/page/global/privacy-policy/en" in links
    assert "http://www.google.com/policies/privacy" in links


def test_the_check_passes_a_local_setup_that_the_old_check_failed():
    result = CliRunner().invoke(
        cli, ["--facts", str(KINDS["local"]), "check", "--site", str(site("local")), "--no-browser"], env=ENV
    )
    assert "is not https" not in result.output
    assert "PASS  The webhook URL is https (or, for a local service, none is promised)" in result.output


def test_the_check_fails_a_local_setup_that_promises_public_endpoints(tmp_path):
    """An operator's own template that links the service would send visitors to a loopback address."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*-????-??-??.md"))
    (tmp_path / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + "\nConnect at [our service]({{ app.connect_url }}).\n")
    built = build(KINDS["local"], config=tmp_path / "mkdocs.yml", production=True, strict=True)
    result = CliRunner().invoke(
        cli, ["--facts", str(KINDS["local"]), "check", "--site", str(built), "--no-browser"], env=ENV
    )
    assert result.exit_code == 1
    assert (
        "terms/index.html shows http://127.0.0.1:5000/connect/tiktok, which no visitor or platform can reach"
        in result.output
    )


def test_the_check_fails_a_local_web_app(tmp_path):
    facts = tmp_path / "facts.yml"
    facts.write_text(KINDS["local"].read_text().replace("app_type: desktop", "app_type: web"))
    result = CliRunner().invoke(
        cli, ["--facts", str(facts), "check", "--site", str(site("local")), "--no-browser"], env=ENV
    )
    assert result.exit_code == 1 and "loopback redirect URI only for desktop apps" in result.output


def test_a_production_build_refuses_a_hosted_service_on_loopback(facts_file):
    from callback.site.build import SiteError

    with pytest.raises(SiteError, match=re.escape("set extra.app.deployment to local")):
        build(facts_file(draft=False, urls__service="http://127.0.0.1:5000"), production=True)
