"""Deletion requests: the public form, its status pages, the review queue, and erasing a user everywhere."""

from __future__ import annotations

import logging
import re
import time

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for

from callback.data.accounts import named
from callback.data.erasure import due_at, erase_user, overdue
from callback.data.records import Records
from callback.facts.addresses import EMAIL
from callback.facts.dates import utc_text
from callback.facts.setup import public_users
from callback.platform.tiktok import revoker
from callback.service.context import facts, records, store
from callback.service.limits import add_rate_limit, rate_limit
from callback.service.security import check_csrf

log = logging.getLogger("greenlight.deletion")
bp = Blueprint("deletion", __name__)
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.]{2,24}$")
OPEN_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def _hours() -> int:
    return facts().retention.deletion_response_hours


def warn_overdue(recs: Records, hours: int, now: float | None = None) -> int:
    """Log loudly how many requests are past the promised answer time; return the count."""
    late = overdue(recs.deletions.all(), hours, time.time() if now is None else now)
    if late:
        log.error(
            "%d deletion request(s) OVERDUE (promised within %d hours): %s; run `greenlight deletions list`",
            len(late),
            hours,
            ", ".join(r["code"] for r in late[:10]),
        )
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
    if not public_users(facts()):
        abort(404)  # only the owner connects: the public pages send requests to the contact address instead
    values = {"account": "", "email": ""}
    errors: dict[str, str] = {}
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
        errors["account"] = (
            "That does not look like a TikTok username (letters, digits, _ and ., up to 24) or an open_id."
        )
    if values["email"] and (len(values["email"]) > 254 or not EMAIL.match(values["email"])):
        errors["email"] = "Enter an email address like name@example.com, or leave this empty."
    elif values["email"]:
        fields["email"] = values["email"]
    return fields, errors


@bp.get("/deletion/<code>")
def status(code: str):
    """Show a request's status: received, completed or rejected, with dates and the promised answer time."""
    req, hours = _find(code), _hours()
    return render_template(
        "deletion_status.html",
        req=req,
        hours=hours,
        due=due_at(req, hours),
        late=bool(overdue([req], hours, time.time())),
        new=request.args.get("new") == "1",
        date=utc_text,
    )


@bp.get("/deletion/<code>/verified")
def verified(code: str):
    """Carry out a request at once for the account that just proved it is theirs by signing in with TikTok."""
    if not public_users(facts()):
        abort(404)
    req = _find(code)
    code = req["code"]
    open_id = session.pop("verified_open_id", None)
    claimed = session.pop("verified_request", None)
    if not open_id or (claimed and claimed != code):
        abort(
            400,
            description=(
                "We could not confirm a TikTok sign-in for this request, so nothing was deleted. "
                "Open the request's status page and choose “Verify with TikTok” again."
            ),
        )
    if req["status"] != "received":
        return redirect(url_for(".status", code=code), code=303)
    if not _claims(req, open_id):
        log.warning("deletion request %s: the verified account is not the one it names", code)
        abort(
            403,
            description=(
                "The TikTok account you signed in with is not the one named in this request, so nothing was deleted."
            ),
        )
    erase_user(
        open_id,
        store=store(),
        recs=records(),
        source="form",
        reason="verified by signing in with TikTok",
        code=code,
        revoke=revoker(current_app.config),
    )
    return redirect(url_for(".status", code=code), code=303)


def _claims(req: dict, open_id: str) -> bool:
    """Tell whether the signed-in account may stand for the account a request names."""
    if req.get("open_id"):
        return req["open_id"] == open_id
    owners = {a["open_id"] for a in named(store().list(), req.get("username") or "")}
    return not owners or open_id in owners


def init_app(app: Flask) -> None:
    """Register the deletion pages and report overdue requests at startup."""
    ext = app.extensions["greenlight"]
    add_rate_limit(app, "deletion", int(app.config["DELETION_RATE_LIMIT"]))
    app.register_blueprint(bp)
    warn_overdue(ext["records"], ext["facts"].retention.deletion_response_hours)
