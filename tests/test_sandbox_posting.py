"""The sandbox keeps TikTok's Content Posting contract: creator info, init rules, chunked uploads, status, webhooks."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
import tracemalloc
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, request

from callback.platform.media import mp4_duration, sample_mp4
from callback.sandbox import create_app, signature
from callback.sandbox.server import BackgroundServer

KEY, SECRET = "sbawkey0002", "sandbox-secret-0002"
MB = 1024 * 1024
PREFIX = "https://media.example/videos/"
CREATOR_INFO, STATUS = "/v2/post/publish/creator_info/query/", "/v2/post/publish/status/fetch/"
DIRECT, INBOX = "/v2/post/publish/video/init/", "/v2/post/publish/inbox/video/init/"
ALL_OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]


@pytest.fixture
def platform():
    # The first creator has a private account (an unaudited app may post only there), the second a public one.
    return create_app(
        {
            "CLIENT_KEY": KEY,
            "CLIENT_SECRET": SECRET,
            "VERIFIED_PREFIXES": (PREFIX,),
            "PUBLISH_WEBHOOKS": "sync",
            "USERS": (
                ("Private Creator", "private.creator", {"private_account": True}),
                ("Public Creator", "public.creator"),
            ),
        }
    )


@pytest.fixture
def web(platform):
    return platform.test_client()


@pytest.fixture
def sandbox(platform):
    return platform.extensions["sandbox"]


def users(sandbox) -> list:
    return list(sandbox.users.values())


def bearer(sandbox, user=None, scopes=("user.info.basic", "video.publish", "video.upload")) -> dict:
    user = user or users(sandbox)[0]
    return {"Authorization": "Bearer " + sandbox.issue_tokens(KEY, user.open_id, scopes)["access_token"]}


def error(r) -> tuple[int, str]:
    body = r.get_json()
    assert body["error"]["message"] and body["error"]["log_id"] and body["data"] == {}
    return r.status_code, body["error"]["code"]


def info(privacy="SELF_ONLY", **changes) -> dict:
    return {
        "title": "a #sandbox clip",
        "privacy_level": privacy,
        "disable_duet": False,
        "disable_comment": False,
        "disable_stitch": False,
        "video_cover_timestamp_ms": 0,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
        "is_aigc": False,
        **changes,
    }


def upload_source(size: int, chunk: int | None = None, count: int = 1) -> dict:
    return {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk or size, "total_chunk_count": count}


def init(web, headers, source, post_info=None, inbox=False):
    body = {"source_info": source} if inbox else {"post_info": post_info or info(), "source_info": source}
    return web.post(INBOX if inbox else DIRECT, json=body, headers=headers)


def started(web, headers, source, post_info=None, inbox=False) -> dict:
    r = init(web, headers, source, post_info, inbox)
    assert r.status_code == 200 and r.get_json()["error"]["code"] == "ok", r.get_json()
    return r.get_json()["data"]


def put(web, url: str, data: bytes, first: int, total: int, mimetype="video/mp4", last: int | None = None):
    last = first + len(data) - 1 if last is None else last
    return web.put(
        urlsplit(url).path, data=data, content_type=mimetype, headers={"Content-Range": f"bytes {first}-{last}/{total}"}
    )


def send_file(web, url: str, path, chunk: int, count: int) -> list[int]:
    size, codes = os.path.getsize(path), []
    with open(path, "rb") as f:
        for i in range(count):
            data = f.read(chunk if i < count - 1 else size - chunk * (count - 1))
            codes.append(put(web, url, data, i * chunk, size).status_code)
    return codes


def status(web, headers, publish_id: str) -> dict:
    r = web.post(STATUS, json={"publish_id": publish_id}, headers=headers)
    assert r.status_code == 200 and r.get_json()["error"]["code"] == "ok", r.get_json()
    return r.get_json()["data"]


def statuses(web, headers, publish_id: str, n: int) -> list[str]:
    return [status(web, headers, publish_id)["status"] for _ in range(n)]


@pytest.fixture
def receiver(sandbox):
    """A tiny HTTP endpoint, registered as the app's webhook URL, that records what it is sent."""
    got = []
    app = Flask("receiver")

    @app.post("/hook")
    def hook():
        got.append({"raw": request.get_data(), "sig": request.headers["TikTok-Signature"]})
        return ""

    with BackgroundServer(app) as server:
        sandbox.clients[KEY].webhook_url = server.url + "/hook"
        yield got


def events(got) -> list[tuple[str, dict]]:
    """Check every delivery's signature; return (event, content) pairs."""
    out = []
    for delivery in got:
        t = int(delivery["sig"].split(",")[0][2:])
        assert delivery["sig"] == signature(SECRET, t, delivery["raw"])
        body = json.loads(delivery["raw"])
        assert body["client_key"] == KEY and body["user_openid"]
        out.append((body["event"], json.loads(body["content"])))
    return out


# -- creator info --


def test_creator_info_follows_the_creator_and_the_app(web, sandbox):
    me = users(sandbox)[0]
    r = web.post(
        "/_sandbox/creator",
        json={
            "open_id": me.open_id,
            "comment_disabled": True,
            "duet_disabled": True,
            "stitch_disabled": False,
            "max_video_post_duration_sec": 180,
        },
    )
    assert r.status_code == 200 and r.get_json()["max_video_post_duration_sec"] == 180
    body = web.post(CREATOR_INFO, json={}, headers=bearer(sandbox)).get_json()
    assert body["error"]["code"] == "ok"
    data = body["data"]
    assert data["creator_nickname"] == "Private Creator" and data["creator_username"] == "private.creator"
    assert data["creator_avatar_url"].startswith("http://localhost/_sandbox/avatar/")
    assert (data["comment_disabled"], data["duet_disabled"], data["stitch_disabled"]) == (True, True, False)
    assert data["max_video_post_duration_sec"] == 180 and data["privacy_level_options"] == ["SELF_ONLY"]
    assert web.post("/_sandbox/app", json={"audited": True}).get_json()["audited"] is True
    private = web.post(CREATOR_INFO, json={}, headers=bearer(sandbox)).get_json()["data"]
    public = web.post(CREATOR_INFO, json={}, headers=bearer(sandbox, users(sandbox)[1])).get_json()["data"]
    assert private["privacy_level_options"] == public["privacy_level_options"] == ALL_OPTIONS


def test_creator_controls_refuse_unknown_or_mistyped_settings(web, sandbox):
    me = users(sandbox)[0].open_id
    assert web.post("/_sandbox/creator", json={"open_id": me, "can_post": "no"}).status_code == 400
    assert web.post("/_sandbox/creator", json={"open_id": me, "verified": True}).status_code == 400
    assert web.post("/_sandbox/creator", json={"open_id": "nobody", "can_post": False}).status_code == 400
    assert users(sandbox)[0].can_post is True
    assert web.post("/_sandbox/app", json={"client_key": "nope", "audited": True}).status_code == 400
    assert web.post("/_sandbox/app", json={"audited": "yes"}).status_code == 400


def test_a_creator_who_cannot_post_now_is_told_so(web, sandbox):
    web.post("/_sandbox/creator", json={"open_id": users(sandbox)[0].open_id, "can_post": False})
    assert error(web.post(CREATOR_INFO, json={}, headers=bearer(sandbox))) == (403, "spam_risk_too_many_posts")
    assert error(init(web, bearer(sandbox), upload_source(1000))) == (403, "spam_risk_too_many_posts")


def test_the_daily_post_cap(web, sandbox):
    users(sandbox)[0].daily_post_cap = 2
    headers = bearer(sandbox)
    for _ in range(2):
        started(web, headers, upload_source(1000))
    assert error(init(web, headers, upload_source(1000))) == (403, "spam_risk_too_many_posts")
    assert error(init(web, headers, upload_source(1000), inbox=True)) == (403, "spam_risk_too_many_posts")
    assert error(web.post(CREATOR_INFO, json={}, headers=headers)) == (403, "spam_risk_too_many_posts")


# -- tokens, scopes, rate limits --


@pytest.mark.parametrize("path", [CREATOR_INFO, DIRECT, INBOX, STATUS])
def test_posting_needs_a_live_token(web, sandbox, path):
    assert error(web.post(path, json={}, headers={"Authorization": "Bearer act.nope"})) == (401, "access_token_invalid")
    assert error(web.post(path, json={})) == (401, "access_token_invalid")
    headers = bearer(sandbox)
    sandbox.expire(users(sandbox)[0].open_id)
    assert error(web.post(path, json={}, headers=headers)) == (401, "access_token_invalid")
    headers = bearer(sandbox)
    sandbox.revoke(KEY, users(sandbox)[0].open_id)
    assert error(web.post(path, json={}, headers=headers)) == (401, "access_token_invalid")


def test_posting_needs_the_scope(web, sandbox):
    basic = bearer(sandbox, scopes=("user.info.basic",))
    upload_only = bearer(sandbox, scopes=("user.info.basic", "video.upload"))
    publish_only = bearer(sandbox, scopes=("user.info.basic", "video.publish"))
    assert error(web.post(CREATOR_INFO, json={}, headers=basic)) == (401, "scope_not_authorized")
    assert error(web.post(STATUS, json={}, headers=basic)) == (401, "scope_not_authorized")
    assert error(init(web, upload_only, upload_source(1000))) == (401, "scope_not_authorized")
    assert error(init(web, publish_only, upload_source(1000), inbox=True)) == (401, "scope_not_authorized")
    assert web.post(CREATOR_INFO, json={}, headers=upload_only).status_code == 200  # either scope will do
    started(web, upload_only, upload_source(1000), inbox=True)
    started(web, publish_only, upload_source(1000))


def test_rate_limits_per_user_token(web, sandbox):
    headers, other = bearer(sandbox), bearer(sandbox)
    assert all(init(web, headers, upload_source(1000)).status_code == 200 for _ in range(6))
    assert error(init(web, headers, upload_source(1000))) == (429, "rate_limit_exceeded")
    assert init(web, other, upload_source(1000)).status_code == 200  # another token has its own budget
    assert all(web.post(CREATOR_INFO, json={}, headers=headers).status_code == 200 for _ in range(20))
    assert error(web.post(CREATOR_INFO, json={}, headers=headers)) == (429, "rate_limit_exceeded")
    pid = started(web, other, upload_source(1000), inbox=True)["publish_id"]
    assert len(statuses(web, headers=other, publish_id=pid, n=30)) == 30
    assert error(web.post(STATUS, json={"publish_id": pid}, headers=other)) == (429, "rate_limit_exceeded")


def test_rate_limits_can_be_lowered_and_the_window_passes(web, sandbox):
    r = web.post("/_sandbox/posting", json={"limits": {"creator_info": 1}, "window": 0.2})
    assert r.get_json()["limits"] == {"creator_info": 1, "video_init": 6, "inbox_init": 6, "status_fetch": 30}
    headers = bearer(sandbox)
    assert web.post(CREATOR_INFO, json={}, headers=headers).status_code == 200
    assert error(web.post(CREATOR_INFO, json={}, headers=headers)) == (429, "rate_limit_exceeded")
    time.sleep(0.25)
    assert web.post(CREATOR_INFO, json={}, headers=headers).status_code == 200
    assert web.post("/_sandbox/posting", json={"limits": {"everything": 1}}).status_code == 400
    assert web.post("/_sandbox/posting", json={"limits": {"video_init": -1}}).status_code == 400
    assert web.post("/_sandbox/posting", json={"webhooks": "carrier-pigeon"}).status_code == 400
    assert web.post("/_sandbox/posting", json={"steps": -1}).status_code == 400


# -- init rules --


def test_privacy_level_must_be_one_the_creator_is_offered(web, sandbox):
    headers = bearer(sandbox)
    for bad in (info("PUBLIC_TO_EVERYONE"), info(None), {"title": "no privacy"}):
        assert error(init(web, headers, upload_source(1000), bad)) == (403, "privacy_level_option_mismatch")
    sandbox.clients[KEY].audited = True
    public = bearer(sandbox, users(sandbox)[1])
    assert error(init(web, public, upload_source(1000), info("FRIENDS"))) == (403, "privacy_level_option_mismatch")
    started(web, public, upload_source(1000), info("PUBLIC_TO_EVERYONE"))


def test_an_unaudited_app_may_post_only_to_private_accounts(web, sandbox):
    public = bearer(sandbox, users(sandbox)[1])
    assert error(init(web, public, upload_source(1000))) == (403, "unaudited_client_can_only_post_to_private_accounts")
    started(web, public, upload_source(1000), inbox=True)  # a draft in the inbox is not a post
    sandbox.clients[KEY].audited = True
    started(web, public, upload_source(1000))


def test_branded_content_cannot_be_private(web, sandbox):
    sandbox.clients[KEY].audited = True
    public = bearer(sandbox, users(sandbox)[1])
    assert error(init(web, public, upload_source(1000), info(brand_content_toggle=True))) == (400, "invalid_params")
    started(web, public, upload_source(1000), info(brand_organic_toggle=True))  # your own brand may be private
    started(web, public, upload_source(1000), info("PUBLIC_TO_EVERYONE", brand_content_toggle=True))


@pytest.mark.parametrize(
    "changes",
    [
        {"disable_duet": "yes"},
        {"title": "x" * 2201},
        {"title": 7},
        {"video_cover_timestamp_ms": -1},
        {"video_cover_timestamp_ms": 1.5},
    ],
)
def test_post_info_types_are_checked(web, sandbox, changes):
    assert error(init(web, bearer(sandbox), upload_source(1000), info(**changes))) == (400, "invalid_params")


def test_unaudited_apps_may_post_for_five_creators_a_day(web, sandbox):
    creators = [sandbox.add_user(f"Creator {i}", private_account=True) for i in range(6)]
    for c in creators[:5]:
        started(web, bearer(sandbox, c), upload_source(1000))
    assert error(init(web, bearer(sandbox, creators[5]), upload_source(1000))) == (403, "reached_active_user_cap")
    assert error(init(web, bearer(sandbox, creators[5]), upload_source(1000), inbox=True)) == (
        403,
        "reached_active_user_cap",
    )
    started(web, bearer(sandbox, creators[0]), upload_source(1000))  # one of the five may go on posting
    sandbox.clients[KEY].audited = True
    started(web, bearer(sandbox, creators[5]), upload_source(1000), info("FOLLOWER_OF_CREATOR"))


# Sizes straddling TikTok's chunk rules; only init is asked, nothing is uploaded.
@pytest.mark.parametrize(
    "size, chunk, count, ok",
    [
        (int(4.9 * MB), int(4.9 * MB), 1, True),  # under 5 MB: whole
        (int(4.9 * MB), int(2.45 * MB), 2, False),  # under 5 MB: split is refused
        (int(4.9 * MB), int(4.9 * MB), 2, False),
        (5 * MB - 1, 5 * MB - 1, 1, True),
        (5 * MB, 5 * MB, 1, True),  # exactly 5 MB
        (10 * MB, 5 * MB - 1, 2, False),  # chunks under 5 MB
        (10 * MB, 5 * MB, 2, True),
        (50_000_123, 10_000_000, 5, True),  # TikTok's example: the last chunk takes 123 bytes more
        (50_000_123, 10_000_000, 6, False),  # total_chunk_count rounds down
        (64 * MB, 64 * MB, 1, True),  # up to 64 MB may go whole
        (64 * MB + 1, 64 * MB + 1, 1, False),  # over 64 MB: never one chunk
        (64 * MB + 1, 64 * MB, 1, False),
        (128 * MB + 12345, 64 * MB, 2, True),  # a 64 MB chunk, then 64 MB + the remainder
        (200 * MB, 65 * MB, 3, False),  # chunks over 64 MB
        (1000 * 5 * MB, 5 * MB, 1000, True),
        (1001 * 5 * MB, 5 * MB, 1001, False),
        (10 * MB, 20 * MB, 1, False),  # a chunk bigger than the video
        (0, 0, 0, False),
        (0, 0, 1, False),
        (-1000, -1000, 1, False),
    ],
)
def test_chunk_rules(web, sandbox, size, chunk, count, ok):
    r = init(web, bearer(sandbox), upload_source(size, chunk, count))
    if ok:
        assert r.status_code == 200 and r.get_json()["data"]["upload_url"]
    else:
        assert error(r) == (400, "invalid_params")


def test_chunk_refusals_say_which_rule(web, sandbox):
    r = init(web, bearer(sandbox), upload_source(10 * MB, 20 * MB, 1))
    assert "cannot exceed video_size" in r.get_json()["error"]["message"]
    r = init(web, bearer(sandbox), upload_source(50_000_123, 10_000_000, 6))
    assert "video_size // chunk_size = 5" in r.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "source",
    [
        None,
        {},
        {"source": "CARRIER_PIGEON"},
        {"source": "FILE_UPLOAD"},
        {"source": "FILE_UPLOAD", "video_size": "1000", "chunk_size": 1000, "total_chunk_count": 1},
        {"source": "PULL_FROM_URL"},
        {"source": "PULL_FROM_URL", "video_url": "ftp://x/y"},
    ],
)
def test_malformed_source_info_is_refused(web, sandbox, source):
    assert error(init(web, bearer(sandbox), source)) == (400, "invalid_params")
    assert error(web.post(DIRECT, data="not json", headers=bearer(sandbox))) == (400, "invalid_params")


def test_pull_from_url_needs_a_verified_prefix(web, sandbox):
    headers = bearer(sandbox)
    for url in (
        "https://elsewhere.example/videos/a.mp4",
        "https://media.example/videos-x/a.mp4",
        "https://media.example/a.mp4",
        "https://media.example.evil/videos/a.mp4",
    ):
        source = {"source": "PULL_FROM_URL", "video_url": url}
        assert error(init(web, headers, source)) == (403, "url_ownership_unverified"), url
    web.post("/_sandbox/app", json={"verified_prefixes": [PREFIX, "https://cdn.example"]})
    headers = bearer(sandbox)  # a fresh token: init allows 6 calls a minute per token
    assert error(init(web, headers, {"source": "PULL_FROM_URL", "video_url": "https://cdn.example.evil/a.mp4"})) == (
        403,
        "url_ownership_unverified",
    )
    started(web, headers, {"source": "PULL_FROM_URL", "video_url": "https://cdn.example/a.mp4"})
    data = started(web, headers, {"source": "PULL_FROM_URL", "video_url": PREFIX + "clip.mp4"})
    assert set(data) == {"publish_id"} and data["publish_id"].startswith("v_pub_url~")
    first = status(web, headers, data["publish_id"])
    assert first == {"status": "PROCESSING_DOWNLOAD", "fail_reason": "", "publicaly_available_post_id": []}
    assert statuses(web, headers, data["publish_id"], 2) == ["PROCESSING_DOWNLOAD", "PUBLISH_COMPLETE"]


# -- uploads and status --


def test_a_direct_post_from_upload_to_publish_complete(web, sandbox, receiver, tmp_path):
    sandbox.clients[KEY].audited = True
    headers = bearer(sandbox, users(sandbox)[1])
    path = tmp_path / "clip.mp4"
    sample_mp4(path, seconds=12.5, size=12 * MB)
    data = started(web, headers, upload_source(12 * MB, 5 * MB, 2), info("PUBLIC_TO_EVERYONE"))
    assert data["publish_id"].startswith("v_pub_file~")
    assert data["upload_url"].startswith("http://localhost/upload/")
    assert status(web, headers, data["publish_id"]) == {
        "status": "PROCESSING_UPLOAD",
        "fail_reason": "",
        "publicaly_available_post_id": [],
        "uploaded_bytes": 0,
    }
    with open(path, "rb") as f:
        r = put(web, data["upload_url"], f.read(5 * MB), 0, 12 * MB)
        assert r.status_code == 206 and r.headers["Content-Range"] == f"bytes 0-{5 * MB - 1}/{12 * MB}"
        assert r.get_json()["data"] == {"range": f"bytes 0-{5 * MB - 1}/{12 * MB}", "uploaded_bytes": 5 * MB}
        assert status(web, headers, data["publish_id"])["uploaded_bytes"] == 5 * MB
        r = put(web, data["upload_url"], f.read(), 5 * MB, 12 * MB)  # the last chunk: 7 MB
    assert r.status_code == 201 and r.get_json()["data"]["uploaded_bytes"] == 12 * MB
    assert statuses(web, headers, data["publish_id"], 3) == [
        "PROCESSING_UPLOAD",
        "PROCESSING_UPLOAD",
        "PUBLISH_COMPLETE",
    ]
    final = status(web, headers, data["publish_id"])
    (post_id,) = final["publicaly_available_post_id"]
    assert final["status"] == "PUBLISH_COMPLETE" and final["uploaded_bytes"] == 12 * MB
    (summary,) = web.get("/_sandbox/state").get_json()["posting"]["publishes"]
    assert summary["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    ids = {"publish_id": data["publish_id"], "publish_type": "DIRECT_PUBLISH"}
    assert events(receiver) == [
        ("post.publish.complete", ids),
        ("post.publish.publicly_available", {**ids, "post_id": str(post_id)}),
    ]
    assert [w["status"] for w in sandbox.webhooks] == [200, 200]


def test_an_inbox_upload_ends_in_the_inbox(web, sandbox, receiver, tmp_path):
    headers = bearer(sandbox, users(sandbox)[1], scopes=("video.upload",))
    size = sample_mp4(tmp_path / "clip.mp4", seconds=3)
    data = started(web, headers, upload_source(size), inbox=True)
    assert data["publish_id"].startswith("v_inbox_file~")
    assert send_file(web, data["upload_url"], tmp_path / "clip.mp4", size, 1) == [201]
    assert statuses(web, headers, data["publish_id"], 4) == [
        "PROCESSING_UPLOAD",
        "PROCESSING_UPLOAD",
        "SEND_TO_USER_INBOX",
        "SEND_TO_USER_INBOX",
    ]
    assert status(web, headers, data["publish_id"])["publicaly_available_post_id"] == []
    assert events(receiver) == [
        ("post.publish.inbox_delivered", {"publish_id": data["publish_id"], "publish_type": "INBOX_SHARE"})
    ]


def test_a_private_post_gets_no_public_post_id(web, sandbox, receiver, tmp_path):
    web.post("/_sandbox/posting", json={"steps": 0})
    headers = bearer(sandbox)
    size = sample_mp4(tmp_path / "clip.mp4")
    data = started(web, headers, upload_source(size))
    send_file(web, data["upload_url"], tmp_path / "clip.mp4", size, 1)
    assert status(web, headers, data["publish_id"])["publicaly_available_post_id"] == []
    assert [e for e, _ in events(receiver)] == ["post.publish.complete"]


def test_status_of_someone_elses_or_an_unknown_publish_is_refused(web, sandbox):
    pid = started(web, bearer(sandbox), upload_source(1000))["publish_id"]
    other = bearer(sandbox, users(sandbox)[1])
    assert error(web.post(STATUS, json={"publish_id": pid}, headers=other)) == (400, "invalid_params")
    assert error(web.post(STATUS, json={"publish_id": "v_pub_file~nope"}, headers=other)) == (400, "invalid_params")
    assert error(web.post(STATUS, json={}, headers=other)) == (400, "invalid_params")


def test_chunks_must_match_their_content_range(web, sandbox):
    headers = bearer(sandbox)
    data = started(web, headers, upload_source(12 * MB, 5 * MB, 2))
    url, total = data["upload_url"], 12 * MB
    chunk = b"\0" * (5 * MB)
    r = web.put(urlsplit(url).path, data=chunk, content_type="video/mp4")
    assert error(r) == (400, "invalid_params")  # no Content-Range
    r = web.put(urlsplit(url).path, data=chunk, content_type="video/mp4", headers={"Content-Range": "bytes 0-9"})
    assert error(r) == (400, "invalid_params")  # malformed
    assert error(put(web, url, chunk, 0, total, mimetype="")) == (400, "invalid_params")
    assert error(put(web, url, chunk, 0, total, mimetype="text/plain")) == (400, "invalid_params")
    assert error(put(web, url, chunk, 0, total, last=5 * MB)) == (400, "invalid_params")  # body shorter than range
    assert error(put(web, url, b"", 5, total, last=4)) == (400, "invalid_params")  # LAST before FIRST
    assert error(put(web, url, b"", 0, total, last=total)) == (400, "invalid_params")  # LAST past the end
    r = put(web, url, chunk, 0, total + 1)  # TOTAL is not video_size
    assert error(r) == (416, "range_not_satisfiable") and r.headers["Content-Range"] == f"bytes */{total}"
    assert error(put(web, url, b"\0" * (7 * MB), 5 * MB, total)) == (416, "range_not_satisfiable")  # out of order
    assert error(put(web, url, chunk[: 4 * MB], 0, total)) == (416, "range_not_satisfiable")  # not chunk_size long
    assert error(put(web, url, chunk[1:], 1, total)) == (416, "range_not_satisfiable")  # not from the first byte
    sandbox.posting.publishes[data["publish_id"]].busy = True  # a chunk still streaming in
    assert error(put(web, url, chunk, 0, total)) == (416, "range_not_satisfiable")
    sandbox.posting.publishes[data["publish_id"]].busy = False
    assert put(web, url, chunk, 0, total).status_code == 206  # refusals changed nothing
    assert error(put(web, url, chunk, 0, total)) == (416, "range_not_satisfiable")  # sent twice
    assert error(put(web, url, b"\0" * (6 * MB), 5 * MB, total)) == (416, "range_not_satisfiable")  # last: 7 MB
    assert put(web, url, b"\0" * (7 * MB), 5 * MB, total).status_code == 201
    r = put(web, url, chunk, 0, total)
    assert error(r) == (416, "range_not_satisfiable") and "already" in r.get_json()["error"]["message"]
    assert error(put(web, "http://localhost/upload/nope", chunk, 0, total)) == (404, "upload_not_found")
    assert status(web, headers, data["publish_id"])["uploaded_bytes"] == total


def test_an_expired_upload_url_is_refused(web, sandbox):
    web.post("/_sandbox/posting", json={"upload_ttl": 0})
    headers = bearer(sandbox)
    data = started(web, headers, upload_source(1000))
    assert error(put(web, data["upload_url"], b"\0" * 1000, 0, 1000)) == (403, "upload_url_expired")
    assert statuses(web, headers, data["publish_id"], 4) == ["PROCESSING_UPLOAD"] * 4


def test_upload_faults_can_be_injected(web, sandbox):
    data = started(web, bearer(sandbox), upload_source(1000))
    sandbox.add_fault("upload", "http_502")
    assert put(web, data["upload_url"], b"\0" * 1000, 0, 1000).status_code == 502
    assert put(web, data["upload_url"], b"\0" * 1000, 0, 1000).status_code == 201


class Part:
    """A stretch of an open file, read on demand (the test client seeks it to learn its length)."""

    def __init__(self, f, start: int, length: int):
        self.f, self.start, self.length, self.pos = f, start, length, 0

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.length + offset
        return self.pos

    def read(self, n: int = -1) -> bytes:
        self.f.seek(self.start + self.pos)
        data = self.f.read(self.length - self.pos if n is None or n < 0 else min(n, self.length - self.pos))
        self.pos += len(data)
        return data


def test_an_upload_is_streamed_not_held(web, sandbox, tmp_path):
    path = tmp_path / "big.mp4"
    sample_mp4(path, size=24 * MB)
    data = started(web, bearer(sandbox), upload_source(24 * MB, 12 * MB, 2))
    with open(path, "rb") as f:
        tracemalloc.start()
        try:
            for first in (0, 12 * MB):
                r = web.put(
                    urlsplit(data["upload_url"]).path,
                    input_stream=Part(f, first, 12 * MB),
                    content_type="video/mp4",
                    headers={"Content-Range": f"bytes {first}-{first + 12 * MB - 1}/{24 * MB}"},
                )
                assert r.status_code in (201, 206)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 4 * MB, peak  # 12 MB chunks, never in memory at once


# -- outcomes: failed, stalled, too long, not a video --


def test_a_planned_failure(web, sandbox, receiver, tmp_path):
    r = web.post("/_sandbox/publish", json={"outcome": "fail", "fail_reason": "frame_rate_check_failed"})
    assert r.status_code == 200
    headers = bearer(sandbox)
    size = sample_mp4(tmp_path / "clip.mp4")
    data = started(web, headers, upload_source(size))
    send_file(web, data["upload_url"], tmp_path / "clip.mp4", size, 1)
    assert statuses(web, headers, data["publish_id"], 3)[-1] == "FAILED"
    assert status(web, headers, data["publish_id"])["fail_reason"] == "frame_rate_check_failed"
    assert events(receiver) == [
        (
            "post.publish.failed",
            {"publish_id": data["publish_id"], "publish_type": "DIRECT_PUBLISH", "reason": "frame_rate_check_failed"},
        )
    ]
    pull = started(web, headers, {"source": "PULL_FROM_URL", "video_url": PREFIX + "x.mp4"})["publish_id"]
    web.post("/_sandbox/publish", json={"publish_id": pull, "outcome": "fail"})
    assert statuses(web, headers, pull, 3)[-1] == "FAILED"
    assert status(web, headers, pull)["fail_reason"] == "internal"
    assert web.post("/_sandbox/publish", json={"outcome": "explode"}).status_code == 400
    assert web.post("/_sandbox/publish", json={"outcome": "fail", "publish_id": "nope"}).status_code == 400


def test_a_stalled_publish_stays_processing(web, sandbox, receiver):
    web.post("/_sandbox/publish", json={"outcome": "stall"})
    headers = bearer(sandbox)
    pid = started(web, headers, {"source": "PULL_FROM_URL", "video_url": PREFIX + "x.mp4"})["publish_id"]
    assert statuses(web, headers, pid, 20) == ["PROCESSING_DOWNLOAD"] * 20
    assert web.post("/_sandbox/settle", json={"publish_id": pid}).get_json()["status"] == "PROCESSING_DOWNLOAD"
    assert receiver == []
    web.post("/_sandbox/publish", json={"publish_id": pid, "outcome": "complete"})
    assert web.post("/_sandbox/settle", json={"publish_id": pid}).get_json()["status"] == "PUBLISH_COMPLETE"
    assert [e for e, _ in events(receiver)] == ["post.publish.complete"]
    assert web.post("/_sandbox/settle", json={"publish_id": "nope"}).status_code == 400


def test_reset_forgets_publishes_and_plans(web, sandbox):
    web.post("/_sandbox/publish", json={"outcome": "stall", "count": 3})
    started(web, bearer(sandbox), upload_source(1000))
    posting = web.get("/_sandbox/state").get_json()["posting"]
    assert len(posting["publishes"]) == 1 and posting["planned"] == 2
    assert posting["publishes"][0]["outcome"] == "stall" and posting["publishes"][0]["sha256"] == ""
    web.post("/_sandbox/reset")
    posting = web.get("/_sandbox/state").get_json()["posting"]
    assert posting["publishes"] == [] and posting["planned"] == 0


@pytest.mark.parametrize("seconds, expected", [(60, "PUBLISH_COMPLETE"), (60.5, "FAILED")])
def test_a_video_longer_than_the_creator_may_post_fails(web, sandbox, tmp_path, seconds, expected):
    users(sandbox)[0].max_video_post_duration_sec = 60
    headers = bearer(sandbox)
    size = sample_mp4(tmp_path / "clip.mp4", seconds=seconds)
    data = started(web, headers, upload_source(size))  # init does not know the duration yet
    send_file(web, data["upload_url"], tmp_path / "clip.mp4", size, 1)
    final = statuses(web, headers, data["publish_id"], 3)[-1]
    assert final == expected
    assert status(web, headers, data["publish_id"])["fail_reason"] == (
        "duration_check_failed" if final == "FAILED" else ""
    )


def test_the_duration_check_reads_mvhd_version_1_and_skips_what_it_cannot_see(web, sandbox, tmp_path):
    headers = bearer(sandbox)
    size = sample_mp4(tmp_path / "long.mp4", seconds=5_000_000)  # a 64-bit mvhd
    data = started(web, headers, upload_source(size))
    send_file(web, data["upload_url"], tmp_path / "long.mp4", size, 1)
    assert status(web, headers, data["publish_id"])["fail_reason"] == ""
    assert statuses(web, headers, data["publish_id"], 3)[-1] == "FAILED"
    assert status(web, headers, data["publish_id"])["fail_reason"] == "duration_check_failed"
    raw = (tmp_path / "long.mp4").read_bytes()
    ftyp_size = struct.unpack(">I", raw[:4])[0]
    late = raw[:ftyp_size] + struct.pack(">I4s", 8 + 2 * MB, b"mdat") + bytes(2 * MB) + raw[ftyp_size:-8]
    data = started(web, headers, upload_source(len(late)))  # moov past the first megabyte: not checked
    assert put(web, data["upload_url"], late, 0, len(late)).status_code == 201
    assert statuses(web, headers, data["publish_id"], 3)[-1] == "PUBLISH_COMPLETE"


def odd_mp4s(tmp_path) -> dict[str, bytes]:
    """A 700 s MP4 (the creator may post 600 s) reshaped the ways real files are."""
    sample_mp4(tmp_path / "long.mp4", seconds=700)
    raw = (tmp_path / "long.mp4").read_bytes()
    fs = struct.unpack(">I", raw[:4])[0]
    ftyp, moov = raw[:fs], raw[fs:-8]
    scale = raw.index(b"mvhd") + 16
    return {
        "64-bit box first": ftyp + struct.pack(">I4sQ", 1, b"free", 24) + bytes(8) + moov,
        "moov past the head": ftyp + struct.pack(">I4s", 64 * MB, b"moov") + moov[8:],
        "mvhd past the head": ftyp + struct.pack(">I4s", 64 * MB, b"moov") + struct.pack(">I4s", 8, b"free"),
        "box to end of file": b"\0\0\0\0" + raw[4:],
        "timescale 0": raw[:scale] + bytes(4) + raw[scale + 4 :],
    }


@pytest.mark.parametrize(
    "shape, final",
    [
        ("64-bit box first", "FAILED"),
        ("moov past the head", "FAILED"),
        ("mvhd past the head", "PUBLISH_COMPLETE"),
        ("box to end of file", "PUBLISH_COMPLETE"),
        ("timescale 0", "PUBLISH_COMPLETE"),
    ],
)
def test_the_duration_check_copes_with_odd_files(web, sandbox, tmp_path, shape, final):
    raw = odd_mp4s(tmp_path)[shape]
    headers = bearer(sandbox)
    data = started(web, headers, upload_source(len(raw)))
    assert put(web, data["upload_url"], raw, 0, len(raw)).status_code == 201
    assert statuses(web, headers, data["publish_id"], 3)[-1] == final


def test_bytes_that_are_not_a_video_fail(web, sandbox):
    headers = bearer(sandbox)
    data = started(web, headers, upload_source(1000))
    assert put(web, data["upload_url"], b"<html>" + b"\0" * 994, 0, 1000).status_code == 201
    assert statuses(web, headers, data["publish_id"], 3)[-1] == "FAILED"
    assert status(web, headers, data["publish_id"])["fail_reason"] == "file_format_check_failed"


# -- webhooks: off, and asynchronous over real HTTP --


def test_publish_webhooks_can_be_turned_off(web, sandbox, receiver):
    web.post("/_sandbox/posting", json={"webhooks": "off", "steps": 0})
    headers = bearer(sandbox)
    pid = started(web, headers, {"source": "PULL_FROM_URL", "video_url": PREFIX + "x.mp4"})["publish_id"]
    assert status(web, headers, pid)["status"] == "PUBLISH_COMPLETE"
    for thread in threading.enumerate():  # had anything gone out in the background, wait for it
        if thread.name.startswith("webhooks:"):
            thread.join(5)
    assert receiver == [] and sandbox.webhooks == []


def test_over_http_with_webhooks_in_the_background(receiver, sandbox, platform, tmp_path):
    sandbox.posting.configure(webhooks="async", steps=1)
    size = sample_mp4(tmp_path / "clip.mp4", seconds=4, size=6 * MB)
    with BackgroundServer(platform) as server:
        api = requests.Session()
        api.headers.update(bearer(sandbox))
        data = api.post(
            server.url + DIRECT, json={"post_info": info(), "source_info": upload_source(size)}, timeout=5
        ).json()["data"]
        assert data["upload_url"].startswith(server.url + "/upload/")
        headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{size - 1}/{size}"}
        short = requests.put(data["upload_url"], data=iter([b"\0" * MB] * 5), headers=headers, timeout=10)
        assert short.request.headers["Transfer-Encoding"] == "chunked"  # no Content-Length to check first
        assert short.status_code == 400 and "Content-Range says" in short.json()["error"]["message"]
        with open(tmp_path / "clip.mp4", "rb") as f:
            r = requests.put(data["upload_url"], data=f, headers=headers, timeout=10)
        assert r.status_code == 201, r.text
        seen = [
            api.post(server.url + STATUS, json={"publish_id": data["publish_id"]}, timeout=5).json()["data"]["status"]
            for _ in range(2)
        ]
        assert seen == ["PROCESSING_UPLOAD", "PUBLISH_COMPLETE"]
        deadline = time.time() + 5
        while not receiver and time.time() < deadline:
            time.sleep(0.02)
    assert [e for e, _ in events(receiver)] == ["post.publish.complete"]


# -- callback.platform.media --


def test_mp4_duration_reads_mvhd_versions_0_and_1(tmp_path):
    assert sample_mp4(tmp_path / "a.mp4", seconds=7.25) == os.path.getsize(tmp_path / "a.mp4")
    assert mp4_duration(tmp_path / "a.mp4") == 7.25
    sample_mp4(tmp_path / "long.mp4", seconds=5_000_000)  # over 2**32 ms: written as version 1
    assert mp4_duration(str(tmp_path / "long.mp4")) == 5_000_000
    with open(tmp_path / "a.mp4", "rb") as f:
        assert mp4_duration(f) == 7.25


def test_mp4_duration_walks_past_a_large_mdat(tmp_path):
    sample_mp4(tmp_path / "a.mp4", seconds=9)
    raw = (tmp_path / "a.mp4").read_bytes()
    ftyp = raw[: struct.unpack(">I", raw[:4])[0]]
    moov = raw[len(ftyp) :]
    moov = moov[: struct.unpack(">I", moov[:4])[0]]
    with open(tmp_path / "late.mp4", "wb") as f:  # moov after a 64-bit-sized mdat, as many encoders write it
        f.write(ftyp + struct.pack(">I4sQ", 1, b"mdat", 16 + 3 * MB) + bytes(3 * MB) + moov)
    assert mp4_duration(tmp_path / "late.mp4") == 9


def test_sample_mp4_pads_to_size_in_blocks(tmp_path):
    tracemalloc.start()
    try:
        assert sample_mp4(tmp_path / "big.mp4", seconds=2, size=20 * MB) == 20 * MB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert os.path.getsize(tmp_path / "big.mp4") == 20 * MB and peak < 3 * MB
    assert mp4_duration(tmp_path / "big.mp4") == 2
    with pytest.raises(ValueError):
        sample_mp4(tmp_path / "tiny.mp4", size=10)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello, this is not a video at all",
        b"\0\0\0\x08ftyp",
        b"\0\0\0\x10ftypisom\0\0\0\0" + b"\0\0\0\x08free",
        b"\0\0\0\x01mdat" + bytes(8),  # a zero 64-bit size must not loop forever
        b"\0\0\0\x04moov",
    ],
)
def test_mp4_duration_refuses_other_files(tmp_path, content):
    (tmp_path / "x.bin").write_bytes(content)
    with pytest.raises(ValueError, match="not an MP4"):
        mp4_duration(tmp_path / "x.bin")
