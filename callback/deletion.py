"""Deletion requests: the public form, its status pages, the review queue, and erasing a user everywhere."""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Callable

import click
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from callback.records import IDENTIFIERS, Records, data_dir_option, mentions, open_stores, records, records_for
from callback.security import add_rate_limit, check_csrf, rate_limit
from callback.store import TokenStore

log = logging.getLogger("greenlight.deletion")
bp = Blueprint("deletion", __name__)
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.]{2,24}$")
OPEN_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def erase_user(open_id: str, *, source: str, reason: str = "", code: str | None = None, names: tuple = (),
               revoke: Callable[[dict], None] | None = None, store: TokenStore | None = None,
               recs: Records | None = None, now: float | None = None) -> dict:
    """Remove every record naming this account from every store, keeping one hashed receipt; say what went.

    With `revoke`, a stored account's tokens are revoked at TikTok first; a failure there is logged
    and the local deletion goes ahead (the promise is about what we keep).
    """
    from callback.app import store as app_store

    now = time.time() if now is None else now
    store = app_store() if store is None else store
    recs = records() if recs is None else recs
    account = store.get(open_id) if open_id else None
    own = (account.get("display_name"), account.get("username")) if account else ()
    names = {n.casefold() for n in (*names, *own) if n}
    revoked = None
    if account and revoke is not None and account.get("access_token"):
        try:
            revoke(account)
            revoked = True
        except Exception as exc:  # TikTok unreachable or refusing: delete locally all the same
            revoked = False
            log.warning("could not revoke the tokens at TikTok before erasing (%s); deleting them locally anyway",
                        type(exc).__name__)
    tokens = store.delete(open_id) if account else False  # delete() also drops the account's journal lines
    # A display name is not unique: never let it reach the requests of another connected account.
    names -= {(a.get(k) or "").casefold() for a in store.list() for k in ("display_name", "username")}
    subject = recs.subject(open_id or min(names, default=""))
    events = recs.events.rewrite(lambda r: _anonymous(r) if open_id and mentions(r, open_id) else r)
    requests = recs.deletions.erase(ids={open_id} - {""}, names=names, codes={code} - {None}, subject=subject,
                                    now=now, note=reason)
    if code is None:
        code = recs.deletions.add(now=now, source=source, status="completed", closed_at=now, subject=subject,
                                  note=reason)["code"]
    log.info("erased account %s (%s): tokens %s, %d webhook receipts, %d deletion requests; receipt %s",
             subject[:16], source, "deleted" if tokens else "none", events, requests, code)
    return {"subject": subject, "tokens": tokens, "revoked": revoked, "events": events, "requests": requests,
            "code": code}


def platform_revoke(settings: dict) -> Callable[[dict], None]:
    """Return a function revoking an account's access token at TikTok (or the sandbox the settings name)."""
    from callback.tiktok import TikTok

    client = TikTok.from_settings(settings)
    return lambda account: client.revoke(account["access_token"])


def _anonymous(receipt: dict) -> dict:
    """Keep only what lets a redelivery be recognised (the event's hash, name and time), naming nobody."""
    return {"id": receipt["id"], "at": receipt["at"], "event": receipt["event"], "erased": True,
            "done": receipt.get("done", True)}


def due_at(req: dict, hours: int) -> float:
    """When the answer to a request is due, by the promise in the facts."""
    return req["received_at"] + hours * 3600


def overdue(reqs: list[dict], hours: int, now: float) -> list[dict]:
    """Return the requests still waiting past the promised answer time."""
    return [r for r in reqs if r["status"] == "received" and due_at(r, hours) < now]


def _hours() -> int:
    from callback.app import facts

    return facts().retention.deletion_response_hours


def warn_overdue(recs: Records, hours: int, now: float | None = None) -> int:
    """Log loudly how many requests are past the promised answer time; return the count."""
    late = overdue(recs.deletions.all(), hours, time.time() if now is None else now)
    if late:
        log.error("%d deletion request(s) OVERDUE (promised within %d hours): %s; run `greenlight deletions "
                  "list`", len(late), hours, ", ".join(r["code"] for r in late[:10]))
    return len(late)


def _find(code: str) -> dict:
    code = code.strip().upper()  # people retype codes from an email or a note
    req = records().deletions.get(code) if CODE.match(code) else None
    if req is None:
        abort(404, description="There is no deletion request with that code. Check the code and try again.")
    return req


@bp.before_request
def _check_queue():
    warn_overdue(records(), _hours())


@bp.route("/deletion", methods=["GET", "POST"])
def form():
    """Show the deletion form, or take a request and send the person to its status page."""
    values, errors = {"account": "", "email": ""}, {}
    if request.method == "POST":
        rate_limit("deletion")
        check_csrf()
        values = {k: request.form.get(k, "").strip() for k in values}
        fields, errors = parse_form(values)
        if not errors:
            req = records().deletions.add(source="form", **fields)
            log.info("deletion request %s received", req["code"])
            return redirect(url_for(".status", code=req["code"], new=1), code=303)
    return render_template("deletion.html", values=values, errors=errors, hours=_hours()), 400 if errors else 200


def parse_form(values: dict) -> tuple[dict, dict]:
    """Read the form's account and email into request fields; return (fields, errors by field)."""
    fields, errors = {}, {}
    account = values["account"].removeprefix("@")
    if not account:
        errors["account"] = "Enter your TikTok username or open_id."
    elif USERNAME.match(account):
        fields["username"] = account
    elif OPEN_ID.match(account):
        fields["open_id"] = account
    else:
        errors["account"] = ("That does not look like a TikTok username (letters, digits, _ and ., up to 24) "
                             "or an open_id.")
    if values["email"] and (len(values["email"]) > 254 or not EMAIL.match(values["email"])):
        errors["email"] = "Enter an email address like name@example.com, or leave this empty."
    elif values["email"]:
        fields["email"] = values["email"]
    return fields, errors


@bp.get("/deletion/<code>")
def status(code: str):
    """Show a request's status: received, completed or rejected, with dates and the promised answer time."""
    req, hours = _find(code), _hours()
    return render_template("deletion_status.html", req=req, hours=hours, due=due_at(req, hours),
                           late=bool(overdue([req], hours, time.time())), new=request.args.get("new") == "1",
                           date=_date)


@bp.get("/deletion/<code>/verified")
def verified(code: str):
    """Carry out a request at once for the account that just proved it is theirs by signing in with TikTok."""
    req = _find(code)
    code = req["code"]
    open_id = session.pop("verified_open_id", None)
    claimed = session.pop("verified_request", None)
    if not open_id or (claimed and claimed != code):
        abort(400, description="We could not confirm a TikTok sign-in for this request, so nothing was deleted. "
                               "Open the request's status page and choose “Verify with TikTok” again.")
    if req["status"] != "received":
        return redirect(url_for(".status", code=code), code=303)
    if not _claims(req, open_id):
        log.warning("deletion request %s: the verified account is not the one it names", code)
        abort(403, description="The TikTok account you signed in with is not the one named in this request, "
                               "so nothing was deleted.")
    erase_user(open_id, source="form", reason="verified by signing in with TikTok", code=code,
               revoke=platform_revoke(current_app.config))
    return redirect(url_for(".status", code=code), code=303)


def _claims(req: dict, open_id: str) -> bool:
    """Tell whether the signed-in account may stand for the account a request names."""
    from callback.app import store

    if req.get("open_id"):
        return req["open_id"] == open_id
    name = (req.get("username") or "").casefold()
    owners = {a["open_id"] for a in store().list()
              if name and name in ((a.get("display_name") or "").casefold(), (a.get("username") or "").casefold())}
    return not owners or open_id in owners


def _date(ts: float | None) -> str:
    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%d %B %Y, %H:%M UTC")


def init_app(app: Flask) -> None:
    """Register the deletion pages and report overdue requests at startup."""
    recs = records_for(app)
    add_rate_limit(app, "deletion", int(app.config["DELETION_RATE_LIMIT"]))
    app.register_blueprint(bp)
    warn_overdue(recs, app.extensions["greenlight"]["facts"].retention.deletion_response_hours)


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
    from callback.cli import facts_from
    from callback.webhooks import echo_table

    hours = facts_from(ctx).retention.deletion_response_hours
    _, recs = open_stores(data_dir)
    now, reqs = time.time(), recs.deletions.all()
    late = {r["code"] for r in overdue(reqs, hours, now)}
    shown = [r for r in reqs if show_all or r["status"] == "received"]
    if shown:
        table = [("CODE", "STATUS", "RECEIVED (UTC)", "ANSWER DUE (UTC)", "ACCOUNT", "EMAIL", "NOTE")]
        for r in shown:
            table.append((r["code"], "OVERDUE" if r["code"] in late else r["status"], _date(r["received_at"]),
                          _date(due_at(r, hours)) if r["status"] == "received" else "",
                          r.get("username") or r.get("open_id") or r.get("meta_user_id") or "",
                          r.get("email", ""), r.get("note", "")))
        echo_table(table)
    else:
        click.echo("No deletion requests are waiting." if not show_all else "No deletion requests.")
    if late:
        click.secho(f"{len(late)} request(s) OVERDUE: the privacy policy promises an answer within {hours} hours. "
                    "Approve or reject them now.", fg="red", bold=True, err=True)
        if check:
            ctx.exit(1)


@deletions.command("approve")
@click.argument("code")
@click.option("--open-id", help="The account to erase, when the request's name matches several or none.")
@data_dir_option
def approve(code: str, open_id: str | None, data_dir: str | None) -> None:
    """Erase the data of the account a request names, and mark it completed."""
    store, recs = open_stores(data_dir)
    req = _pending(recs, code)
    username = req.get("username") or ""
    open_id = open_id or req.get("open_id") or req.get("meta_user_id")
    if not open_id and username:
        owners = [a for a in store.list() if username.casefold() in
                  ((a.get("display_name") or "").casefold(), (a.get("username") or "").casefold())]
        if len(owners) > 1:
            raise click.ClickException(f"{len(owners)} connected accounts are named {username!r} (open_ids "
                                       f"{', '.join(a['open_id'] for a in owners)}): choose one with --open-id")
        open_id = owners[0]["open_id"] if owners else ""
    from callback.config import load_settings

    email = req.get("email")
    done = erase_user(open_id or "", source="review", reason="approved by the operator", code=req["code"],
                      names=(username,), revoke=platform_revoke(load_settings()), store=store, recs=recs)
    if done["revoked"] is False:
        click.secho("Revoking the tokens at TikTok failed; they were deleted here anyway.", fg="yellow", err=True)
    if not done["tokens"] and not done["events"]:
        click.echo(f"No stored account or webhook record matched {username or open_id!r}.")
    click.echo(f"Request {req['code']} completed: tokens {'deleted' if done['tokens'] else 'none'}, "
               f"{done['events']} webhook receipt(s) and {done['requests']} request(s) erased.")
    if email:
        click.echo(f"Tell the requester it is done: {email} (this address is now deleted from the records).")


@deletions.command("reject")
@click.argument("code")
@click.option("--reason", required=True, help="Why, in words the requester will read on the status page.")
@data_dir_option
def reject(code: str, reason: str, data_dir: str | None) -> None:
    """Reject a deletion request, with a reason shown on its status page."""
    _, recs = open_stores(data_dir)
    req = _pending(recs, code)
    who = req.get("open_id") or req.get("username") or req.get("meta_user_id") or ""
    # Once answered, a request keeps no identifier (the policy's "minimal receipt"), rejected or not.
    recs.deletions.update(req["code"], status="rejected", closed_at=time.time(), note=reason.strip()[:500],
                          subject=recs.subject(who), **{k: None for k in IDENTIFIERS})
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
