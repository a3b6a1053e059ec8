"""Retention: delete what the facts say must go, on the schedule the privacy policy prints."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import click

from callback.facts import Facts
from callback.records import Records, data_dir_option, open_stores
from callback.store import TokenStore

log = logging.getLogger("greenlight.retention")
DAY = 86400


@dataclass
class Plan:
    """What a purge removes: accounts whose tokens go, and how many receipts and requests."""

    token_cutoff: float
    records_cutoff: float
    receipts_cutoff: float
    accounts: list[dict] = field(default_factory=list)
    receipts: int = 0
    requests: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def last_used(account: dict) -> float | None:
    """When an account's tokens were last used: last_used_at, else connected_at (else refreshed_at).

    A refresh is not a use: the refresh timer renews every account, so counting refreshed_at would
    keep an account the app never uses for ever, against the policy's "days after the app last used them".
    """
    for key in ("last_used_at", "connected_at", "refreshed_at"):
        if account.get(key):
            return float(account[key])
    return None


def plan(facts: Facts, store: TokenStore, recs: Records, now: float) -> Plan:
    """Work out what the retention facts say must go at `now`, changing nothing."""
    r = facts.retention
    p = Plan(token_cutoff=now - r.tokens_unused_days * DAY, records_cutoff=now - r.records_days * DAY,
             receipts_cutoff=now - r.deletion_receipts_days * DAY)
    for acc in store.list():
        used = last_used(acc)
        if used is None:
            p.notes.append(f"account {acc['open_id']} has no usage dates; kept")
        elif used < p.token_cutoff:
            p.accounts.append(acc)
    p.receipts = sum(1 for x in recs.events.receipts() if x["at"] < p.records_cutoff)
    p.requests = [x["code"] for x in recs.deletions.all() if _closed_before(x, p.receipts_cutoff)]
    return p


def _closed_before(req: dict, cutoff: float) -> bool:
    return req["status"] in ("completed", "rejected") and req.get("closed_at", req["received_at"]) < cutoff


def purge(facts: Facts, store: TokenStore, recs: Records, *, now: float | None = None, dry_run: bool = False,
          revoke: Callable[[dict], None] | None = None) -> Plan:
    """Apply the retention facts: revoke then delete unused tokens, drop old receipts; return the plan."""
    p = plan(facts, store, recs, time.time() if now is None else now)
    if dry_run:
        return p
    for acc in p.accounts:
        if revoke is not None:
            try:
                revoke(acc)
            except Exception as exc:  # any failure at TikTok: the promise to delete locally still holds
                p.notes.append(f"revoking {acc['open_id']} at TikTok failed ({type(exc).__name__}: {exc}); "
                               "deleted locally anyway")
        store.delete(acc["open_id"])  # also drops the account's lines from the token journal
    recs.events.rewrite(lambda x: None if x["at"] < p.records_cutoff else x)
    codes = set(p.requests)
    recs.deletions.rewrite(lambda x: None if x["code"] in codes and _closed_before(x, p.receipts_cutoff) else x)
    log.info("purge: %d unused account(s), %d webhook receipt(s), %d deletion receipt(s) removed",
             len(p.accounts), p.receipts, len(p.requests))
    return p


def _day(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and change nothing.")
@data_dir_option
@click.pass_context
def purge_command(ctx: click.Context, dry_run: bool, data_dir: str | None) -> None:
    """Delete what the retention facts say must go (run it daily: see deploy/greenlight-purge.timer)."""
    from callback.cli import facts_from
    from callback.config import load_settings
    from callback.deletion import platform_revoke

    facts = facts_from(ctx)
    store, recs = open_stores(data_dir)
    p = purge(facts, store, recs, dry_run=dry_run, revoke=platform_revoke(load_settings()))
    r, verb = facts.retention, "would delete" if dry_run else "deleted"
    for acc in p.accounts:
        click.echo(f"{verb} the tokens of {acc.get('display_name') or '(no name)'} ({acc['open_id']}): unused "
                   f"since {_day(last_used(acc))}, over {r.tokens_unused_days} days")
    click.echo(f"{verb} {p.receipts} webhook receipt(s) received before {_day(p.records_cutoff)} "
               f"({r.records_days} days)")
    click.echo(f"{verb} {len(p.requests)} deletion receipt(s) closed before {_day(p.receipts_cutoff)} "
               f"({r.deletion_receipts_days} days)")
    for note in p.notes:
        click.secho(note, fg="yellow", err=True)
    if dry_run:
        click.echo("Dry run: nothing was changed.")


def init_app(app) -> None:
    """Also purge from inside the service, at most every PURGE_INTERVAL_HOURS, so the promise holds without a timer.

    Off under TESTING and in the demo (their data is deliberately old or fake); the timer in deploy/
    remains the primary schedule, and whichever runs first leaves the other nothing to do.
    """
    relaxed = app.config.get("TESTING") or app.config.get("DEMO")
    setting = app.config.get("PURGE_INTERVAL_HOURS")  # unset or "": 24, but off in tests and the demo
    hours = float(setting) if setting not in (None, "") else 0.0 if relaxed else 24.0
    if hours <= 0:
        return
    checked = {"next": 0.0}

    @app.before_request
    def _purge_when_due() -> None:
        now = time.time()
        if now >= checked["next"]:
            checked["next"] = now + 600  # look at the stamp file at most every ten minutes per process
            start_background_purge(app, hours, now)


def start_background_purge(app, hours: float, now: float):
    """Start a purge in a thread if the last one is over `hours` old and no other process runs one; return it."""
    import fcntl
    import os
    import threading
    from pathlib import Path

    stamp = Path(app.config["DATA_DIR"]) / "purge.stamp"
    try:
        if stamp.stat().st_mtime > now - hours * 3600:
            return None
    except FileNotFoundError:
        pass
    fd = os.open(f"{stamp}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None  # another worker is purging right now
    if stamp.exists() and stamp.stat().st_mtime > now - hours * 3600:
        os.close(fd)
        return None  # it finished between our look at the stamp and our lock

    def run() -> None:
        from callback.deletion import platform_revoke
        from callback.records import records_for

        try:
            ext = app.extensions["greenlight"]
            p = purge(ext["facts"], ext["store"], records_for(app), revoke=platform_revoke(app.config))
            for note in p.notes:
                log.warning("purge: %s", note)
            stamp.touch(mode=0o600)
        except Exception:  # a failed purge is retried at the next check; it must never take the service down
            log.exception("the scheduled purge failed")
        finally:
            os.close(fd)

    thread = threading.Thread(target=run, name="greenlight-purge", daemon=True)
    thread.start()
    return thread
