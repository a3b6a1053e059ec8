"""The Content Posting API: creator info, direct post and inbox upload init, post status (bytes: uploads.py).

Errors keep TikTok's codes and statuses: 400 invalid_params, 401 access_token_invalid and scope_not_authorized,
403 for what the platform refuses (privacy_level_option_mismatch, unaudited_client_can_only_post_to_private_accounts,
spam_risk_too_many_posts, reached_active_user_cap, url_ownership_unverified), 429 rate_limit_exceeded.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, request

from callback.sandbox.posts import Publish
from callback.sandbox.rules import chunk_problem, privacy_options
from callback.sandbox.views import api_error, api_ok, caller, state
from callback.sandbox.webhooks import deliver

bp = Blueprint("posting", __name__)
FLAGS = ("disable_duet", "disable_comment", "disable_stitch", "brand_content_toggle", "brand_organic_toggle", "is_aigc")


def bad(message: str):
    """Refuse a request whose parameters are wrong."""
    return api_error("invalid_params", message, 400)


def _poster(endpoint: str, scopes: tuple[str, ...]):
    """Return (grant, None) for a live token holding one of `scopes` with calls left, or (None, the answer)."""
    grant, err = caller(endpoint)
    if err:
        return None, err
    if not set(scopes) & set(grant.scopes):
        return None, api_error("scope_not_authorized", f"The user did not authorize the scope {scopes[0]}.", 401)
    if not state().posting.allow(request.headers["Authorization"][7:], endpoint):
        return None, api_error("rate_limit_exceeded", "The API rate limit was exceeded. Please try again later.", 429)
    return grant, None


def _cannot_post(user):
    """Refuse a creator who may not post now (the platform says so, or the daily cap is reached)."""
    if not user.can_post or state().posting.posts_today(user.open_id) >= user.daily_post_cap:
        return api_error(
            "spam_risk_too_many_posts", "The daily post cap from the API is reached for the current user.", 403
        )
    return None


@bp.post("/v2/post/publish/creator_info/query/")
def creator_info():
    """Return what the creator may post right now (an unaudited app may only post privately)."""
    grant, err = _poster("creator_info", ("video.publish", "video.upload"))
    if err:
        return err
    u, client = state().users[grant.open_id], state().clients[grant.client_key]
    if (refusal := _cannot_post(u)) is not None:
        return refusal
    return api_ok(
        {
            "creator_avatar_url": f"{request.host_url}_sandbox/avatar/{u.open_id}.svg",
            "creator_username": u.username,
            "creator_nickname": u.display_name,
            "privacy_level_options": privacy_options(client.audited),
            "comment_disabled": u.comment_disabled,
            "duet_disabled": u.duet_disabled,
            "stitch_disabled": u.stitch_disabled,
            "max_video_post_duration_sec": u.max_video_post_duration_sec,
        }
    )


def _check_post(info, user, client):
    """Refuse post_info a direct post may not carry, in TikTok's terms."""
    if not isinstance(info, dict):
        return bad("post_info must be an object.")
    if (flag := next((f for f in FLAGS if not isinstance(info.get(f, False), bool)), None)) is not None:
        return bad(f"post_info.{flag} must be a boolean.")
    if not isinstance(info.get("title", ""), str) or len(info.get("title", "")) > 2200:
        return bad("post_info.title must be a string of at most 2200 characters.")
    cover = info.get("video_cover_timestamp_ms", 0)
    if type(cover) is not int or cover < 0:
        return bad("post_info.video_cover_timestamp_ms must be a non-negative integer.")
    if info.get("privacy_level") not in privacy_options(client.audited):
        return api_error(
            "privacy_level_option_mismatch",
            "privacy_level is missing or not one of the creator's privacy_level_options.",
            403,
        )
    if not client.audited and not user.private_account:
        return api_error(
            "unaudited_client_can_only_post_to_private_accounts",
            "Unaudited clients can only post to a private account.",
            403,
        )
    if info.get("brand_content_toggle") and info["privacy_level"] == "SELF_ONLY":
        return bad("Branded content visibility cannot be set to private.")
    return None


def verified(url: str, prefixes: tuple[str, ...]) -> bool:
    """Tell whether a URL lies under a verified prefix (a prefix ends at a path boundary, not mid-name)."""
    return any(url.startswith(p) and (p.endswith("/") or url[len(p) :][:1] in ("", "/", "?", "#")) for p in prefixes)


def _source(src, client):
    """Return (the publish's source fields, None), or (None, the refusal)."""
    if not isinstance(src, dict) or src.get("source") not in ("FILE_UPLOAD", "PULL_FROM_URL"):
        return None, bad("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
    if src["source"] == "PULL_FROM_URL":
        url = src.get("video_url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            return None, bad("source_info.video_url must be an http(s) URL.")
        if not verified(url, client.verified_prefixes):
            return None, api_error(
                "url_ownership_unverified", "The video_url's domain or URL prefix is not verified for this app.", 403
            )
        return {"video_url": url}, None
    sizes: dict[str, Any] = {k: src.get(k) for k in ("video_size", "chunk_size", "total_chunk_count")}
    if any(type(v) is not int for v in sizes.values()):
        return None, bad("video_size, chunk_size and total_chunk_count are required integers for FILE_UPLOAD.")
    if (problem := chunk_problem(**sizes)) is not None:
        return None, bad(problem)
    return sizes, None


def _init(inbox: bool):
    """Check an init request and start the publish."""
    endpoint, scope = ("inbox_init", "video.upload") if inbox else ("video_init", "video.publish")
    grant, err = _poster(endpoint, (scope,))
    if err:
        return err
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return bad("The body must be a JSON object.")
    user, client, posting = state().users[grant.open_id], state().clients[grant.client_key], state().posting
    info = {} if inbox else body.get("post_info", {})
    with state().lock:  # the caps are checked and the publish counted in one step
        if (refusal := _cannot_post(user) or (None if inbox else _check_post(info, user, client))) is not None:
            return refusal
        fields, refusal = _source(body.get("source_info"), client)
        if refusal is not None:
            return refusal
        active = posting.active_creators(client.key)
        if not client.audited and user.open_id not in active and len(active) >= posting.active_user_cap:
            return api_error(
                "reached_active_user_cap",
                "The daily quota for active publishing users from your client is reached.",
                403,
            )
        pub = posting.create(client.key, user.open_id, inbox, body["source_info"]["source"], post_info=info, **fields)
    data = {"publish_id": pub.publish_id}
    if pub.upload_id:
        data["upload_url"] = f"{request.host_url}upload/{pub.upload_id}"
    return api_ok(data)


@bp.post("/v2/post/publish/video/init/")
def video_init():
    """Start a direct post; FILE_UPLOAD gets an upload_url, PULL_FROM_URL only a publish_id."""
    return _init(inbox=False)


@bp.post("/v2/post/publish/inbox/video/init/")
def inbox_init():
    """Start an upload to the creator's inbox (a draft the creator finishes in the app)."""
    return _init(inbox=True)


@bp.post("/v2/post/publish/status/fetch/")
def status_fetch():
    """Answer where a publish stands; each fetch moves it one step on (see posts.py)."""
    grant, err = _poster("status_fetch", ("video.publish", "video.upload"))
    if err:
        return err
    body = request.get_json(silent=True)
    pid = body.get("publish_id") if isinstance(body, dict) else None
    pub = state().posting.publishes.get(pid) if isinstance(pid, str) else None
    if pub is None or (pub.client_key, pub.open_id) != (grant.client_key, grant.open_id):
        return bad("publish_id is missing, or not a publish of this user.")
    announce(pub, state().posting.advance(pub))
    return api_ok(state().posting.status_of(pub))


def announce(pub: Publish, events: list[tuple[str, dict]]) -> None:
    """Send a publish's webhooks to the app: in the background as TikTok does, or in line, or not (settings)."""
    st = state()
    client = st.clients.get(pub.client_key)
    if not events or client is None or not client.webhook_url or st.posting.webhooks == "off":
        return

    def send() -> None:
        for event, content in events:
            deliver(st, client, event, pub.open_id, content)

    if st.posting.webhooks == "sync":
        send()
    else:
        threading.Thread(target=send, name=f"webhooks:{pub.publish_id}", daemon=True).start()
