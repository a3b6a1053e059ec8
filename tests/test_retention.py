"""Retention: the purge applies the facts' numbers (with a fake clock), and the policy prints the same numbers."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.records import Records
from callback.data.retention import plan, purge
from callback.data.tokens import TokenStore
from callback.facts import load_facts
from data_support import snapshot

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400
NOW = 1_900_000_000.0


@pytest.fixture
def stores(app_config, sandbox):
    """A data directory holding accounts, receipts and requests of many ages (tokens issued by the sandbox)."""
    store, recs = TokenStore(app_config["DATA_DIR"]), Records(app_config["DATA_DIR"])

    def account(open_id, **times):
        tokens = sandbox.state.issue_tokens(sandbox.client.key, open_id, ("user.info.basic",))
        store.put(
            {
                "open_id": open_id,
                "display_name": open_id.title(),
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                **times,
            }
        )

    account("used-91-days-ago", last_used_at=NOW - 91 * DAY, refreshed_at=NOW - 1 * DAY, connected_at=NOW - 300 * DAY)
    account("used-89-days-ago", last_used_at=NOW - 89 * DAY, connected_at=NOW - 300 * DAY)
    account("refreshed-100-days-ago", refreshed_at=NOW - 100 * DAY, connected_at=NOW - 300 * DAY)
    account("connected-long-ago-refreshed-often", refreshed_at=NOW - 1 * DAY, connected_at=NOW - 80 * DAY)
    account("connected-10-days-ago", connected_at=NOW - 10 * DAY)
    account("connected-95-days-ago", connected_at=NOW - 95 * DAY)
    account("never-used-but-refreshed", connected_at=NOW - 120 * DAY, refreshed_at=NOW - 1 * DAY)
    account("refreshed-only-legacy", refreshed_at=NOW - 100 * DAY)
    store.put({"open_id": "no-dates-at-all", "access_token": "act.x", "refresh_token": "rft.x"})
    for age, done in ((31, True), (45, False), (29, True), (1, True)):
        recs.events.add(
            {
                "id": f"event-{age}",
                "at": NOW - age * DAY,
                "event": "post.publish.complete",
                "user": "someone",
                "content": {"publish_id": f"p{age}"},
                "done": done,
            }
        )
    recs.events.mark_done("event-45")
    ages = {}
    for age, status in ((366, "completed"), (364, "completed"), (400, "rejected"), (400, "received")):
        req = recs.deletions.add(
            now=NOW - age * DAY - 60,
            source="form",
            status=status,
            **({"closed_at": NOW - age * DAY} if status != "received" else {}),
        )
        ages[(age, status)] = req["code"]
    return store, recs, ages


def test_dry_run_lists_what_goes_and_changes_nothing(app_config, stores, sandbox):
    store, recs, ages = stores
    facts = load_facts(ROOT / "mkdocs.yml")
    before = snapshot(app_config["DATA_DIR"])
    p = purge(facts, store, recs, now=NOW, dry_run=True, revoke=lambda acc: pytest.fail("revoked in a dry run"))
    # A refresh is not a use: an account the app never used goes 90 days after connecting.
    assert sorted(a["open_id"] for a in p.accounts) == [
        "connected-95-days-ago",
        "never-used-but-refreshed",
        "refreshed-100-days-ago",
        "refreshed-only-legacy",
        "used-91-days-ago",
    ]
    assert p.receipts == 2 and sorted(p.requests) == sorted([ages[(366, "completed")], ages[(400, "rejected")]])
    assert p.notes == ["account no-dates-at-all has no usage dates; kept"]
    assert snapshot(app_config["DATA_DIR"]) == before and sandbox.calls("revoke") == 0


def test_purge_applies_every_retention_fact(app_config, stores, sandbox):
    store, recs, ages = stores
    facts = load_facts(ROOT / "mkdocs.yml")
    assert (
        facts.retention.tokens_unused_days,
        facts.retention.records_days,
        facts.retention.deletion_receipts_days,
    ) == (90, 30, 365)
    from callback.platform.tiktok import revoker

    settings = {
        "TIKTOK_CLIENT_KEY": sandbox.client.key,
        "TIKTOK_CLIENT_SECRET": sandbox.client.secret,
        "TIKTOK_AUTH_BASE": sandbox.url,
        "TIKTOK_API_BASE": sandbox.url,
        "HTTP_TIMEOUT": 2,
        "HTTP_RETRIES": 1,
        "HTTP_BACKOFF": 0.01,
    }
    purge(facts, store, recs, now=NOW, revoke=revoker(settings))

    assert sorted(a["open_id"] for a in store.list()) == [
        "connected-10-days-ago",
        "connected-long-ago-refreshed-often",
        "no-dates-at-all",
        "used-89-days-ago",
    ]
    assert sandbox.calls("revoke") == 5  # revoked at TikTok before being deleted here
    for gone in ("used-91-days-ago", "refreshed-100-days-ago", "connected-95-days-ago", "never-used-but-refreshed"):
        assert sandbox.state.authorized(gone) == []
        assert gone not in "".join(p.read_text() for p in Path(app_config["DATA_DIR"]).glob("tokens.*"))
    assert sandbox.state.authorized("used-89-days-ago") == [sandbox.client.key]
    assert [r["id"] for r in recs.events.receipts()] == ["event-29", "event-1"]
    assert "event-45" not in Path(app_config["DATA_DIR"], "webhooks.jsonl").read_text()  # its done line too
    assert sorted(r["code"] for r in recs.deletions.all()) == sorted(
        [ages[(364, "completed")], ages[(400, "received")]]
    )  # a waiting request is never purged


def test_cutoffs_are_strict_and_follow_the_clock(app_config, stores):
    store, recs, _ = stores
    facts = load_facts(ROOT / "mkdocs.yml")
    earlier = plan(facts, store, recs, NOW - 2 * DAY)
    assert sorted(a["open_id"] for a in earlier.accounts) == [
        "connected-95-days-ago",
        "never-used-but-refreshed",
        "refreshed-100-days-ago",
        "refreshed-only-legacy",
    ]
    later = plan(facts, store, recs, NOW + 2 * DAY)
    assert "used-89-days-ago" in [a["open_id"] for a in later.accounts]
    assert plan(facts, store, recs, NOW - 2 * DAY).receipts == 1  # only the 45-day-old one
    assert plan(facts, store, recs, NOW + 29 * DAY).receipts == 3  # the one exactly 30 days old stays


def test_revoke_failure_still_deletes_locally(app_config, stores):
    store, recs, _ = stores
    facts = load_facts(ROOT / "mkdocs.yml")

    def down(account):
        raise ConnectionError("TikTok unreachable")

    p = purge(facts, store, recs, now=NOW, revoke=down)
    assert store.get("used-91-days-ago") is None
    assert any("revoking used-91-days-ago at TikTok failed" in n and "deleted locally anyway" in n for n in p.notes)


def test_a_changed_fact_changes_the_policy_and_the_purge_together(app_config, stores, facts_file):
    """The promise and the code read the same number: change it once, both move."""
    from callback.site.render import render_page

    store, recs, _ = stores
    source = (ROOT / "docs" / "privacy.md").read_text()

    def receipts_row(facts) -> str:
        page = render_page("privacy.md", source, facts)
        return next(line for line in page.splitlines() if line.startswith("| Webhook receipts"))

    def tokens_sentence(facts) -> str:
        page = render_page("privacy.md", source, facts)
        return re.search(r"deleted after ([^.]+) without use", page).group(1)

    default = load_facts(ROOT / "mkdocs.yml")
    changed = load_facts(facts_file(retention__records_days=40, retention__tokens_unused_days=92))
    assert receipts_row(default).rstrip(" |").endswith("30 days")
    assert receipts_row(changed).rstrip(" |").endswith("40 days")
    assert tokens_sentence(default) == "90 days" and tokens_sentence(changed) == "92 days"

    assert plan(default, store, recs, NOW).records_cutoff == NOW - 30 * DAY
    assert plan(changed, store, recs, NOW).records_cutoff == NOW - 40 * DAY
    assert plan(default, store, recs, NOW).receipts == 2 and plan(changed, store, recs, NOW).receipts == 1
    assert "used-91-days-ago" in [a["open_id"] for a in plan(default, store, recs, NOW).accounts]
    assert "used-91-days-ago" not in [a["open_id"] for a in plan(changed, store, recs, NOW).accounts]


def test_purge_command(app_config, sandbox):
    store, recs = TokenStore(app_config["DATA_DIR"]), Records(app_config["DATA_DIR"])
    tokens = sandbox.state.issue_tokens(sandbox.client.key, "-000idle", ("user.info.basic",))
    now = time.time()
    store.put(
        {
            "open_id": "-000idle",
            "display_name": "Idle Ida",
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "last_used_at": now - 100 * DAY,
        }
    )
    store.put(
        {
            "open_id": "-000busy",
            "display_name": "Busy Bo",
            "access_token": "act.b",
            "refresh_token": "rft.b",
            "last_used_at": now - DAY,
        }
    )
    recs.events.add({"id": "old", "at": now - 40 * DAY, "event": "x", "user": "-000idle", "done": True})
    env = {
        "GREENLIGHT_DATA_DIR": app_config["DATA_DIR"],
        "TIKTOK_CLIENT_KEY": sandbox.client.key,
        "TIKTOK_CLIENT_SECRET": sandbox.client.secret,
        "GREENLIGHT_TIKTOK_API_BASE": sandbox.url,
        "GREENLIGHT_HTTP_BACKOFF": "0.01",
    }
    before = snapshot(app_config["DATA_DIR"])
    dry = CliRunner().invoke(cli, ["purge", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would delete the tokens of Idle Ida (-000idle)" in dry.output and "Busy Bo" not in dry.output
    assert "would delete 1 webhook receipt(s)" in dry.output and "(30 days)" in dry.output
    assert "Dry run: nothing was changed." in dry.output
    assert snapshot(app_config["DATA_DIR"]) == before

    real = CliRunner().invoke(cli, ["purge"], env=env)
    assert real.exit_code == 0 and "deleted the tokens of Idle Ida" in real.output
    assert store.get("-000idle") is None and store.get("-000busy")
    assert sandbox.calls("revoke") == 1 and recs.events.receipts() == []


def test_deploy_units_run_the_purge_daily():
    service = (ROOT / "deploy" / "greenlight-purge.service").read_text()
    timer = (ROOT / "deploy" / "greenlight-purge.timer").read_text()
    assert re.search(r"^ExecStart=.*greenlight\b.* purge$", service, re.M)
    assert re.search(r"^OnCalendar=daily$", timer, re.M) and "Persistent=true" in timer
    cron = (ROOT / "deploy" / "greenlight-purge.cron").read_text()
    assert re.search(r"^\d+ \d+ \* \* \* \S+ .*greenlight.* purge", cron, re.M)


@pytest.mark.parametrize("request_kind", ["page", "webhook"])
def test_the_service_purges_daily_by_itself(sandbox_config, sandbox, request_kind):
    """Without the timer the promise still holds: a request to a service whose last purge is old starts one.

    A webhook delivery counts too (answered below Flask): a service that only ever gets those still purges.
    """
    from callback import create_app
    from callback.sandbox.webhooks import signature, webhook_body
    from callback.service.scheduler import start_background_purge

    app = create_app({**sandbox_config, "PURGE_INTERVAL_HOURS": 24})
    store = app.extensions["greenlight"]["store"]
    tokens = sandbox.state.issue_tokens(sandbox.client.key, "-000idle", ("user.info.basic",))
    store.put(
        {
            "open_id": "-000idle",
            "access_token": tokens["access_token"],
            "refresh_token": "rft.i",
            "last_used_at": time.time() - 100 * DAY,
        }
    )
    store.put({"open_id": "-000busy", "access_token": "act.b", "refresh_token": "rft.b", "last_used_at": time.time()})
    stamp = Path(sandbox_config["DATA_DIR"], "purge.stamp")
    if request_kind == "page":
        assert app.test_client().get("/healthz").status_code == 200
    else:
        now = int(time.time())
        body = webhook_body(sandbox_config["TIKTOK_CLIENT_KEY"], "post.publish.complete", "-000x", {}, now)
        sig = signature(sandbox_config["TIKTOK_CLIENT_SECRET"], now, body)
        r = app.test_client().post("/webhooks/tiktok", data=body, headers={"TikTok-Signature": sig})
        assert r.status_code == 200
    for _ in range(100):  # the purge runs beside the request, in its own thread
        if stamp.exists():
            break
        time.sleep(0.05)
    assert stamp.exists() and store.get("-000idle") is None and store.get("-000busy")
    assert sandbox.calls("revoke") == 1
    assert start_background_purge(app, 24, time.time()) is None  # done today: not again
    tomorrow = start_background_purge(app, 24, time.time() + 25 * 3600)
    assert tomorrow is not None  # a day later: again
    tomorrow.join(timeout=10)


def test_a_purge_that_cannot_start_fails_no_request(sandbox_config, monkeypatch, caplog):
    """The purge check runs below Flask on every request: its failure is logged, never the request's."""
    from callback import create_app
    from callback.service import scheduler

    def broken(*args):
        raise OSError("no threads left")

    monkeypatch.setattr(scheduler, "start_background_purge", broken)
    app = create_app({**sandbox_config, "PURGE_INTERVAL_HOURS": 24})
    assert app.test_client().get("/healthz").status_code == 200
    assert "could not start the scheduled purge" in caplog.text


def test_no_background_purge_in_tests_and_the_demo(app):
    app.test_client().get("/healthz")
    assert not Path(app.config["DATA_DIR"], "purge.stamp").exists()


@pytest.mark.parametrize(
    "setting,testing,expected",
    [
        (None, True, False),
        ("", True, False),
        (None, False, True),
        ("", False, True),
        ("0", False, False),
        (6, True, True),
    ],
)
def test_background_purge_setting(app_config, setting, testing, expected):
    from callback import create_app

    config = {**app_config, "TESTING": testing}
    if setting is not None:
        config["PURGE_INTERVAL_HOURS"] = setting
    app = create_app(config)
    from callback.service import direct

    assert any(f.__name__ == "_purge_when_due" for f in direct.routes(app).on_request) is expected
