"""Facts and configuration checks: one defect each fails, the corrected facts pass."""

from __future__ import annotations

import pytest

from callback.checks.facts import platform_names_in
from callback.sandbox import DEFAULTS as SANDBOX
from conftest import ROOT
from fixtures.check.sites import build_site, messages, run, target

SERVICE = "https://callback.clipwise.example"
DEMO_URLS = {"urls__site": "http://127.0.0.1:8000", "urls__service": "http://127.0.0.1:8001"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("built") / "site")


def check(facts, check_id, site=None, **settings):
    return run(target(facts, site or "/nonexistent-site", **settings), check_id)


def test_draft_facts_fail_and_final_facts_pass(facts_file):
    result = check(facts_file(draft=True), "facts.draft")
    assert result.status == "fail" and "extra.app.draft in mkdocs.yml" in result.findings[0].fix
    assert check(facts_file(draft=False), "facts.draft").status == "pass"


def test_draft_facts_only_warn_in_a_loopback_demo(facts_file):
    result = check(facts_file(draft=True, **DEMO_URLS), "facts.draft")
    assert result.status == "warn" and "loopback demo" in messages(result)
    half = check(facts_file(draft=True, urls__service="http://127.0.0.1:8001"), "facts.draft")
    assert half.status == "fail"  # a real site address: not a demo


@pytest.mark.parametrize(
    "name",
    [
        "ClipTok for TikTok",
        "Tik Tok Scheduler",
        "tik-tok poster",
        "TIKTOKER",
        "Douyin Bridge",
        "YouTube Sync",
        "InstaFacebook",
        "Meta Clips",
        "Clips for IG",
    ],
)
def test_names_of_platforms_are_found(name):
    assert platform_names_in(name)


@pytest.mark.parametrize("name", ["Clipwise", "Metadata Manager", "Northwind Clips", "Stickwise"])
def test_own_names_pass(name):
    assert platform_names_in(name) == []


def test_app_name_naming_a_platform_fails(facts_file, built):
    facts = facts_file(name="Clipwise for TikTok")
    result = check(facts, "facts.name", site=built)
    assert result.status == "fail"
    assert "contains tiktok" in messages(result) and "extra.app.name" in result.findings[0].fix


def test_built_title_not_matching_the_name_fails(facts_file, built, tmp_path):
    # The facts were renamed after the site was built: the deployed title no longer matches.
    facts = facts_file(name="Reelwise")
    result = check(facts, "facts.name", site=built)
    assert result.status == "fail"
    text = messages(result)
    assert "the landing page's <title> 'Clipwise" in text and "does not contain 'Reelwise'" in text


def test_site_name_in_mkdocs_yml_differing_warns(facts_file, built):
    import yaml

    path = facts_file()
    data = yaml.safe_load(path.read_text())
    data["site_name"] = "Something Else"
    path.write_text(yaml.safe_dump(data))
    result = check(path, "facts.name", site=built)
    assert result.status == "warn" and "site_name 'Something Else'" in messages(result)


def test_matching_name_passes(built):
    assert check(ROOT / "mkdocs.yml", "facts.name", site=built).status == "pass"


@pytest.mark.parametrize(
    "uris, expected",
    [
        ([f"{SERVICE}/callback/tiktok?next=home"], "query string"),
        ([f"{SERVICE}/callback/tiktok#top"], "fragment"),
        ([f"{SERVICE}/callback/tiktok/"], "trailing slash"),
        ([f"{SERVICE}/oauth/tiktok"], "answers the platform at /callback/tiktok"),
        (["https://other.example/callback/tiktok"], "host is other.example"),
        ([f"{SERVICE}/callback/tiktok"] + [f"{SERVICE}/x{i}" for i in range(10)], "at most 10"),
        ([f"{SERVICE}/callback/tiktok", f"{SERVICE}/" + "a" * 520], "fewer than 512"),
    ],
)
def test_bad_redirect_uris_fail(facts_file, uris, expected):
    facts = facts_file(platforms__tiktok__redirect_uris=uris)
    result = check(facts, "facts.redirects")
    assert result.status == "fail" and expected in messages(result)
    assert "extra.app.platforms.tiktok.redirect_uris" in result.findings[0].fix


def test_desktop_loopback_redirect_needs_a_port(facts_file):
    facts = facts_file(
        platforms__tiktok__app_type="desktop",
        urls__service="http://127.0.0.1",
        platforms__tiktok__redirect_uris=["http://127.0.0.1/callback/tiktok"],
    )
    result = check(facts, "facts.redirects")
    assert result.status == "fail" and "explicit port" in messages(result)


def test_desktop_loopback_redirect_with_port_passes(facts_file):
    facts = facts_file(
        platforms__tiktok__app_type="desktop",
        urls__service="http://127.0.0.1:8400",
        platforms__tiktok__redirect_uris=["http://127.0.0.1:8400/callback/tiktok"],
    )
    result = check(facts, "facts.redirects")
    assert result.status == "pass", messages(result)


def test_redirect_override_not_in_the_facts_fails(facts_file):
    result = check(facts_file(), "facts.redirects", REDIRECT_URI="https://elsewhere.example/callback/tiktok")
    assert result.status == "fail" and "GREENLIGHT_REDIRECT_URI" in messages(result)


def test_default_redirect_passes():
    result = check(ROOT / "mkdocs.yml", "facts.redirects")
    assert result.status == "pass", messages(result)
    assert "https://callback.clipwise.example/callback/tiktok" in messages(result)


def test_loopback_web_redirect_warns_only_in_a_demo(facts_file):
    demo = check(facts_file(**DEMO_URLS), "facts.redirects")
    assert demo.status == "warn" and "loopback demo address" in messages(demo)
    real_site = check(facts_file(urls__service="http://127.0.0.1:8001"), "facts.redirects")
    assert real_site.status == "fail" and "must start with https://" in messages(real_site)


def test_webhook_on_loopback_beside_a_real_site_fails(facts_file):
    result = check(facts_file(urls__service="http://127.0.0.1:8001"), "facts.webhook")
    assert result.status == "fail" and "http://127.0.0.1:8001/webhooks/tiktok is not https" in messages(result)
    assert "extra.app.urls.service" in result.findings[0].fix


def test_webhook_checks_pass_on_https_and_warn_in_a_demo(facts_file):
    assert check(ROOT / "mkdocs.yml", "facts.webhook").status == "pass"
    assert check(facts_file(**DEMO_URLS), "facts.webhook").status == "warn"


def test_contact_on_a_real_domain_passes_and_an_example_domain_warns(facts_file):
    assert check(facts_file(operator__contact_email="privacy@clipwise.io"), "facts.contact").status == "pass"
    result = check(ROOT / "mkdocs.yml", "facts.contact")
    assert result.status == "warn" and "reserved example domain" in messages(result)


@pytest.mark.parametrize("key", ["", "changeme", "your-client-key", "xxx", "XXXXXXXX", "<client key>"])
def test_placeholder_client_keys_fail(key):
    result = check(ROOT / "mkdocs.yml", "facts.client_key", TIKTOK_CLIENT_KEY=key)
    assert result.status == "fail" and "TIKTOK_CLIENT_KEY" in messages(result)


def test_demo_key_fails_outside_a_demo_and_warns_in_one(facts_file):
    outside = check(ROOT / "mkdocs.yml", "facts.client_key", TIKTOK_CLIENT_KEY=SANDBOX["CLIENT_KEY"])
    assert outside.status == "fail" and "demo key" in messages(outside)
    demo = check(facts_file(**DEMO_URLS), "facts.client_key", TIKTOK_CLIENT_KEY=SANDBOX["CLIENT_KEY"])
    assert demo.status == "warn"


def test_sandbox_key_with_production_facts_warns(facts_file):
    result = check(facts_file(draft=False), "facts.client_key", TIKTOK_CLIENT_KEY="sbawq1w2e3r4t5y6")
    assert result.status == "warn" and "sandbox key" in messages(result) and "assumed" in messages(result)


def test_production_key_with_draft_facts_warns():
    result = check(ROOT / "mkdocs.yml", "facts.client_key", TIKTOK_CLIENT_KEY="awq1w2e3r4t5y6u7")
    assert result.status == "warn" and "production key" in messages(result)


def test_matching_keys_pass(facts_file):
    assert check(ROOT / "mkdocs.yml", "facts.client_key", TIKTOK_CLIENT_KEY="sbawq1w2e3r4t5y6").status == "pass"
    final = facts_file(draft=False)
    assert check(final, "facts.client_key", TIKTOK_CLIENT_KEY="awq1w2e3r4t5y6u7").status == "pass"


def test_unknown_key_shape_warns():
    result = check(ROOT / "mkdocs.yml", "facts.client_key", TIKTOK_CLIENT_KEY="q1w2e3r4t5y6u7i8")
    assert result.status == "warn" and "neither" in messages(result)


def test_missing_contact_fails(facts_file):
    # The loader already refuses facts without an email; the check guards Facts built any other way.
    import dataclasses

    t = target(facts_file(), "/nonexistent-site")
    t.facts = dataclasses.replace(t.facts, operator=dataclasses.replace(t.facts.operator, contact_email=""))
    result = run(t, "facts.contact")
    assert result.status == "fail" and "extra.app.operator.contact_email" in result.findings[0].fix
