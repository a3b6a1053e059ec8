"""The purge obeys the optional retention facts: until_revoked, until_deleted, content_days, no receipts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.records import Records
from callback.data.retention import plan, purge
from callback.data.tokens import TokenStore
from callback.facts import load_facts

DAY = 86400
NOW = 1_900_000_000.0


@pytest.fixture
def stores(app_config):
    """An account unused for years, receipts of every age and kind, and a receipt closed a minute ago."""
    store, recs = TokenStore(app_config["DATA_DIR"]), Records(app_config["DATA_DIR"])
    store.put(
        {
            "open_id": "unused-for-years",
            "access_token": "act.old",
            "refresh_token": "rft.old",
            "connected_at": NOW - 1000 * DAY,
            "last_used_at": NOW - 900 * DAY,
        }
    )
    for name, age in (
        ("post.publish.complete", 20),
        ("post.publish.failed", 5),
        ("authorization.removed", 20),
        ("some.other.event", 900),
    ):
        recs.events.add(
            {
                "id": f"{name}-{age}",
                "at": NOW - age * DAY,
                "event": name,
                "user": "someone",
                "content": {"publish_id": f"p{age}"},
                "done": True,
            }
        )
    recs.deletions.add(now=NOW - 120, source="tiktok", status="completed", closed_at=NOW - 60, subject="ab" * 32)
    return store, recs


def facts_with(facts_file, **retention):
    base = {"tokens_unused_days": 90, "records_days": 30, "deletion_response_hours": 72, "deletion_receipts_days": 365}
    return load_facts(facts_file(retention={**base, **retention}))


def test_until_revoked_keeps_unused_tokens(facts_file, stores):
    store, recs = stores
    p = purge(facts_with(facts_file, tokens_unused_days="until_revoked"), store, recs, now=NOW)
    assert p.token_cutoff is None and p.accounts == [] and store.get("unused-for-years")
    p = purge(facts_with(facts_file), store, recs, now=NOW)
    assert [a["open_id"] for a in p.accounts] == ["unused-for-years"] and store.get("unused-for-years") is None


def test_until_deleted_keeps_receipts_of_any_age(facts_file, stores):
    store, recs = stores
    purge(facts_with(facts_file, records_days="until_deleted"), store, recs, now=NOW)
    assert len(recs.events.receipts()) == 4


def test_content_days_apply_to_publishing_records_only(facts_file, stores):
    store, recs = stores
    facts = facts_with(facts_file, records_days=1000, content_days=10)
    assert plan(facts, store, recs, NOW).receipts == 1
    purge(facts, store, recs, now=NOW)
    assert sorted(r["id"] for r in recs.events.receipts()) == [
        "authorization.removed-20",
        "post.publish.failed-5",
        "some.other.event-900",
    ]


def test_content_days_follow_records_days_unless_given(facts_file, stores):
    store, recs = stores
    facts = facts_with(facts_file, records_days=15)
    assert facts.retention.content == 15
    purge(facts, store, recs, now=NOW)
    assert sorted(r["id"] for r in recs.events.receipts()) == ["post.publish.failed-5"]


def test_no_receipts_kept_means_the_next_purge_removes_them(facts_file, stores):
    store, recs = stores
    purge(facts_with(facts_file, deletion_receipts_days=365), store, recs, now=NOW)
    assert len(recs.deletions.all()) == 1
    purge(facts_with(facts_file, deletion_receipts_days=0), store, recs, now=NOW)
    assert recs.deletions.all() == []


def test_the_purge_command_says_what_it_keeps(facts_file, app_config):
    facts = facts_file(
        retention={
            "tokens_unused_days": "until_revoked",
            "records_days": "until_deleted",
            "deletion_response_hours": 72,
            "deletion_receipts_days": 0,
        }
    )
    result = CliRunner().invoke(
        cli, ["--facts", str(facts), "purge", "--dry-run", "--data-dir", app_config["DATA_DIR"]]
    )
    assert result.exit_code == 0, result.output
    assert "tokens are kept until revoked" in result.output
    assert "none goes by age (records_days: until_deleted)" in result.output
