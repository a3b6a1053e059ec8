"""`greenlight check` on the command line: report, exit code, JSON, invalid facts, no secrets echoed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from callback.cli import cli
from fixtures.check.sites import build_site

PRODUCTION_KEY = "awq1w2e3r4t5y6u7"
SECRET = "cli-test-client-secret-7a9b8c"


@pytest.fixture
def final(facts_file, tmp_path):
    """Final facts (draft: false, a reachable contact) and the real site built from them."""
    from conftest import ROOT

    facts = facts_file(draft=False, operator__contact_email="privacy@clipwise.io")
    site = build_site(tmp_path / "site", ROOT / "mkdocs.yml", facts=facts)
    return facts, site


def invoke(*args, **env):
    env = {"TIKTOK_CLIENT_KEY": PRODUCTION_KEY, "TIKTOK_CLIENT_SECRET": SECRET, **env}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.browser
def test_ready_site_passes_with_exit_code_zero(final):
    facts, site = final
    result = invoke("--facts", str(facts), "check", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "WARN" not in result.output
    assert "PASS  Privacy and Terms links are visible without a menu at 1280 px and 390 px" in result.output
    assert "0 failed" in result.output
    assert SECRET not in result.output


def test_one_failure_gives_exit_code_one_and_says_what_to_change(final):
    facts, site = final
    (site / "privacy" / "index.html").unlink()
    result = invoke("--facts", str(facts), "check", "--site", str(site), "--no-browser")
    assert result.exit_code == 1
    assert "FAIL  Landing, privacy, terms and data-deletion pages answer 200 without redirects" in result.output
    assert "fix: make sure docs/privacy.md exists, then rebuild the site" in result.output
    assert "1 failed" in result.output


def test_json_for_ci(final):
    facts, site = final
    result = invoke(
        "--facts", str(facts), "check", "--site", str(site), "--no-browser", "--json", TIKTOK_CLIENT_KEY="changeme"
    )
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["site"] == str(site) and doc["service"] is None
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["facts.client_key"]["status"] == "fail"
    assert "placeholder" in by_id["facts.client_key"]["findings"][0]["message"]
    assert by_id["site.pages"]["status"] == "pass" and by_id["service.health"]["status"] == "skip"
    assert doc["counts"]["fail"] == 1


def test_invalid_facts_are_one_failing_check_naming_each_key(facts_file):
    facts = facts_file(operator__contact_email=None, name="")
    result = invoke("--facts", str(facts), "check", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    (only,) = doc["checks"]
    assert only["id"] == "facts.valid" and only["status"] == "fail"
    text = " ".join(f["message"] for f in only["findings"])
    assert "extra.app.operator.contact_email: is required" in text and "extra.app.name" in text


def test_default_site_is_the_build_beside_mkdocs_yml(final):
    facts, site = final
    site.rename(facts.parent / "site")
    result = invoke("--facts", str(facts), "check", "--no-browser", "--json")
    doc = json.loads(result.output)
    assert doc["site"].endswith("site") and result.exit_code == 0, result.output


def test_missing_build_says_to_build(facts_file):
    result = invoke("--facts", str(facts_file()), "check", "--no-browser")
    assert result.exit_code == 1 and "run `greenlight build` first" in result.output


def test_a_crashing_check_is_a_failure_not_a_crash(facts_file):
    from callback.checks import Check, format_report, run_check
    from fixtures.check.sites import target

    def broken(t):
        raise KeyError("boom")

    result = run_check(Check("x.broken", "A broken check", "x", broken), target(facts_file(), "/nonexistent-site"))
    assert result.status == "fail" and "could not run: KeyError" in result.findings[0].message
    assert "FAIL  A broken check" in format_report([result])
