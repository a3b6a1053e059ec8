"""Every level of the facts refuses unknown keys, naming the path and the nearest known key; optional facts
may be left out, and facts that would make the pages contradict themselves are refused, naming the fact."""

from __future__ import annotations

import pytest
import yaml

from callback.facts import FactsError, load_facts
from callback.site.build import SiteError
from site_support import ROOT, build

# (changes to the repository's facts, the key path the error names, the suggestion it makes)
TYPOS = [
    ({"deploymnet": "local"}, "extra.app.deploymnet", "did you mean deployment?"),
    ({"operator__contact_emial": "x@clipwise.io"}, "extra.app.operator.contact_emial", "did you mean contact_email?"),
    ({"urls__servce": "https://x.clipwise.io"}, "extra.app.urls.servce", "did you mean service?"),
    ({"retention__records_day": 30}, "extra.app.retention.records_day", "did you mean records_days?"),
    ({"security__encrypt_token": True}, "extra.app.security.encrypt_token", "did you mean encrypt_tokens?"),
    ({"platforms__tiktok__scope": ["user.info.basic"]}, "extra.app.platforms.tiktok.scope", "did you mean scopes?"),
    (
        {"platforms__youtube": {"enable": True, "scopes": ["https://www.googleapis.com/auth/youtube.upload"]}},
        "extra.app.platforms.youtube.enable",
        "did you mean enabled?",
    ),
    ({"platforms__tiktk": {"scopes": ["user.info.basic"]}}, "extra.app.platforms.tiktk", "did you mean tiktok?"),
    ({"verification": {"tiktk": ["Xk3mPq9LrT2vWz7aB4cD"]}}, "extra.app.verification.tiktk", "did you mean tiktok?"),
    (
        {"verification": {"tiktok": [{"token": "Xk3mPq9LrT2vWz7aB4cD", "prefx": "/x/"}]}},
        "extra.app.verification.tiktok[0].prefx",
        "did you mean prefix?",
    ),
    ({"history": [{"date": "2026-11-01", "sumary": "First."}]}, "extra.app.history[0].sumary", "did you mean summary?"),
    (
        {
            "processors": [
                {"name": "Host", "purpose": "Hosting", "data": "All", "policy_url": "https://h.io/p", "polcy": "x"}
            ]
        },
        "extra.app.processors[0].polcy",
        "did you mean policy_url?",
    ),
    (
        {"data_rows": [{"data": "a", "source": "b", "purpose": "c", "storage": "d", "retension": "e"}]},
        "extra.app.data_rows[0].retension",
        "did you mean retention?",
    ),
    ({"storage": {"knd": "file"}}, "extra.app.storage.knd", "did you mean kind?"),
    ({"cookies": [{"nme": "x", "purpose": "y", "duration": "z"}]}, "extra.app.cookies[0].nme", "did you mean name?"),
    ({"policy_changes": {"notice_day": 14}}, "extra.app.policy_changes.notice_day", "did you mean notice_days?"),
    ({"we_do_not": ["profilng"]}, "extra.app.we_do_not[0]", "did you mean profiling?"),
    ({"deployment": "locl"}, "extra.app.deployment", "did you mean local?"),
    ({"storage": "databse"}, "extra.app.storage", "did you mean database?"),
]


def _path(problem: str) -> str:
    return problem.split(": ", 1)[0]


@pytest.mark.parametrize("changes, path, hint", TYPOS, ids=[t[1].removeprefix("extra.app.") for t in TYPOS])
def test_a_typo_at_any_level_is_refused_with_its_path(facts_file, changes, path, hint):
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(**changes))
    problem = next((p for p in err.value.problems if hint in p), "")
    assert problem, err.value.problems
    assert _path(problem) == path


def test_the_encryption_typo_fails_the_production_build(facts_file):
    # The bug this guards: `encrypt_token: true` built with --production and the policy said "not encrypted".
    with pytest.raises(SiteError) as err:
        build(facts_file(draft=False, security={"encrypt_token": True}), production=True, strict=True)
    assert "extra.app.security.encrypt_token: is not a known key (did you mean encrypt_tokens?" in str(err.value)


def test_optional_operator_facts_can_be_left_out(facts_file):
    facts = load_facts(facts_file(operator={"contact_url": "https://clipwise.io/contact"}))
    assert facts.operator.legal_name == facts.operator.country == facts.operator.governing_law == ""
    assert facts.operator.contact_email == "" and facts.operator.contact_url == "https://clipwise.io/contact"


def test_some_way_to_reach_the_operator_is_required(facts_file):
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(operator={"legal_name": "Northwind Clips Ltd"}))
    assert any(
        p.startswith("extra.app.operator.contact_email: is required") and "contact_url" in p for p in err.value.problems
    )


def test_retention_words_and_numbers(facts_file):
    facts = load_facts(
        facts_file(
            retention={
                "tokens_unused_days": "until_revoked",
                "records_days": "until_deleted",
                "deletion_response_hours": 24,
                "deletion_receipts_days": 0,
            }
        )
    )
    r = facts.retention
    assert (r.tokens_unused_days, r.records_days, r.content, r.deletion_receipts_days) == (None, None, None, 0)
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(retention__tokens_unused_days="forever"))
    assert 'must be a positive integer, got "forever" (or until_revoked for no limit)' in str(err.value)


@pytest.mark.parametrize(
    "changes, path, phrase",
    [
        ({"deployment": "local"}, "extra.app.urls.service", "loopback address"),
        (
            {
                "deployment": "local",
                "urls__service": "http://127.0.0.1:5000",
                "platforms__tiktok__app_type": "desktop",
                "platforms__meta": {"scopes": ["instagram_basic"]},
            },
            "extra.app.platforms.meta",
            "cannot receive",
        ),
        ({"urls__deletion": "http://127.0.0.1:5000/deletion"}, "extra.app.urls.deletion", "not a loopback address"),
        ({"we_do_not": ["email_addresses"]}, "extra.app.we_do_not", "deletion form asks for an optional email"),
        (
            {"users": "owner", "we_do_not": ["email_addresses"]},
            "extra.app.we_do_not",
            "operator.contact_email invites people",
        ),
        (
            {
                "users": "owner",
                "operator": {"contact_url": "https://clipwise.io/contact"},
                "we_do_not": ["phone_numbers"],
                "data_rows": [
                    {
                        "data": "Your phone number",
                        "source": "You",
                        "purpose": "SMS alerts",
                        "storage": "Our server",
                        "retention": "30 days",
                    }
                ],
            },
            "extra.app.we_do_not",
            "data_rows[0] declares it",
        ),
        (
            {"cookies": [{"name": "session", "purpose": "x", "duration": "y"}]},
            "extra.app.cookies[0].name",
            "service's own cookie",
        ),
        (
            {"data_rows": [{"data": "a", "source": "b", "purpose": "c", "storage": "d", "retention": "e", "days": 3}]},
            "extra.app.data_rows[0].days",
            "not both",
        ),
    ],
)
def test_self_contradicting_facts_are_refused_naming_the_fact(facts_file, changes, path, phrase):
    with pytest.raises(FactsError) as err:
        load_facts(facts_file(**changes))
    assert any(p.startswith(path + ":") and phrase in p for p in err.value.problems), err.value.problems


def test_a_page_denying_declared_google_tokens_fails_the_build(tmp_path, facts_file):
    """The known pairs are checked on the rendered pages too, so an edited template cannot deny a declared row."""
    import shutil

    config = facts_file(
        data_rows=[
            {
                "data": "YouTube access and refresh tokens",
                "source": "Google",
                "purpose": "Upload",
                "storage": "Our server",
                "retention": "90 days",
            }
        ],
        platforms__youtube={"scopes": ["https://www.googleapis.com/auth/youtube.upload"]},
    )
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*-????-??-??.md"))
    terms = tmp_path / "docs" / "terms.md"
    terms.write_text(terms.read_text() + "\nOur service does not store Google tokens.\n")
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "terms.md says 'does not store Google tokens'" in str(err.value)
    assert "extra.app.data_rows[0] declares that Google tokens are stored" in str(err.value)


def test_a_page_denying_cookies_the_service_sets_fails_the_build(tmp_path, facts_file):
    import shutil

    config = facts_file()
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("*-????-??-??.md"))
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text() + "\nWe use no cookies at all.\n")
    with pytest.raises(SiteError) as err:
        build(config=config)
    assert "index.md says" in str(err.value) and "extra.app.users means cookies are set" in str(err.value)


def test_known_keys_cover_every_fact_the_examples_use():
    for path in sorted((ROOT / "examples").glob("*.yml")):
        load_facts(path)  # no example may trip the unknown-key refusal
    app = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["extra"]["app"]
    assert load_facts(ROOT / "mkdocs.yml").name == app["name"]
