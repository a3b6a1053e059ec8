"""The clock-skew message of a rejected webhook signature says which way the clocks disagree."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from callback.platform.signatures import StaleSignature, verify_tiktok

SECRET = "test-client-secret-0123456789"
BODY = b'{"event":"authorization.removed"}'
T = 1700000000
HEADER = f"t={T},s=" + hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()


def reason(now: float, tolerance: int = 300) -> str:
    with pytest.raises(StaleSignature) as exc:
        verify_tiktok(BODY, HEADER, secret=SECRET, tolerance=tolerance, now=now)
    return exc.value.reason


def test_an_old_signature_reads_as_signed_in_the_past():
    text = reason(now=T + 600)
    assert text.startswith("signed 600 s ago") and "from now" not in text
    assert "outside the 300 s tolerance" in text


def test_a_future_signature_reads_as_signed_from_now():
    text = reason(now=T - 600)
    assert text.startswith("signed 600 s from now") and "ago" not in text
    assert "-" not in text  # no negative durations either way


def test_just_past_the_tolerance_never_reads_as_within_it():
    assert reason(now=T + 300.2).startswith("signed 301 s ago")  # not "300 s", which the tolerance allows
    assert reason(now=T - 300.2).startswith("signed 301 s from now")
