"""The pure signature checks: fixed valid / tampered / malformed triples, as in gidgethub's tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from callback.platform.signatures import (
    ForgedSignature,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    StaleSignature,
    UnsupportedAlgorithm,
    parse_meta,
    sign_meta,
    sign_tiktok,
    verify_tiktok,
)

SECRET = "test-client-secret-0123456789"
BODY = (
    b'{"client_key":"sbawtestclientkey","event":"authorization.removed","create_time":1700000000,'
    b'"user_openid":"act.example","content":"{\\"reason\\":1}"}'
)
T = 1700000000
# Computed independently of the code under test: HMAC-SHA256(secret, "<t>.<body>").
GOOD = f"t={T},s=" + hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()


def check(body=BODY, header=GOOD, secret=SECRET, now=T + 10, tolerance=300):
    verify_tiktok(body, header, secret=secret, tolerance=tolerance, now=now)


def test_valid_signature_passes_and_matches_the_signer():
    check()
    assert sign_tiktok(BODY, secret=SECRET, timestamp=T) == GOOD
    check(header=GOOD.replace("t=", " t=").upper().replace("T=", "t=").replace(",S=", ",s="))  # hex case-insensitive


@pytest.mark.parametrize("body", [BODY + b" ", BODY.replace(b'reason\\":1', b'reason\\":5'), b"", BODY[:-1]])
def test_tampered_body_is_forged(body):
    with pytest.raises(ForgedSignature):
        check(body=body)


def test_tampered_timestamp_is_forged():
    with pytest.raises(ForgedSignature):
        check(header=GOOD.replace(f"t={T}", f"t={T + 1}"), now=T)


@pytest.mark.parametrize("now", [T + 301, T - 301, T + 86400 * 3])
def test_stale_or_future_timestamp(now):
    with pytest.raises(StaleSignature) as exc:
        check(now=now)
    assert "tolerance" in exc.value.reason


def test_tolerance_is_a_parameter():
    check(now=T + 900, tolerance=1000)
    with pytest.raises(StaleSignature):
        check(now=T + 30, tolerance=10)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header(header):
    with pytest.raises(MissingSignature):
        check(header=header)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={T}",
        f"s={GOOD.split('s=')[1]}",
        f"t=abc,s={GOOD.split('s=')[1]}",
        f"t={T},s=zz" + GOOD.split("s=")[1][2:],
        f"t={T},s=" + GOOD.split("s=")[1][:-2],
        GOOD + ",v=1",
        f"s={GOOD.split('s=')[1]},t={T}",
        "t=,s=",
        "t=" + "9" * 40 + ",s=" + "0" * 64,
    ],
)
def test_malformed_header(header):
    with pytest.raises(MalformedSignature):
        check(header=header)


def test_wrong_secret_and_empty_secret():
    with pytest.raises(ForgedSignature):
        check(secret="another-secret")
    with pytest.raises(ForgedSignature):  # an unset secret must never make everything "valid"
        unkeyed = hmac.new(b"", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
        check(secret="", header=f"t={T},s={unkeyed}")


def test_failures_share_a_base_class_with_a_reason():
    for cls in (MissingSignature, MalformedSignature, StaleSignature, ForgedSignature, UnsupportedAlgorithm):
        assert issubclass(cls, InvalidSignature)
    with pytest.raises(InvalidSignature) as exc:
        check(secret="nope")
    assert SECRET not in str(exc.value) and "nope" not in str(exc.value)


# -- Meta signed_request --

META = "test-meta-app-secret"
PAYLOAD = {"algorithm": "HMAC-SHA256", "issued_at": 1700000000, "user_id": "10229384756"}


def b64(data: bytes, pad: bool) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


def handmade(payload: dict, secret: str = META, pad: bool = False, raw: bytes | None = None) -> str:
    """Build a signed_request by hand, the way Meta documents it."""
    encoded = b64(raw if raw is not None else json.dumps(payload).encode(), pad)
    sig = hmac.new(secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return b64(sig, pad) + "." + encoded


def test_meta_valid_unpadded():
    req = handmade(PAYLOAD)
    assert "=" not in req
    assert parse_meta(req, secret=META)["user_id"] == "10229384756"


def test_meta_valid_padded():
    # 32-byte signatures always need one '=' when padded; pick a payload whose encoding needs some too.
    payload = next(p for p in ({**PAYLOAD, "user_id": "1" * n} for n in range(5, 9)) if len(json.dumps(p)) % 3)
    req = handmade(payload, pad=True)
    assert req.split(".")[0].endswith("=") and req.endswith("=")
    assert parse_meta(req, secret=META)["user_id"] == payload["user_id"]


def test_meta_numeric_user_id_and_lowercase_algorithm():
    payload = parse_meta(handmade({**PAYLOAD, "user_id": 42, "algorithm": "hmac-sha256"}), secret=META)
    assert payload["user_id"] == "42"


def test_meta_signer_round_trip():
    for pad in (False, True):
        assert parse_meta(sign_meta(PAYLOAD, secret=META, pad=pad), secret=META)["issued_at"] == 1700000000


def test_meta_forged():
    with pytest.raises(ForgedSignature):
        parse_meta(handmade(PAYLOAD, secret="someone-else"), secret=META)
    sig, _payload = handmade(PAYLOAD).split(".")
    other = handmade({**PAYLOAD, "user_id": "999"}).split(".")[1]
    with pytest.raises(ForgedSignature):  # a valid signature moved onto another payload
        parse_meta(sig + "." + other, secret=META)


def test_meta_wrong_algorithm():
    with pytest.raises(UnsupportedAlgorithm):
        parse_meta(handmade({**PAYLOAD, "algorithm": "HMAC-SHA1"}), secret=META)
    with pytest.raises(UnsupportedAlgorithm):
        parse_meta(handmade({k: v for k, v in PAYLOAD.items() if k != "algorithm"}), secret=META)


@pytest.mark.parametrize(
    "req",
    [
        None,
        "",
        "nodot",
        ".",
        "abc.",
        ".abc",
        "a b.c",
        "!!!!.????",
        "abc.def.ghi",
    ],
)
def test_meta_malformed(req):
    with pytest.raises(InvalidSignature):
        parse_meta(req, secret=META)


@pytest.mark.parametrize(
    "payload,raw",
    [
        (None, b"not json"),
        (None, b"[1,2]"),
        ({"algorithm": "HMAC-SHA256", "issued_at": 1}, None),
        ({"algorithm": "HMAC-SHA256", "user_id": "1"}, None),
        ({**PAYLOAD, "user_id": ""}, None),
        ({**PAYLOAD, "user_id": True}, None),
        ({**PAYLOAD, "issued_at": "yesterday"}, None),
        ({**PAYLOAD, "user_id": "x" * 200}, None),
    ],
)
def test_meta_signed_but_unusable_payload(payload, raw):
    with pytest.raises(MalformedSignature):
        parse_meta(handmade(payload or {}, raw=raw), secret=META)


def test_meta_empty_secret_refuses():
    with pytest.raises(ForgedSignature):
        parse_meta(handmade(PAYLOAD, secret=""), secret="")
