"""The connect flow's state: bound to the browser that started it (or to the owner's terminal), used once."""

from __future__ import annotations

import contextlib

from flask import session

from callback.data.attempts import AttemptError
from callback.facts.setup import OWNER_ATTEMPT as OWNER
from callback.facts.setup import public_users
from callback.service.context import attempts, facts

PENDING = "connect_states"  # session key: states this browser started (binds the redirect to the browser)
STATE_PROBLEMS = {
    "missing": "The link back from TikTok did not carry its security check, so it cannot be trusted.",
    "mismatched": (
        "This sign-in was not started in this browser (or the browser lost its session cookie), "
        "so it cannot be trusted."
    ),
    "expired": "This sign-in took too long and expired.",
    "replayed": "This sign-in link was already used.",
}


def finish(state: str) -> dict:
    """Check the returning state against this browser and the server's record, consuming it."""
    if not state:
        raise AttemptError("missing")
    if attempts().status(state) == "used":
        raise AttemptError("replayed")
    if not public_users(facts()):
        # Owner mode: the state was printed by `greenlight connect` in the owner's terminal, never given to a
        # browser, so it is bound to its owner without a cookie; any other attempt is refused.
        record = _consume(state)
        if record.get("purpose") != OWNER:
            raise AttemptError("mismatched")
        return record
    pending = session.get(PENDING, [])
    if state not in pending:
        raise AttemptError("mismatched")
    session[PENDING] = [s for s in pending if s != state]
    return _consume(state)


def _consume(state: str) -> dict:
    """Finish the server-side attempt of a state, an unknown one reported as expired."""
    try:
        return attempts().finish(state)
    except AttemptError as exc:
        raise AttemptError("expired" if exc.reason == "unknown" else exc.reason) from None


def discard(state: str) -> None:
    """Consume a state the user gave up on, so the same redirect cannot be replayed."""
    if state in session.get(PENDING, []):
        session[PENDING] = [s for s in session[PENDING] if s != state]
        with contextlib.suppress(AttemptError):
            attempts().finish(state)
