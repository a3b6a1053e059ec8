"""The posting page: a creator signed in with TikTok reviews each queued video and publishes it (Direct Post).

Every rule of TikTok's Direct Post UX is checked here on the server, so the page works without JavaScript;
templates/post.js only keeps the Post button and the labels in step while the creator makes choices.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, send_file, session, url_for

from callback.data.store import ReconnectNeeded
from callback.facts.setup import public_users
from callback.platform.media import mp4_duration
from callback.platform.posting import UNAUDITED_NOTE, explain
from callback.platform.tiktok import PlatformError
from callback.service import outcomes, publisher
from callback.service import post_form as rules
from callback.service.context import facts, queue, store
from callback.service.oauth import POSTING, platform
from callback.service.post_rules import refresher
from callback.service.security import check_csrf

log = logging.getLogger("greenlight.posting")
bp = Blueprint("posting", __name__)
SCRIPT = Path(__file__).resolve().parent / "templates" / "post.js"
NO_STORE = {"Cache-Control": "no-store"}  # pages name the creator and their videos
SIGN_IN_AGAIN = ("access_token_invalid", "scope_not_authorized")


def _page(template: str, status: int = 200, **context):
    """Render a posting page that is never cached."""
    return render_template(template, **context), status, NO_STORE


def signed_in() -> str | None:
    """Return the open_id this browser proved with a TikTok sign-in, while that account is still connected."""
    open_id = session.get(POSTING)
    if open_id and store().get(open_id) is None:  # disconnected or erased since: the proof names no one now
        session.pop(POSTING, None)
        return None
    return open_id or None


def _own(open_id: str, item_id: str) -> dict:
    """Return the creator's own queue item, or 404: another creator's item is not even said to exist."""
    item = queue().get(item_id)
    if item is None or item.get("open_id") != open_id:
        abort(404)
    return item


def creator(open_id: str) -> dict:
    """Ask TikTok now what this creator may post (never stored): {"info": ...} or {"problem": ..., ...}."""
    stored = store().get(open_id) or {}
    who = {"name": stored.get("display_name") or open_id}  # shown when TikTok gives no nickname
    try:
        account = store().refresh(
            open_id, refresher(current_app.config), margin=float(current_app.config["REFRESH_MARGIN"])
        )
        return {**who, "info": platform().creator_info(account["access_token"])}
    except (ReconnectNeeded, KeyError):
        return {
            **who,
            "problem": "TikTok no longer accepts this account's sign-in. Sign in again to post.",
            "sign_in": True,
            "status": 403,
        }
    except PlatformError as exc:
        log.warning("creator_info refused for posting: %s", exc.error)
        return {
            **who,
            "problem": explain(exc.error),
            "sign_in": exc.error in SIGN_IN_AGAIN,
            "reference": exc.log_id,
            "status": 502 if exc.retryable else 403,
        }


def _status(item: dict) -> dict:
    """Describe where an item stands, the publisher's usual closing words left out as said already."""
    return rules.status_view(item, tuple(outcomes.DONE.values()))


def _measured(item: dict) -> dict:
    """Return the item with its duration, read from the video's own header when the queue did not note it."""
    media = queue().media(item["id"])
    if item.get("duration") is None and media is not None:
        try:
            return {**item, "duration": mp4_duration(media)}
        except (ValueError, OSError):  # not an MP4 we can read: TikTok judges the file after the upload
            pass
    return item


def _entry(item: dict, who: dict, values: dict | None = None, errors: dict | None = None) -> dict:
    """Everything one item's section shows: its status, and for one that may be posted the form's state."""
    item, info = _measured(item), who.get("info") or {}
    values = values or rules.blank_values(item)
    branded = values["disclose"] and values["brand_content"]
    return {
        "item": item,
        "status": _status(item),
        "form": values,
        "errors": errors or {},
        "open": item["status"] in publisher.CLAIMABLE and bool(info),
        "too_long": rules.too_long(item, info) if info else None,
        "branded": branded,
        "label": rules.label(values["disclose"], values["brand_organic"], values["brand_content"]),
        "preview": queue().media(item["id"]) is not None,
        "duration": rules.clock(item["duration"]) if item.get("duration") else "",
    }


def _context(who: dict) -> dict:
    """Return what every posting page shows about the creator and the app's standing with TikTok."""
    info = who.get("info") or {}
    return {
        "creator": who,
        "info": info,
        "account_name": who.get("name", ""),
        "rules": rules,
        "only_private": bool(info) and rules.only_private(info),
        "unaudited_note": UNAUDITED_NOTE,
        "sign_in_url": url_for("oauth.connect", purpose="post"),
    }


@bp.get("/post")
def page():
    """Show the signed-in creator's queue: a Direct Post form for each queued video, the status of the others."""
    if not public_users(facts()):
        return _page("post_signin.html", owner_only=True)
    open_id = signed_in()
    if open_id is None:
        return _page("post_signin.html", sign_in_url=url_for("oauth.connect", purpose="post"))
    who = creator(open_id)  # fresh each time the page renders, as TikTok asks
    entries = [_entry(item, who) for item in queue().for_account(open_id)]
    return _page("post.html", entries=entries, **_context(who))


@bp.get("/post/<item_id>")
def item(item_id: str):
    """Show one queued video's form, or where its publish stands (refreshing itself while TikTok works)."""
    open_id = signed_in()
    if open_id is None:
        return redirect(url_for(".page"))
    found = _own(open_id, item_id)
    who = creator(open_id) if found["status"] in publisher.CLAIMABLE else {}
    return _page("post_item.html", entry=_entry(found, who), **_context(who))


@bp.post("/post/<item_id>")
def publish(item_id: str):
    """Check the creator's choices against a fresh creator_info and every rule, then start the publish."""
    check_csrf()
    open_id = signed_in()
    if open_id is None:
        abort(403, description="Sign in with TikTok again to publish: your sign-in is no longer known here.")
    found = _own(open_id, item_id)
    if found["status"] not in publisher.CLAIMABLE:  # a second press or another tab: it is already on its way
        return redirect(url_for(".item", item_id=item_id)), 303, NO_STORE
    who, values = creator(open_id), rules.read_values(request.form)
    if "info" not in who:
        return _page("post_item.html", who["status"], entry=_entry(found, who, values), **_context(who))
    errors = rules.problems(values, who["info"], _measured(found))
    if errors:
        return _page("post_item.html", 400, entry=_entry(found, who, values, errors), **_context(who))
    # Flask types current_app as the app itself; it is a LocalProxy, and the thread needs the real app.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    publisher.start(item_id, rules.settings(values), app=app)
    log.info("publish of queue item %s started by its creator", item_id)
    return redirect(url_for(".item", item_id=item_id)), 303, NO_STORE


@bp.get("/post/<item_id>/video")
def video(item_id: str):
    """Serve a queued video's file to its own creator only, for the page's preview (ranges for seeking)."""
    open_id = signed_in()
    if open_id is None:
        abort(404)
    _own(open_id, item_id)
    path = queue().media(item_id)
    if path is None:
        abort(404)
    kind = mimetypes.guess_type(str(path))[0] or "video/mp4"
    response = send_file(path, mimetype=kind, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/post/<item_id>/status")
def status(item_id: str):
    """Answer where a publish stands, as JSON for the page's script."""
    open_id = signed_in()
    found = queue().get(item_id) if open_id else None
    if found is None or found.get("open_id") != open_id:
        return {"error": "not_found", "message": "No such video in your queue."}, 404, NO_STORE
    return _status(found), 200, NO_STORE


@bp.post("/post/sign-out")
def sign_out():
    """Forget which creator this browser signed in as (the account stays connected)."""
    check_csrf()
    session.pop(POSTING, None)
    return redirect(url_for(".page")), 303, NO_STORE


@bp.get("/posting.js")
def script():
    """Serve the page's small script (same origin, so the strict CSP allows it)."""
    return (
        current_app.extensions["greenlight"]["posting_js"],
        200,
        {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300"},
    )


def init_app(app: Flask) -> None:
    """Read the page's script once and add the posting routes."""
    app.extensions["greenlight"]["posting_js"] = SCRIPT.read_bytes()
    app.register_blueprint(bp)
