"""Random bodies and headers at the webhook, deletion and Meta endpoints: never a 5xx, never an unsigned change.

Bounded: about 3,500 requests in all, through Flask's test client against the real file store.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from callback.platform.signatures import sign_meta, sign_tiktok

KEY, SECRET, META = "sbawtestclientkey", "test-client-secret-0123456789", "test-meta-app-secret"
EVENTS = [
    "authorization.removed",
    "post.publish.complete",
    "post.publish.failed",
    "video.publish.completed",
    "post.publish.publicly_available",
    "unknown.event",
]


def fuzz(examples: int) -> settings:
    """Bounded runs, no saved example database, no per-example deadline (the file store fsyncs)."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)
events = st.fixed_dictionaries(
    {},
    optional={
        "client_key": st.sampled_from([KEY, "someone-else"]) | st.text(max_size=10) | json_values,
        "event": st.sampled_from(EVENTS) | st.text(max_size=30) | json_values,
        "create_time": st.integers(min_value=-10, max_value=2 * 10**11) | st.text(max_size=5) | st.booleans(),
        "user_openid": st.sampled_from(["-000fuzzuser", ""]) | st.text(max_size=30) | json_values,
        "content": json_values.map(json.dumps)
        | json_values
        | st.text(max_size=30)
        | st.fixed_dictionaries({"reason": st.integers(-2, 9), "publish_id": st.text(max_size=8)}).map(json.dumps),
    },
)
well_formed = st.fixed_dictionaries(
    {
        "client_key": st.just(KEY),
        "event": st.sampled_from(EVENTS),
        "create_time": st.integers(0, 2 * 10**9),
        "user_openid": st.sampled_from(["-000fuzzuser", "-000other", ""]),
        "content": st.dictionaries(
            st.sampled_from(["reason", "publish_id", "post_id", "share_id"]),
            st.integers(-1, 6) | st.text(max_size=12),
            max_size=3,
        ).map(json.dumps),
    }
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    events.map(lambda e: json.dumps(e).encode()),
    well_formed.map(lambda e: json.dumps(e).encode()),
)
headers = st.one_of(
    st.none(),
    ascii_text,
    st.builds(
        lambda t, s: f"t={t},s={s}",
        st.integers(-1, 10**13),
        st.text("0123456789abcdefABCDEF", min_size=60, max_size=68),
    ),
)


def snapshot(data_dir) -> dict:
    root = Path(data_dir)
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def fuzz_app(app_config, facts_file):
    from callback import create_app

    facts = facts_file(platforms__meta={"enabled": True, "scopes": ["instagram_basic"]})
    return create_app(
        {**app_config, "FACTS_FILE": str(facts), "DELETION_RATE_LIMIT": 1000}
    )  # the most allowed: above the 900 posts below


@fuzz(1500)
@given(
    body=bodies,
    header=headers,
    sign=st.sampled_from(["no", "no", "valid", "stale"]),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_webhook_fuzz(fuzz_app, app_config, body, header, sign, content_type):
    now = int(time.time())
    if sign == "valid":
        header = sign_tiktok(body, secret=SECRET, timestamp=now)
    elif sign == "stale":
        header = sign_tiktok(body, secret=SECRET, timestamp=now - 301)
    before = snapshot(app_config["DATA_DIR"])
    h = {"Content-Type": content_type, **({"TikTok-Signature": header} if header is not None else {})}
    r = fuzz_app.test_client().post("/webhooks/tiktok", data=body, headers=h)
    event(f"{sign} -> {r.status_code}")
    assert r.status_code < 500 and r.is_json
    if sign != "valid":
        assert r.status_code == 401
    if r.status_code != 200:
        assert snapshot(app_config["DATA_DIR"]) == before


@fuzz(900)
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "account": st.sampled_from(["anna.example", "@anna", "-000fuzzuser0001"]) | st.text(max_size=200),
            "email": st.sampled_from(["", "a@example.org"]) | st.text(max_size=100),
            "csrf_token": st.text(max_size=60),
            "other": st.text(max_size=50),
        },
    ),
    csrf=st.sampled_from(["none", "random", "valid"]),
    raw=st.none() | st.binary(max_size=200),
)
def test_deletion_form_fuzz(fuzz_app, app_config, fields, csrf, raw):
    client = fuzz_app.test_client()
    token = client.get("/deletion").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    if csrf == "valid":
        fields["csrf_token"] = token
    elif csrf == "none":
        fields.pop("csrf_token", None)
    before = snapshot(app_config["DATA_DIR"])
    if raw is not None and csrf != "valid":
        r = client.post("/deletion", data=raw, content_type="application/x-www-form-urlencoded")
    else:
        r = client.post("/deletion", data=fields)
    event(f"csrf {csrf} -> {r.status_code}")
    assert r.status_code < 500 and r.mimetype == "text/html"
    if r.status_code != 303:
        assert r.status_code == 400
        assert snapshot(app_config["DATA_DIR"]) == before
    else:
        assert csrf == "valid"


@fuzz(500)
@given(code=st.text(max_size=40), suffix=st.sampled_from(["", "/verified"]), verified=st.none() | st.text(max_size=30))
def test_status_pages_fuzz(fuzz_app, app_config, code, suffix, verified):
    client = fuzz_app.test_client()
    if verified is not None:
        with client.session_transaction() as s:
            s["verified_open_id"] = verified
    before = snapshot(app_config["DATA_DIR"])
    r = client.get("/deletion/" + quote(code, safe="") + suffix)
    assert r.status_code in (200, 303, 308, 400, 403, 404)  # 308: werkzeug merging a doubled slash
    assert snapshot(app_config["DATA_DIR"]) == before  # no such request exists: nothing can change


@fuzz(600)
@given(
    signed=st.one_of(ascii_text, st.builds(lambda a, b: f"{a}.{b}", ascii_text, ascii_text)),
    payload=json_values,
    sign=st.sampled_from(["no", "no", "valid"]),
)
def test_meta_fuzz(fuzz_app, app_config, signed, payload, sign):
    if sign == "valid":
        payload = (
            payload
            if isinstance(payload, dict)
            else {"algorithm": "HMAC-SHA256", "issued_at": 1, "user_id": str(payload)[:200]}
        )
        signed = sign_meta(payload, secret=META)
    before = snapshot(app_config["DATA_DIR"])
    r = fuzz_app.test_client().post("/meta/data-deletion", data={"signed_request": signed})
    event(f"{sign} -> {r.status_code}")
    assert r.status_code in (200, 400) and r.is_json
    if sign != "valid":
        assert r.status_code == 400
    if r.status_code != 200:
        assert snapshot(app_config["DATA_DIR"]) == before
    else:
        assert set(r.json) == {"url", "confirmation_code"}
