"""POST /webhooks/tiktok through the real app and the real file store: signatures, dedupe, erasure, posts."""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import time
from pathlib import Path

import pytest

from callback.data.records import Records
from callback.data.tokens import TokenStore
from callback.sandbox.webhooks import signature, webhook_body
from data_support import everything, snapshot

OPEN_ID = "-000AnnaExampleOpenId4242"
ACCOUNT = {
    "open_id": OPEN_ID,
    "display_name": "Anna Example",
    "union_id": "u.anna0123456789",
    "avatar_url": "https://p16.tiktokcdn.example/anna.jpeg",
    "access_token": "act.anna-token-1234567890",
    "refresh_token": "rft.anna-refresh-1234567890",
    "expires_at": 0,
    "refresh_expires_at": 0,
    "scope": ["user.info.basic", "video.publish"],
    "connected_at": 1.0,
}


def post(
    client,
    config,
    event,
    user=OPEN_ID,
    content=None,
    *,
    ts=None,
    create_time=None,
    body=None,
    header=None,
    secret=None,
    client_key=None,
):
    """Deliver one event the way TikTok does (or with the given body/header), through the test client."""
    ts = int(time.time()) if ts is None else ts
    if body is None:
        body = webhook_body(
            client_key or config["TIKTOK_CLIENT_KEY"],
            event,
            user,
            content or {},
            create_time if create_time is not None else ts,
        )
    if header is None:
        header = signature(secret or config["TIKTOK_CLIENT_SECRET"], ts, body)
    headers = {"Content-Type": "application/json"}
    if header is not False:
        headers["TikTok-Signature"] = header
    return client.post("/webhooks/tiktok", data=body, headers=headers)


@pytest.fixture
def recs(app_config):
    return Records(app_config["DATA_DIR"])


def test_accepted_event_is_on_disk_when_the_200_arrives(client, app_config, recs):
    r = post(client, app_config, "post.publish.complete", content={"publish_id": "v_pub_1"})
    assert r.status_code == 200 and r.json["status"] == "ok"
    lines = Path(app_config["DATA_DIR"], "webhooks.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["content"] == {"publish_id": "v_pub_1"}
    assert json.loads(lines[0])["id"] == r.json["id"]
    assert (Path(app_config["DATA_DIR"], "webhooks.jsonl").stat().st_mode & 0o777) == 0o600


def test_the_200_waits_for_an_fsync_that_covers_the_event(client, app_config, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        real(fd)
        if stat.S_ISREG(os.fstat(fd).st_mode):
            synced.append(os.pread(fd, 1 << 20, 0))  # what this fsync made durable

    monkeypatch.setattr(os, "fsync", spy)
    r = post(client, app_config, "post.publish.complete", content={"publish_id": "v_pub_2"})
    assert r.status_code == 200
    assert any(r.json["id"].encode() in data for data in synced)


def test_an_event_the_disk_refuses_is_not_acknowledged(client, app_config, monkeypatch):
    def broken(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):  # the test app propagates it; gunicorn would answer 500, never 200
        post(client, app_config, "post.publish.complete", content={"publish_id": "v_pub_3"})


@pytest.mark.parametrize(
    "case",
    ["tampered body", "tampered timestamp", "stale", "future", "missing", "malformed", "wrong secret", "empty header"],
)
def test_bad_signatures_get_401_and_change_nothing(client, app_config, case):
    post(client, app_config, "post.publish.complete", content={"publish_id": "before"})  # some state to keep
    before = snapshot(app_config["DATA_DIR"])
    now = int(time.time())
    body = webhook_body(app_config["TIKTOK_CLIENT_KEY"], "authorization.removed", OPEN_ID, {"reason": 1}, now)
    good = signature(app_config["TIKTOK_CLIENT_SECRET"], now, body)
    kwargs = {
        "tampered body": {"body": body.replace(b"authorization.removed", b"authorization.removeD"), "header": good},
        "tampered timestamp": {"body": body, "header": good.replace(f"t={now}", f"t={now - 1}")},
        "stale": {"body": body, "header": signature(app_config["TIKTOK_CLIENT_SECRET"], now - 301, body)},
        "future": {"body": body, "header": signature(app_config["TIKTOK_CLIENT_SECRET"], now + 301, body)},
        "missing": {"body": body, "header": False},
        "malformed": {"body": body, "header": good.replace(",s=", ";s=")},
        "wrong secret": {"body": body, "header": signature("not-our-secret-at-all", now, body)},
        "empty header": {"body": body, "header": ""},
    }[case]
    r = post(client, app_config, "", **kwargs)
    assert r.status_code == 401 and r.json["error"] == "invalid_signature"
    assert snapshot(app_config["DATA_DIR"]) == before


def test_tolerance_comes_from_settings(app_config):
    from callback import create_app

    client = create_app({**app_config, "WEBHOOK_TOLERANCE": 10}).test_client()
    assert post(client, app_config, "x.y", ts=int(time.time()) - 60).status_code == 401
    assert post(client, app_config, "x.y", ts=int(time.time()) - 5).status_code == 200


@pytest.mark.parametrize(
    "body,word",
    [
        (b"not json", "JSON"),
        (b"[]", "object"),
        (b'{"client_key": 1}', "client_key"),
        (
            b'{"client_key":"sbawtestclientkey","event":"e","user_openid":"u","create_time":"soon","content":"{}"}',
            "create_time",
        ),
        (
            b'{"client_key":"sbawtestclientkey","event":"e","user_openid":"u","create_time":1,"content":"{not"}',
            "content",
        ),
        (
            b'{"client_key":"sbawtestclientkey","event":"e","user_openid":"u","create_time":1,"content":"[1]"}',
            "content",
        ),
        (b'{"client_key":"sbawtestclientkey","event":"","user_openid":"u","create_time":1,"content":"{}"}', "event"),
        (b"\xff\xfe", "JSON"),
    ],
)
def test_signed_but_bad_bodies_get_400_and_change_nothing(client, app_config, body, word):
    before = snapshot(app_config["DATA_DIR"])
    r = post(client, app_config, "", body=body)
    assert r.status_code == 400 and word in r.json["message"]
    assert snapshot(app_config["DATA_DIR"]) == before


def test_wrong_client_key_is_refused(client, app_config):
    before = snapshot(app_config["DATA_DIR"])
    r = post(client, app_config, "authorization.removed", content={"reason": 1}, client_key="someone-elses-key")
    assert r.status_code == 400 and "client_key" in r.json["message"]
    assert snapshot(app_config["DATA_DIR"]) == before


def test_duplicate_delivery_is_processed_once(client, app_config, recs):
    ts = int(time.time())
    first = post(client, app_config, "post.publish.complete", content={"publish_id": "p1"}, ts=ts)
    # TikTok's retry: signed again later, and (as some senders do) serialised with other whitespace.
    body = json.dumps(
        json.loads(
            webhook_body(app_config["TIKTOK_CLIENT_KEY"], "post.publish.complete", OPEN_ID, {"publish_id": "p1"}, ts)
        ),
        indent=1,
    ).encode()
    again = post(client, app_config, "", body=body, ts=ts + 30)
    assert first.json["status"] == "ok" and again.status_code == 200 and again.json["status"] == "duplicate"
    assert first.json["id"] == again.json["id"]
    assert len(recs.events.receipts()) == 1


def test_duplicate_removal_erases_once(client, app_config, recs, app):
    app.extensions["greenlight"]["store"].put(dict(ACCOUNT))
    ts = int(time.time())
    assert post(client, app_config, "authorization.removed", content={"reason": 1}, ts=ts).json["status"] == "ok"
    assert (
        post(client, app_config, "authorization.removed", content={"reason": 1}, ts=ts + 1, create_time=ts).json[
            "status"
        ]
        == "duplicate"
    )
    assert len(recs.deletions.all()) == 1  # one deletion receipt, not two


def test_unfinished_removal_is_finished_on_redelivery(client, app_config, recs, app):
    """A crash after recording but before erasing: TikTok's retry must still erase."""
    from callback.platform.events import event_id, parse_event

    app.extensions["greenlight"]["store"].put(dict(ACCOUNT))
    ts = int(time.time())
    body = webhook_body(app_config["TIKTOK_CLIENT_KEY"], "authorization.removed", OPEN_ID, {"reason": 2}, ts)
    eid = event_id(parse_event(body, client_key=app_config["TIKTOK_CLIENT_KEY"]))
    assert recs.events.add({"id": eid, "at": ts, "event": "authorization.removed", "done": False}) == "new"
    assert post(client, app_config, "", body=body, ts=ts).json["status"] == "ok"
    assert app.extensions["greenlight"]["store"].get(OPEN_ID) is None
    assert recs.events.add({"id": eid, "at": ts, "event": "authorization.removed"}) == "done"


def test_unknown_events_are_recorded_and_answered_200(client, app_config, recs):
    r = post(client, app_config, "something.new.from.tiktok", content={"anything": [1, 2]})
    assert r.status_code == 200
    (receipt,) = recs.events.receipts()
    assert receipt["event"] == "something.new.from.tiktok" and receipt["content"] == {"anything": [1, 2]}


@pytest.mark.parametrize(
    "reason,words",
    [
        (0, "unknown reason"),
        (1, "disconnected"),
        (2, "deleted their TikTok"),
        (3, "age changed"),
        (4, "banned"),
        (5, "developer revoked"),
        (99, "unknown reason"),
    ],
)
def test_removal_reasons_are_logged_in_words(client, app_config, caplog, reason, words):
    with caplog.at_level(logging.INFO, logger="greenlight"):
        assert post(client, app_config, "authorization.removed", content={"reason": reason}).status_code == 200
    assert words in caplog.text
    assert OPEN_ID not in caplog.text  # the log names the account only by its hash


def test_authorization_removed_leaves_no_trace_but_the_receipt(client, app_config, app, recs):
    store: TokenStore = app.extensions["greenlight"]["store"]
    store.put(dict(ACCOUNT))
    store.update(OPEN_ID, last_used_at=time.time())  # a journal line naming the account, too
    store.put(
        {
            "open_id": "-000OtherUser0000000",
            "display_name": "Other Person",
            "access_token": "act.other-1234",
            "refresh_token": "rft.other-1234",
            "connected_at": 1.0,
        }
    )
    for i, event in enumerate(
        ["post.publish.inbox_delivered", "post.publish.complete", "post.publish.publicly_available"]
    ):
        post(
            client,
            app_config,
            event,
            content={"publish_id": "v_pub_anna", "post_id": "7300000000000000001"},
            create_time=1700000000 + i,
        )
    post(client, app_config, "post.publish.complete", user="-000OtherUser0000000", content={"publish_id": "v_other"})
    # Typed by anyone, so unproven: the signed event for OPEN_ID must not close it (the operator reviews it).
    typed = recs.deletions.add(source="form", username="Anna Example", email="anna@example.org")
    named = recs.deletions.add(source="form", open_id=OPEN_ID)  # names the erased account itself
    data = everything(app_config["DATA_DIR"])
    assert OPEN_ID in data and "Anna Example" in data and "anna@example.org" in data  # the test can fail

    r = post(client, app_config, "authorization.removed", content={"reason": 1})
    assert r.status_code == 200

    data = everything(app_config["DATA_DIR"])
    for identifier in (
        OPEN_ID,
        ACCOUNT["union_id"],
        ACCOUNT["access_token"],
        ACCOUNT["refresh_token"],
        "anna.jpeg",
        "v_pub_anna",
        "7300000000000000001",
    ):
        assert identifier not in data, identifier
    assert store.get(OPEN_ID) is None
    assert store.get("-000OtherUser0000000")["display_name"] == "Other Person"  # nobody else is touched
    assert "v_other" in data
    subject = recs.subject(OPEN_ID)
    assert subject in data and len(subject) == 64
    receipts = [r for r in recs.deletions.all() if r["source"] == "tiktok"]
    assert len(receipts) == 1 and receipts[0]["status"] == "completed" and receipts[0]["subject"] == subject
    closed = recs.deletions.get(named["code"])
    assert closed["status"] == "completed" and "open_id" not in closed
    assert recs.deletions.get(typed["code"]) == typed  # still waiting, untouched


def test_posts_command_shows_the_latest_status(client, app_config, app):
    from click.testing import CliRunner

    from callback.cli import cli

    app.extensions["greenlight"]["store"].put(dict(ACCOUNT))
    post(client, app_config, "post.publish.inbox_delivered", content={"publish_id": "v_pub_a"}, create_time=100)
    post(
        client,
        app_config,
        "post.publish.publicly_available",
        content={"publish_id": "v_pub_a", "post_id": "7311"},
        create_time=300,
    )
    post(client, app_config, "post.publish.complete", content={"publish_id": "v_pub_a"}, create_time=200)  # late
    post(
        client,
        app_config,
        "post.publish.failed",
        user="-000Stranger000000",
        content={"publish_id": "v_pub_b", "reason": "file_format_check_failed"},
        create_time=400,
    )
    post(client, app_config, "video.publish.completed", content={"share_id": "share_c"}, create_time=50)
    result = CliRunner().invoke(cli, ["posts", "--data-dir", app_config["DATA_DIR"]])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["PUBLISH", "ID"]
    row = {line.split()[0]: line for line in lines[1:]}
    assert "Anna Example" in row["v_pub_a"] and "publicly_available" in row["v_pub_a"] and "7311" in row["v_pub_a"]
    assert "failed" in row["v_pub_b"] and "file_format_check_failed" in row["v_pub_b"]
    assert "(not connected)" in row["v_pub_b"]
    assert "complete" in row["share_c"]
    assert [line.split()[0] for line in lines[1:]] == ["v_pub_b", "v_pub_a", "share_c"]  # newest first


def test_posts_command_with_nothing_yet(app_config):
    from click.testing import CliRunner

    from callback.cli import cli

    result = CliRunner().invoke(cli, ["posts", "--data-dir", app_config["DATA_DIR"]])
    assert result.exit_code == 0 and "No publish events" in result.output


def test_receipt_log_survives_a_torn_line(client, app_config, recs):
    """A crash mid-append leaves half a line: the next event must still be recorded whole."""
    post(client, app_config, "post.publish.complete", content={"publish_id": "p1"})
    with open(Path(app_config["DATA_DIR"], "webhooks.jsonl"), "ab") as fh:
        fh.write(b'{"id":"torn')
    assert post(client, app_config, "post.publish.complete", content={"publish_id": "p2"}).status_code == 200
    assert [r["content"]["publish_id"] for r in recs.events.receipts()] == ["p1", "p2"]
