"""Deletion requests through the real app and file store: the form, status pages, verification, the queue."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from callback.cli import cli
from callback.data.records import Records
from callback.sandbox.webhooks import signature, webhook_body
from data_support import everything, snapshot

OPEN_ID = "-000AnnaExampleOpenId4242"
ANNA = {
    "open_id": OPEN_ID,
    "display_name": "Anna Example",
    "username": "anna.example",
    "union_id": "u.anna0123456789",
    "access_token": "act.anna-1234567890",
    "refresh_token": "rft.anna-1234567890",
    "connected_at": 1.0,
}
BOB = {
    "open_id": "-000BobOtherOpenId9999",
    "display_name": "Bob Other",
    "access_token": "act.bob-1234567890",
    "refresh_token": "rft.bob-1234567890",
    "connected_at": 1.0,
}


def csrf(client) -> str:
    page = client.get("/deletion").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def submit(client, **fields):
    return client.post("/deletion", data={"csrf_token": csrf(client), **fields})


def code_of(response) -> str:
    return re.search(r"/deletion/([A-Z0-9-]{14})", response.headers["Location"]).group(1)


@pytest.fixture
def app(sandbox_config):
    """The service with every platform call (token revocation here) going to the sandbox."""
    from callback import create_app

    return create_app(sandbox_config)


@pytest.fixture
def recs(app_config):
    return Records(app_config["DATA_DIR"])


@pytest.fixture
def store(app, sandbox):
    """The service's token store, with Anna holding real (sandbox-issued) tokens."""
    tokens = sandbox.state.issue_tokens(sandbox.client.key, OPEN_ID, ("user.info.basic",))
    ANNA.update(access_token=tokens["access_token"], refresh_token=tokens["refresh_token"])
    return app.extensions["greenlight"]["store"]


@pytest.fixture
def run(app_config, sandbox):
    """Run the CLI as an operator would, its settings in the environment (platform calls to the sandbox)."""
    env = {
        "GREENLIGHT_DATA_DIR": app_config["DATA_DIR"],
        "TIKTOK_CLIENT_KEY": app_config["TIKTOK_CLIENT_KEY"],
        "TIKTOK_CLIENT_SECRET": app_config["TIKTOK_CLIENT_SECRET"],
        "GREENLIGHT_TIKTOK_API_BASE": sandbox.url,
        "GREENLIGHT_TIKTOK_AUTH_BASE": sandbox.url,
        "GREENLIGHT_HTTP_BACKOFF": "0.01",
    }

    def invoke(*args, facts=None):
        argv = (["--facts", str(facts)] if facts else []) + list(args)
        return CliRunner().invoke(cli, argv, env=env)

    return invoke


def test_form_is_accessible_without_javascript(client):
    page = client.get("/deletion").get_data(as_text=True)
    assert "<fieldset>" in page and "<legend>" in page and "<script" not in page
    for field in ("account", "email"):
        assert f'<label for="{field}">' in page and f'id="{field}" name="{field}"' in page
        assert f'aria-describedby="{field}-hint"' in page
    assert 'type="submit"' in page and 'name="csrf_token"' in page
    assert "72 hours" in page  # the promise, from the facts


def test_request_gets_a_code_and_a_status_page(client, recs):
    r = submit(client, account="@anna.example", email="anna@example.org")
    assert r.status_code == 303
    code = code_of(r)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert code in page and "We received your request" in page
    assert f"https://callback.clipwise.example/deletion/{code}" in page
    assert "Received, waiting for review" in page and "within 72 hours" in page
    assert f"/connect/tiktok?purpose=deletion&amp;request={code}" in page
    req = recs.deletions.get(code)
    assert req["username"] == "anna.example" and req["email"] == "anna@example.org" and req["source"] == "form"
    # The status page itself never shows what was submitted.
    assert "anna@example.org" not in client.get(f"/deletion/{code}").get_data(as_text=True)


def test_open_id_is_recognised(client, recs):
    code = code_of(submit(client, account=OPEN_ID))
    assert recs.deletions.get(code)["open_id"] == OPEN_ID


@pytest.mark.parametrize("token", [None, "", "forged-token-value"])
def test_csrf_missing_or_wrong_is_refused_with_a_friendly_page(client, app_config, token):
    csrf(client)  # the session has a token; the post does not carry it
    before = snapshot(app_config["DATA_DIR"])
    data = {"account": "anna.example"} | ({"csrf_token": token} if token is not None else {})
    r = client.post("/deletion", data=data)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "expired or was sent from another site" in page and "Traceback" not in page
    assert snapshot(app_config["DATA_DIR"]) == before


def test_csrf_without_a_session_is_refused(app, app_config):
    before = snapshot(app_config["DATA_DIR"])
    r = app.test_client().post("/deletion", data={"account": "anna.example", "csrf_token": "x"})
    assert r.status_code == 400 and snapshot(app_config["DATA_DIR"]) == before


@pytest.mark.parametrize(
    "fields,field,words",
    [
        ({"account": ""}, "account", "Enter your TikTok username"),
        ({"account": "no spaces allowed here"}, "account", "does not look like"),
        ({"account": "anna.example", "email": "not-an-email"}, "email", "Enter an email address"),
    ],
)
def test_invalid_input_is_explained_next_to_the_field(client, recs, fields, field, words):
    r = submit(client, **fields)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert words in page and 'role="alert"' in page
    assert f'id="{field}-error"' in page and f'aria-describedby="{field}-hint {field}-error"' in page
    assert 'aria-invalid="true"' in page
    assert recs.deletions.all() == []


def test_the_client_address_is_counted_but_never_written_down(client, recs, app_config):
    # The privacy policy says the address lives only in memory (callback/inventory.py): check every file.
    address = "192.0.2.77"
    codes = [
        client.post(
            "/deletion",
            data={"csrf_token": csrf(client), "account": "anna.example"},
            environ_base={"REMOTE_ADDR": address},
        ).status_code
        for _ in range(7)
    ]
    assert codes == [303] * 5 + [429] * 2
    files = [p for p in Path(app_config["DATA_DIR"]).rglob("*") if p.is_file()]
    assert files and not any(address.encode() in p.read_bytes() for p in files)


def test_rate_limited_per_client(client, recs):
    for _ in range(5):
        assert submit(client, account="anna.example").status_code == 303
    r = submit(client, account="anna.example")
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert "wait a minute" in r.get_data(as_text=True)
    assert len(recs.deletions.all()) == 5
    other = client.post("/deletion", data={}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 400  # another address is not limited (it only lacks its CSRF token)


def test_too_large_is_refused_with_a_friendly_page(client, recs):
    r = client.post("/deletion", data={"csrf_token": csrf(client), "account": "a" * 70_000})
    assert r.status_code == 413 and "too large" in r.get_data(as_text=True)
    assert recs.deletions.all() == []


@pytest.mark.parametrize(
    "code,words",
    [("AAAA-BBBB-CCCC", "no deletion request"), ("not-a-code", "no deletion"), ("../../etc", "Page not found")],
)
def test_unknown_codes_are_404(client, code, words):
    r = client.get(f"/deletion/{code}")
    assert r.status_code == 404 and words in r.get_data(as_text=True)


def test_codes_are_not_case_sensitive(client):
    code = code_of(submit(client, account="anna.example"))
    assert client.get(f"/deletion/{code.lower()}").status_code == 200


def test_verified_request_is_carried_out_at_once(client, app_config, store, recs, sandbox):
    store.put(dict(ANNA))
    store.put(dict(BOB))
    code = code_of(submit(client, account="anna.example", email="anna@example.org"))
    with client.session_transaction() as s:  # what the connect flow does after a TikTok sign-in
        s["verified_open_id"] = OPEN_ID
    r = client.get(f"/deletion/{code}/verified")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/deletion/{code}")
    page = client.get(f"/deletion/{code}").get_data(as_text=True)
    assert "Completed" in page and "365 days" in page
    assert store.get(OPEN_ID) is None and store.get(BOB["open_id"])
    assert sandbox.calls("revoke") == 1 and sandbox.state.authorized(OPEN_ID) == []  # revoked at TikTok first
    data = everything(app_config["DATA_DIR"])
    for identifier in (OPEN_ID, "Anna Example", "anna.example", "anna@example.org", ANNA["union_id"]):
        assert identifier not in data, identifier
    assert recs.deletions.get(code)["subject"] == recs.subject(OPEN_ID)
    with client.session_transaction() as s:
        assert "verified_open_id" not in s  # single use


def test_verified_without_a_sign_in_is_refused(client, recs):
    code = code_of(submit(client, account="anna.example"))
    r = client.get(f"/deletion/{code}/verified")
    assert r.status_code == 400 and "could not confirm" in r.get_data(as_text=True)
    assert recs.deletions.get(code)["status"] == "received"


def test_verified_as_someone_else_deletes_nothing(client, app_config, store, recs):
    store.put(dict(ANNA))
    store.put(dict(BOB))
    code = code_of(submit(client, account=OPEN_ID))
    name_code = code_of(submit(client, account="anna.example"))
    before = snapshot(app_config["DATA_DIR"])
    for c in (code, name_code):
        with client.session_transaction() as s:
            s["verified_open_id"] = BOB["open_id"]
        r = client.get(f"/deletion/{c}/verified")
        assert r.status_code == 403 and "not the one named" in r.get_data(as_text=True)
    assert snapshot(app_config["DATA_DIR"]) == before


def test_overdue_requests_are_flagged_in_log_page_and_cli(client, app_config, recs, caplog, facts_file, run):
    old = recs.deletions.add(now=time.time() - 73 * 3600, source="form", username="late.person")
    fresh = recs.deletions.add(source="form", username="fresh.person")
    with caplog.at_level(logging.ERROR, logger="greenlight"):
        client.get("/deletion")
    assert "OVERDUE" in caplog.text and old["code"] in caplog.text and fresh["code"] not in caplog.text
    assert "past the time we promised" in client.get(f"/deletion/{old['code']}").get_data(as_text=True)
    assert "past the time" not in client.get(f"/deletion/{fresh['code']}").get_data(as_text=True)

    result = run("deletions", "list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.output.splitlines()}
    assert "OVERDUE" in rows[old["code"]] and "OVERDUE" not in rows[fresh["code"]]
    assert "late.person" in rows[old["code"]]
    assert run("deletions", "list", "--check").exit_code == 1
    # The promise comes from the facts: with a week to answer, nothing is late.
    relaxed = facts_file(retention__deletion_response_hours=168)
    assert run("deletions", "list", "--check", facts=relaxed).exit_code == 0


def test_approve_by_username_erases_everything_about_the_person(client, app_config, store, recs, run, sandbox):
    """The promise: after deletion, no file in the data directory names the person any more."""
    store.put(dict(ANNA))
    store.update(OPEN_ID, last_used_at=time.time())
    store.put(dict(BOB))
    now = int(time.time())
    for who, publish_id in ((OPEN_ID, "v_pub_anna"), (BOB["open_id"], "v_pub_bob")):
        body = webhook_body(
            app_config["TIKTOK_CLIENT_KEY"], "post.publish.complete", who, {"publish_id": publish_id}, now
        )
        r = client.post(
            "/webhooks/tiktok",
            data=body,
            headers={"TikTok-Signature": signature(app_config["TIKTOK_CLIENT_SECRET"], now, body)},
        )
        assert r.status_code == 200
    code = code_of(submit(client, account="@anna.example", email="anna@example.org"))
    earlier = code_of(submit(client, account=OPEN_ID))
    # Unproven identifiers never join requests: this one stays for the operator, though its email is Anna's.
    by_mail = recs.deletions.add(source="form", username="anna_old_name", email="ANNA@example.org")
    bob_req = code_of(submit(client, account="bob.other", email="bob@example.org"))
    data = everything(app_config["DATA_DIR"])
    assert all(i in data for i in (OPEN_ID, "Anna Example", "anna.example", "anna@example.org"))

    result = run("deletions", "approve", code)
    assert result.exit_code == 0, result.output
    assert f"Request {code} completed: tokens deleted, 1 webhook receipt(s)" in result.output
    assert "Tell the requester it is done: anna@example.org" in result.output
    assert sandbox.state.authorized(OPEN_ID) == []  # revoked at TikTok before the local deletion

    data = everything(app_config["DATA_DIR"])
    for identifier in (
        OPEN_ID,
        "Anna Example",
        "anna.example",
        "anna@example.org",
        ANNA["union_id"],
        ANNA["access_token"],
        "v_pub_anna",
    ):
        assert identifier not in data, identifier
    for c in (code, earlier):
        assert recs.deletions.get(c)["status"] == "completed"
    assert recs.deletions.get(by_mail["code"]) == by_mail
    assert recs.deletions.get(bob_req)["email"] == "bob@example.org"  # other people keep their records
    assert store.get(BOB["open_id"]) and "v_pub_bob" in data
    assert run("deletions", "approve", code).exit_code == 1  # already completed


def test_approve_when_no_account_matches(client, app_config, recs, run):
    code = code_of(submit(client, account="nobody.here", email="nobody@example.org"))
    result = run("deletions", "approve", code)
    assert result.exit_code == 0 and "No stored account" in result.output
    assert "nobody" not in everything(app_config["DATA_DIR"])
    assert recs.deletions.get(code)["status"] == "completed"


def test_approve_refuses_an_ambiguous_name(client, app_config, store, recs, run):
    store.put({**ANNA, "username": ""})
    store.put({**BOB, "display_name": "Anna Example"})
    code = code_of(submit(client, account="Anna_Example"))
    recs.deletions.update(code, username="Anna Example")  # a display name, as a person may type it
    result = run("deletions", "approve", code)
    assert result.exit_code == 1 and "choose one with --open-id" in result.output
    assert store.get(OPEN_ID) and store.get(BOB["open_id"])
    result = run("deletions", "approve", code, "--open-id", OPEN_ID)
    assert result.exit_code == 0 and store.get(OPEN_ID) is None and store.get(BOB["open_id"])


def test_reject_shows_the_reason(client, app_config, recs, run):
    code = code_of(submit(client, account="someone.else"))
    assert run("deletions", "reject", code).exit_code == 2  # --reason is required
    result = run("deletions", "reject", code.lower(), "--reason", "We hold no data about that account.")
    assert result.exit_code == 0
    page = client.get(f"/deletion/{code}").get_data(as_text=True)
    assert "Rejected" in page and "We hold no data about that account." in page
    assert "Verify with TikTok" not in page
    assert run("deletions", "reject", "ZZZZ-ZZZZ-ZZZZ", "--reason", "x").exit_code == 1


def test_approve_still_deletes_when_revoking_fails(client, app_config, store, recs, run, sandbox):
    store.put(dict(ANNA))
    code = code_of(submit(client, account=OPEN_ID))
    sandbox.fault("revoke", "server_error", count=10)
    result = run("deletions", "approve", code)
    assert result.exit_code == 0 and "Revoking the tokens at TikTok failed" in result.output
    assert store.get(OPEN_ID) is None and OPEN_ID not in everything(app_config["DATA_DIR"])


def test_rejected_requests_keep_no_identifier(client, app_config, recs, run):
    code = code_of(submit(client, account="someone.else", email="someone@example.org"))
    result = run("deletions", "reject", code, "--reason", "No such account connected.")
    assert "Tell the requester why: someone@example.org" in result.output
    data = everything(app_config["DATA_DIR"])
    assert "someone" not in data and recs.deletions.get(code)["subject"] == recs.subject("someone.else")


def test_deleting_an_account_leaves_no_journal_line_naming_it(app, app_config, recs):
    """store.delete (e.g. `greenlight tokens revoke`) folds the journal: no old line keeps her tokens."""
    store = app.extensions["greenlight"]["store"]
    store.put(dict(BOB))
    store.put(dict(ANNA))  # journal: a line naming Anna
    assert OPEN_ID in everything(app_config["DATA_DIR"])
    store.delete(OPEN_ID)
    data = everything(app_config["DATA_DIR"])
    assert OPEN_ID not in data and "Anna Example" not in data and store.get(BOB["open_id"])
