"""A stranger cannot close someone else's deletion request: only a proven open_id completes one.

Each scenario runs against the live service and the sandbox platform, as the attack was carried out.
"""

from __future__ import annotations

import re

import pytest
import requests

from callback.data.records import Records

VICTIM_EMAIL = "victim@example.org"


def file_request(live, account: str, email: str = "") -> tuple[requests.Session, str]:
    """File a deletion request through the public form, as a browser would; return its session and code."""
    s = requests.Session()
    page = s.get(live.url + "/deletion", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(
        live.url + "/deletion",
        data={"csrf_token": token, "account": account, "email": email},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 303, r.text
    return s, re.search(r"/deletion/([A-Z0-9-]{14})", r.headers["Location"]).group(1)


def verify_with_tiktok(live, session: requests.Session, code: str, open_id: str) -> requests.Response:
    """Press "Verify with TikTok" on a request's status page and sign in as `open_id`."""
    r = session.get(f"{live.url}/connect/tiktok?purpose=deletion&request={code}", allow_redirects=False, timeout=5)
    assert r.status_code == 302
    return session.get(live.sandbox.approve(r.headers["Location"], open_id=open_id), timeout=10)


@pytest.fixture
def victim(live_service):
    """The victim has connected and filed a request for her username; it waits for review."""
    user = live_service.sandbox.users()[0]
    assert live_service.connect(user.open_id).status_code == 200
    _, code = file_request(live_service, user.username, VICTIM_EMAIL)
    return user, code


def untouched(live, victim) -> None:
    """The victim's request still waits, with what she typed, and her tokens are still stored."""
    user, code = victim
    req = Records(live.data_dir).deletions.get(code)
    assert req["status"] == "received", req
    assert req["username"] == user.username and req["email"] == VICTIM_EMAIL
    assert live.store().get(user.open_id) is not None
    waiting = [r["code"] for r in Records(live.data_dir).deletions.all() if r["status"] == "received"]
    assert code in waiting  # still in `greenlight deletions list`


def test_a_request_for_the_same_username_verified_as_someone_else(live_service, victim):
    attacker = live_service.sandbox.users()[1]
    session, code = file_request(live_service, victim[0].username)
    verify_with_tiktok(live_service, session, code, attacker.open_id)
    assert Records(live_service.data_dir).deletions.get(code)["status"] == "completed"  # his own: done
    untouched(live_service, victim)


def test_a_request_carrying_the_victims_email(live_service, victim):
    attacker = live_service.sandbox.users()[1]
    session, code = file_request(live_service, attacker.username, VICTIM_EMAIL)
    verify_with_tiktok(live_service, session, code, attacker.open_id)
    assert Records(live_service.data_dir).deletions.get(code)["status"] == "completed"
    untouched(live_service, victim)


def test_a_signed_removal_of_an_account_named_like_the_victim(live_service, victim):
    lookalike = live_service.sandbox.state.add_user(victim[0].username, "lookalike.account")
    assert live_service.connect(lookalike.open_id).status_code == 200
    r = requests.post(
        live_service.sandbox.url + "/_sandbox/disconnect",
        timeout=10,
        json={"open_id": lookalike.open_id, "client_key": live_service.sandbox.client.key},
    )
    assert r.status_code == 200 and live_service.store().get(lookalike.open_id) is None  # the removal ran
    untouched(live_service, victim)


def test_the_victims_own_sign_in_completes_her_request(live_service, victim):
    """The rule still lets the right person through: a proven open_id completes its request."""
    user, code = victim
    session = requests.Session()
    verify_with_tiktok(live_service, session, code, user.open_id)
    req = Records(live_service.data_dir).deletions.get(code)
    assert req["status"] == "completed" and "username" not in req and "email" not in req
    assert live_service.store().get(user.open_id) is None
