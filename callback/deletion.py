"""Deletion requests: the public form, its status pages, the review queue, and erasing a user everywhere."""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Callable

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from callback.records import Records, mentions, records, records_for
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
                           date=date_text)


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


def date_text(ts: float | None) -> str:
    """A time as the status page and the review queue show it (UTC), or "" for none."""
    if not ts:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%d %B %Y, %H:%M UTC")


def init_app(app: Flask) -> None:
    """Register the deletion pages and report overdue requests at startup."""
    recs = records_for(app)
    add_rate_limit(app, "deletion", int(app.config["DELETION_RATE_LIMIT"]))
    app.register_blueprint(bp)
    warn_overdue(recs, app.extensions["greenlight"]["facts"].retention.deletion_response_hours)
