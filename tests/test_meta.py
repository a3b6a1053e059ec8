"""Meta's data-deletion callback through the real app: signed requests in, status URL and code out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from callback.data.records import Records
from data_support import snapshot

META_SECRET = "test-meta-app-secret"
USER_ID = "10229384756"


def signed_request(payload: dict, secret: str = META_SECRET, pad: bool = False) -> str:
    """Build it by hand, as Meta documents it, independently of callback.signatures."""

    def enc(b: bytes) -> str:
        text = base64.urlsafe_b64encode(b).decode()
        return text if pad else text.rstrip("=")

    encoded = enc(json.dumps(payload).encode())
    return enc(hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()) + "." + encoded


def payload(**changes) -> dict:
    return {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": USER_ID, **changes}


@pytest.fixture
def meta_client(app_config, facts_file):
    from callback import create_app

    facts = facts_file(platforms__meta={"enabled": True, "scopes": ["instagram_basic"]})
    return create_app({**app_config, "FACTS_FILE": str(facts)}).test_client()


@pytest.mark.parametrize("pad", [False, True])
def test_valid_request_is_carried_out_and_answered(meta_client, app_config, pad):
    recs = Records(app_config["DATA_DIR"])
    recs.deletions.add(source="meta", meta_user_id=USER_ID)  # an earlier request that named the same user
    r = meta_client.post("/meta/data-deletion", data={"signed_request": signed_request(payload(), pad=pad)})
    assert r.status_code == 200 and r.is_json
    code = r.json["confirmation_code"]
    assert r.json["url"] == f"https://callback.clipwise.example/deletion/{code}"
    assert recs.deletions.get(code)["status"] == "completed" and recs.deletions.get(code)["source"] == "meta"
    page = meta_client.get(f"/deletion/{code}")
    assert page.status_code == 200 and "Completed" in page.get_data(as_text=True)  # human readable
    assert USER_ID not in "".join(p.read_text() for p in Path(app_config["DATA_DIR"]).rglob("*") if p.is_file())
    assert [r["status"] for r in recs.deletions.all()] == ["completed", "completed"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: signed_request(payload(), secret="not-the-app-secret"),  # forged
        lambda: signed_request(payload(algorithm="HMAC-SHA1")),  # wrong algorithm
        lambda: signed_request(payload()).split(".")[0] + "." + signed_request(payload(user_id="1")).split(".")[1],
        lambda: "",  # missing
        lambda: "not-a-signed-request",  # malformed
        lambda: signed_request({"algorithm": "HMAC-SHA256", "issued_at": 1}),  # no user_id
    ],
)
def test_bad_requests_get_400_and_change_nothing(meta_client, app_config, make):
    before = snapshot(app_config["DATA_DIR"])
    r = meta_client.post("/meta/data-deletion", data={"signed_request": make()})
    assert r.status_code == 400 and r.json["error"] == "invalid_signed_request"
    assert META_SECRET not in r.get_data(as_text=True)
    assert snapshot(app_config["DATA_DIR"]) == before


def test_no_form_field_at_all(meta_client):
    assert meta_client.post("/meta/data-deletion", data={}).status_code == 400
    assert meta_client.post("/meta/data-deletion", data=b"\x00\xff", content_type="text/plain").status_code == 400


def test_absent_when_meta_is_not_enabled(client, app_config):
    r = client.post("/meta/data-deletion", data={"signed_request": signed_request(payload())})
    assert r.status_code == 404 and r.is_json  # JSON for a machine's route
    assert not Path(app_config["DATA_DIR"], "deletions.json").exists()


@pytest.mark.parametrize("age", [400 * 86400, 86400 + 60, -3600])
def test_a_stale_or_future_signed_request_changes_nothing(meta_client, app_config, age):
    before = snapshot(app_config["DATA_DIR"])
    signed = signed_request(payload(issued_at=int(time.time()) - age))
    r = meta_client.post("/meta/data-deletion", data={"signed_request": signed})
    assert r.status_code == 400 and r.json["error"] == "stale_signed_request"
    assert snapshot(app_config["DATA_DIR"]) == before


def test_a_replayed_signed_request_is_the_same_request(meta_client, app_config):
    signed = signed_request(payload())
    answers = [meta_client.post("/meta/data-deletion", data={"signed_request": signed}).json for _ in range(5)]
    assert len({a["confirmation_code"] for a in answers}) == 1
    recs = Records(app_config["DATA_DIR"])
    assert len([r for r in recs.deletions.all() if r["source"] == "meta"]) == 1
