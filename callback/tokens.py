"""Fresh tokens for the operator's uploader: `fresh_token()` in Python, `greenlight token` on the command line.

An entry point above the layers: it joins the token store (data) with the refresh call (platform).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from callback.data.accounts import pick
from callback.data.backends import open_backend
from callback.data.erasure import erase_user
from callback.data.store import ReconnectNeeded, TokenBackend
from callback.facts.settings import SECRETS, load_settings
from callback.facts.setup import local, public_users
from callback.platform.redaction import redact
from callback.platform.tiktok import PlatformError, TikTok

log = logging.getLogger("greenlight.tokens")
DAY = 86400


def open_store(settings: dict) -> TokenBackend:
    """Open the token store the settings point at (the data directory, or GREENLIGHT_DATABASE_URL)."""
    return open_backend(settings).store


class Refused(ReconnectNeeded):
    """TikTok itself refused the account's token (not a token that merely expired here)."""


class AccessRemoved(ReconnectNeeded):
    """TikTok refused the account's token in a local setup, where that is how a removal shows: its data is erased."""


def connect_url(settings: dict) -> str:
    """Return where a user reconnects, from the facts (or a generic hint if they cannot be read)."""
    from callback.facts import FactsError, load_facts  # only on this path: a fresh token needs no facts

    try:
        facts = load_facts(settings["FACTS_FILE"])
    except FactsError:
        return "the service's /connect/tiktok page"
    return facts.connect_url if public_users(facts) else "a new link from `greenlight connect`"


def forget_refused(store: TokenBackend, open_id: str, settings: dict, reason: str) -> AccessRemoved | None:
    """Erase an account whose token TikTok refused, when the service is local; return the error to raise.

    TikTok cannot reach a service on the operator's own computer with its removal webhook, so there a refused
    token is the sign that access was removed, and the privacy policy promises the deletion that follows.
    A hosted service waits for the signed webhook instead: a refusal alone may be a passing fault.
    """
    from callback.facts import FactsError, load_facts

    try:
        facts = load_facts(settings["FACTS_FILE"])
    except FactsError:
        log.error("the facts cannot be read: account %s, refused by TikTok, is kept for now", open_id)
        return None
    if not local(facts):
        return None
    done = erase_user(
        open_id,
        store=store,
        recs=open_backend(settings).records,
        source="tiktok",
        reason=f"TikTok refused the account's token: access was removed ({reason})",
    )
    log.warning(
        "TikTok refused the token of account %s: access was removed, its data erased (receipt %s)",
        done["subject"][:16],
        done["code"],
    )
    return AccessRemoved(open_id, "TikTok refused its token, so access was removed; its data was deleted here")


def refresher(settings: dict):
    """Return the refresh call for TokenStore.refresh: invalid_grant becomes ReconnectNeeded."""
    refresh = TikTok.from_settings(settings).refresher(Refused)

    def checked(account: dict) -> dict:
        for var in ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"):
            if not settings.get(var):
                raise PlatformError("missing_credentials", f"{var} is not set, and refreshing tokens needs it")
        return refresh(account)

    return checked


def fresh_account(store: TokenBackend, open_id: str, settings: dict, margin: float | None = None) -> dict:
    """Return the account with an access token valid for `margin` seconds (REFRESH_MARGIN by default)."""
    margin = settings["REFRESH_MARGIN"] if margin is None else margin
    try:
        return store.refresh(open_id, refresher(settings), margin=margin)
    except Refused as exc:
        raise forget_refused(store, open_id, settings, exc.reason) or exc from None


def check_access(store: TokenBackend, open_id: str, settings: dict) -> dict:
    """Return the account fresh, after asking TikTok whether it still accepts the token (user info).

    A local setup calls this on its refresh schedule: access_token_invalid on a token that is fresh means
    the user removed access, and the account is erased (AccessRemoved).
    """
    account = fresh_account(store, open_id, settings)
    try:
        TikTok.from_settings(settings).user_info(account["access_token"], fields="open_id")
    except PlatformError as exc:
        if exc.error == "access_token_invalid":
            raise forget_refused(store, open_id, settings, exc.error) or exc from None
        raise
    return account


@dataclass
class Handout:
    """An account whose access token works now, and why it was not refreshed when it should have been."""

    account: dict
    problem: ReconnectNeeded | PlatformError | None = None

    @property
    def token(self) -> str:
        return self.account["access_token"]


def usable_account(store: TokenBackend, open_id: str, settings: dict, margin: float | None = None) -> Handout:
    """Return the account refreshed as `fresh_account` does, or with its unexpired token if refreshing failed.

    A refresh is due REFRESH_MARGIN before expiry, so a TikTok outage or an account to reconnect
    need not stop an uploader at once: the stored token still works until it expires. Errors that
    a retry will not cure (bad credentials, odd answers) are raised as before.
    """
    try:
        return Handout(fresh_account(store, open_id, settings, margin))
    except (ReconnectNeeded, PlatformError) as exc:
        if isinstance(exc, PlatformError) and not exc.retryable:
            raise
        acc = store.get(open_id)
        if acc is None or acc.get("expires_at", 0) <= time.time():
            raise
        return Handout(acc, exc)


def hand_out(account: str | None, settings: dict) -> tuple[Handout, str | None]:
    """Return a usable token of the account named (see fresh_token) and a warning for the operator, if any."""
    store = open_store(settings)
    got = usable_account(store, pick(store, account)["open_id"], settings)
    store.update(got.account["open_id"], last_used_at=time.time())  # retention counts days since last use
    return got, (problem_warning(got, settings) if got.problem else refresh_warning(got.account, settings))


def fresh_token(account: str | None = None, settings: dict | None = None) -> str:
    """Return a valid access token, refreshing first when it expires within REFRESH_MARGIN.

    `account` is a display name or open_id (optional when one account is connected); `settings`
    override the environment. When the refresh fails for now, or the account must be reconnected,
    the stored token is returned while it has not expired, with a warning logged. Raises
    AccountError, ReconnectNeeded, PlatformError or StoreError.
    """
    settings = load_settings(settings)
    got, warning = hand_out(account, settings)
    if warning:
        log.warning(warning)
    return got.token


def problem_warning(got: Handout, settings: dict, now: float | None = None) -> str:
    """Say why a still-valid token was handed out instead of a refreshed one (credentials redacted)."""
    acc = got.account
    name = acc.get("display_name") or acc["open_id"]
    left = until(acc.get("expires_at", 0), now)
    if isinstance(got.problem, ReconnectNeeded):
        text = (
            f"{name} must be reconnected at {connect_url(settings)}: {got.problem.reason}. Its access token "
            f"still works, and expires {left}"
        )
    else:
        text = (
            f"could not refresh the access token of {name}: {str(got.problem).rstrip('.')}. Using the stored "
            f"one, which expires {left}"
        )
    return clean(text, settings, acc)


def clean(text: str, settings: dict, *accounts: dict) -> str:
    """Mask tokens, bearer values, the configured secrets and the accounts' own tokens in text shown or logged."""
    secrets = [str(settings.get(k) or "") for k in SECRETS]
    secrets += [a.get(k) or "" for a in accounts for k in ("access_token", "refresh_token")]
    return redact(text, secrets)


def refresh_warning(account: dict, settings: dict, now: float | None = None) -> str | None:
    """Return a warning when the account's refresh token itself expires within REFRESH_WARN_DAYS."""
    left = account.get("refresh_expires_at", 0) - (time.time() if now is None else now)
    if account.get("needs_reconnect") or left > settings["REFRESH_WARN_DAYS"] * DAY:
        return None
    name = account.get("display_name") or account["open_id"]
    return (
        f"the refresh token of {name} expires in {max(left, 0) / DAY:.1f} days: reconnect at "
        f"{connect_url(settings)} before then, or the uploader stops working"
    )


def status(account: dict, settings: dict, now: float | None = None) -> str:
    """Describe an account's state in a few words (never its tokens)."""
    now = time.time() if now is None else now
    if account.get("needs_reconnect"):
        return f"needs reconnect: {account['needs_reconnect']}"
    if account.get("refresh_expires_at", 0) <= now:
        return "needs reconnect: the refresh token has expired"
    if refresh_warning(account, settings, now):
        return f"refresh token expires {until(account['refresh_expires_at'], now)}: reconnect soon"
    if account.get("expires_at", 0) <= now:
        return "ok (access token expired; refreshed on next use)"
    return "ok"


def until(ts: float, now: float | None = None) -> str:
    """Say how far away a time is: 'in 5 h', 'in 3 d', '2 h ago'."""
    delta = ts - (time.time() if now is None else now)
    amount = abs(delta)
    text = (
        f"{amount / DAY:.0f} d"
        if amount >= 2 * DAY
        else f"{amount / 3600:.0f} h"
        if amount >= 7200
        else f"{amount / 60:.0f} min"
    )
    return f"in {text}" if delta >= 0 else f"{text} ago"
