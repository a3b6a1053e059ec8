"""`greenlight deletions`: the operator's review queue for deletion requests (list, approve, reject)."""

from __future__ import annotations

import time

import click

from callback.cli.common import cli_settings, data_dir_option, echo_table, facts_from, open_stores
from callback.data.accounts import named
from callback.data.deletions import IDENTIFIERS, identifier
from callback.data.erasure import due_at, erase_user, overdue
from callback.data.records import Records
from callback.facts.dates import utc_text
from callback.platform.tiktok import revoker


@click.group("deletions")
def deletions() -> None:
    """Review deletion requests: list them, approve (erase the account's data) or reject."""


@deletions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include completed and rejected requests.")
@click.option("--check", is_flag=True, help="Exit with status 1 when any request is past the promised time.")
@data_dir_option
@click.pass_context
def list_requests(ctx: click.Context, show_all: bool, check: bool, data_dir: str | None) -> None:
    """List waiting deletion requests; flag those past the promised answer time as OVERDUE."""
    hours = facts_from(ctx).retention.deletion_response_hours
    _, recs = open_stores(ctx, data_dir)
    now, reqs = time.time(), recs.deletions.all()
    late = {r["code"] for r in overdue(reqs, hours, now)}
    shown = [r for r in reqs if show_all or r["status"] == "received"]
    if shown:
        table = [("CODE", "STATUS", "RECEIVED (UTC)", "ANSWER DUE (UTC)", "ACCOUNT", "EMAIL", "NOTE")]
        for r in shown:
            table.append(
                (
                    r["code"],
                    "OVERDUE" if r["code"] in late else r["status"],
                    utc_text(r["received_at"]),
                    utc_text(due_at(r, hours)) if r["status"] == "received" else "",
                    identifier(r),
                    r.get("email", ""),
                    r.get("note", ""),
                )
            )
        echo_table(table)
    else:
        click.echo("No deletion requests are waiting." if not show_all else "No deletion requests.")
    if late:
        click.secho(
            f"{len(late)} request(s) OVERDUE: the privacy policy promises an answer within {hours} hours. "
            "Approve or reject them now.",
            fg="red",
            bold=True,
            err=True,
        )
        if check:
            ctx.exit(1)


@deletions.command("approve")
@click.argument("code")
@click.option("--open-id", help="The account to erase, when the request's name matches several or none.")
@data_dir_option
@click.pass_context
def approve(ctx: click.Context, code: str, open_id: str | None, data_dir: str | None) -> None:
    """Erase the data of the account a request names, and mark it completed."""
    store, recs = open_stores(ctx, data_dir)
    req = _pending(recs, code)
    username = req.get("username") or ""
    open_id = open_id or req.get("open_id") or req.get("meta_user_id")
    if not open_id and username:
        owners = named(store.list(), username)
        if len(owners) > 1:
            raise click.ClickException(
                f"{len(owners)} connected accounts are named {username!r} (open_ids "
                f"{', '.join(a['open_id'] for a in owners)}): choose one with --open-id"
            )
        open_id = owners[0]["open_id"] if owners else ""
    email = req.get("email")
    done = erase_user(
        open_id or "",
        store=store,
        recs=recs,
        source="review",
        reason="approved by the operator",
        code=req["code"],
        revoke=revoker(cli_settings(ctx, data_dir)),
    )
    if done["revoked"] is False:
        click.secho("Revoking the tokens at TikTok failed; they were deleted here anyway.", fg="yellow", err=True)
    if not done["tokens"] and not done["events"]:
        click.echo(f"No stored account or webhook record matched {username or open_id!r}.")
    click.echo(
        f"Request {req['code']} completed: tokens {'deleted' if done['tokens'] else 'none'}, "
        f"{done['events']} webhook receipt(s) and {done['requests']} request(s) erased."
    )
    if email:
        click.echo(f"Tell the requester it is done: {email} (this address is now deleted from the records).")


@deletions.command("reject")
@click.argument("code")
@click.option("--reason", required=True, help="Why, in words the requester will read on the status page.")
@data_dir_option
@click.pass_context
def reject(ctx: click.Context, code: str, reason: str, data_dir: str | None) -> None:
    """Reject a deletion request, with a reason shown on its status page."""
    _, recs = open_stores(ctx, data_dir)
    req = _pending(recs, code)
    # Once answered, a request keeps no identifier (the policy's "minimal receipt"), rejected or not.
    recs.deletions.update(
        req["code"],
        status="rejected",
        closed_at=time.time(),
        note=reason.strip()[:500],
        subject=recs.subject(identifier(req)),
        **dict.fromkeys(IDENTIFIERS),
    )
    click.echo(f"Request {req['code']} rejected.")
    if req.get("email"):
        click.echo(f"Tell the requester why: {req['email']} (this address is now deleted from the records).")


def _pending(recs: Records, code: str) -> dict:
    req = recs.deletions.get(code.strip().upper())
    if req is None:
        raise click.ClickException(f"no deletion request has the code {code!r}")
    if req["status"] != "received":
        raise click.ClickException(f"request {req['code']} is already {req['status']}")
    return req
