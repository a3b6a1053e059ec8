"""Bad facts give one clear line per problem, naming the key path, through every entry point."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.facts import SCOPES, FactsError, load_facts
from callback.site.build import SiteError
from site_support import EXAMPLES, ROOT, build

# (id, changes to the example facts or raw file text, the key path the message must name, a phrase of it)
BAD = [
    ("missing-key", {"name": None}, "extra.app.name", "is required"),
    (
        "missing-nested",
        {"retention__deletion_response_hours": None},
        "extra.app.retention.deletion_response_hours",
        "is required",
    ),
    ("no-contact", {"operator__contact_email": None}, "extra.app.operator.contact_email", "is required"),
    ("wrong-type-map", {"operator": "Northwind"}, "extra.app.operator", "must be a mapping"),
    ("wrong-type-list", {"processors": "none"}, "extra.app.processors", "must be a list"),
    (
        "word-for-int",
        {"retention__tokens_unused_days": "ninety"},
        "extra.app.retention.tokens_unused_days",
        'must be a positive integer, got "ninety"',
    ),
    ("bool-for-int", {"retention__records_days": True}, "extra.app.retention.records_days", "positive integer"),
    (
        "int-out-of-range",
        {"retention__deletion_response_hours": 1000},
        "extra.app.retention.deletion_response_hours",
        "from 1 to 720",
    ),
    ("age-too-low", {"minimum_age": 10}, "extra.app.minimum_age", "from 13 to 21"),
    (
        "bad-email",
        {"operator__contact_email": "privacy at clipwise"},
        "extra.app.operator.contact_email",
        "must be an email address",
    ),
    ("http-url", {"urls__site": "http://clipwise.example"}, "extra.app.urls.site", "must start with https://"),
    ("not-a-url", {"urls__service": "callback.clipwise.example"}, "extra.app.urls.service", "absolute URL"),
    ("bad-date", {"effective_date": "next monday"}, "extra.app.effective_date", "YYYY-MM-DD"),
    ("string-for-bool", {"draft": "yes"}, "extra.app.draft", "true or false"),
    (
        "unknown-platform",
        {"platforms__myspace": {"scopes": ["profile"]}},
        "extra.app.platforms.myspace",
        "not a supported platform",
    ),
    (
        "no-tiktok",
        {"platforms": {"youtube": {"scopes": ["https://www.googleapis.com/auth/youtube.upload"]}}},
        "extra.app.platforms.tiktok",
        "is required",
    ),
    (
        "unknown-scope",
        {"platforms__tiktok__scopes": ["user.info.basic", "video.delete"]},
        "extra.app.platforms.tiktok.scopes",
        "unknown scope 'video.delete'",
    ),
    (
        "no-basic-scope",
        {"platforms__tiktok__scopes": ["video.publish"]},
        "extra.app.platforms.tiktok.scopes",
        "user.info.basic",
    ),
    (
        "bad-token",
        {"verification": {"tiktok": [{"token": "not a token!"}]}},
        "extra.app.verification.tiktok[0].token",
        "8-128 letters",
    ),
    (
        "bad-prefix",
        {"verification": {"tiktok": [{"token": "Xk3mPq9LrT2vWz7aB4cD", "prefix": "../up"}]}},
        "extra.app.verification.tiktok[0].prefix",
        "site path",
    ),
    (
        "processor-missing-url",
        {"processors": [{"name": "Host", "purpose": "Hosting", "data": "All"}]},
        "extra.app.processors[0].policy_url",
        "is required",
    ),
    (
        "processor-http-url",
        {
            "processors": [
                {"name": "Host", "purpose": "Hosting", "data": "All", "policy_url": "http://host.example/privacy"}
            ]
        },
        "extra.app.processors[0].policy_url",
        "https://",
    ),
    (
        "data-row-unknown-field",
        {
            "data_rows": [
                {"data": "a", "source": "b", "purpose": "c", "storage": "d", "retention": "e", "colour": "red"}
            ]
        },
        "extra.app.data_rows[0].colour",
        "not a known field",
    ),
    ("history-bad-date", {"history": [{"date": "someday", "summary": "x"}]}, "extra.app.history[0].date", "YYYY-MM-DD"),
    ("unknown-top-level", {"colour": "teal"}, "extra.app.colour", "is not a known fact"),
    ("app-not-a-mapping", {"__whole__": ["name", "operator"]}, "extra.app", "is required"),
    ("invalid-yaml", "site_name: [unclosed\nextra: {app: \n", "is not valid YAML", "line"),
    ("file-not-a-mapping", "- just\n- a list\n", "must be a YAML mapping", ""),
    ("empty-file", "", "must be a YAML mapping", ""),
]


@pytest.fixture(params=BAD, ids=[b[0] for b in BAD])
def bad(request, tmp_path, facts_file):
    """A bad facts file, with the key path and phrase its error must contain."""
    _, change, path, phrase = request.param
    if isinstance(change, str):
        target = tmp_path / "mkdocs.yml"
        target.write_text(change)
    elif "__whole__" in change:
        target = facts_file()
        target.write_text(target.read_text().split("  app:")[0] + "  app:\n    - name\n    - operator\n")
    else:
        target = facts_file(**change)
    return target, path, phrase


def test_loader_names_the_key(bad):
    target, path, phrase = bad
    with pytest.raises(FactsError) as err:
        load_facts(target)
    assert path in str(err.value) and phrase in str(err.value)
    assert all(": " in line for line in err.value.problems)


def test_cli_build_gives_a_clean_error(bad):
    target, path, phrase = bad
    result = CliRunner().invoke(cli, ["--facts", str(target), "build", "-f", str(ROOT / "mkdocs.yml")])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's clean exit, not a crash
    assert path in result.output and phrase in result.output
    assert "Traceback" not in result.output


def test_mkdocs_plugin_gives_the_same_error(bad):
    target, path, phrase = bad
    with pytest.raises(SiteError) as err:
        build(facts=target)
    assert path in str(err.value) and phrase in str(err.value)
    assert "Traceback" not in str(err.value)


def test_every_problem_is_listed_at_once(facts_file):
    target = facts_file(name=None, retention__records_days="thirty", urls__site="http://x.example")
    with pytest.raises(FactsError) as err:
        load_facts(target)
    paths = [line.split(":")[0] for line in err.value.problems]
    assert {"extra.app.name", "extra.app.retention.records_days", "extra.app.urls.site"} <= set(paths)


def test_plain_mkdocs_build_reports_bad_facts_without_traceback(facts_file, tmp_path):
    target = facts_file(retention__tokens_unused_days="ninety")
    env = {**os.environ, "GREENLIGHT_FACTS": str(target), "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert 'extra.app.retention.tokens_unused_days: must be a positive integer, got "ninety"' in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", ["repo", "creator", "studio"])
def test_example_facts_are_valid(name):
    facts = load_facts(EXAMPLES[name] or ROOT / "mkdocs.yml")
    assert facts.draft  # fictional operators: a production build must refuse them
    assert facts.platform("tiktok").scopes


def test_scope_reasons_come_from_the_known_list_or_the_operator():
    facts = load_facts(EXAMPLES["studio"])
    reasons = {s.name: s.why for s in facts.platform("tiktok").scopes}
    assert reasons["video.publish"] == SCOPES["tiktok"]["video.publish"]
    assert reasons["video.list"].startswith("List your recent public videos")
