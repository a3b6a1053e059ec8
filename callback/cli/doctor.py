"""`greenlight doctor`: ask TikTok what a connected account may post now, and say it in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from callback.data.accounts import AccountError, AmbiguousAccount, pick
from callback.data.store import ReconnectNeeded, StoreError
from callback.facts import FactsError, load_facts
from callback.facts.settings import load_settings
from callback.platform.tiktok import PlatformError, TikTok
from callback.tokens import clean, connect_url, hand_out, open_store, until

POSTING = ("video.publish", "video.upload")


@dataclass
class Diagnosis:
    """What doctor found: lines to print, and whether the account can publish as the facts intend."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0
    settings: dict = field(default_factory=dict, repr=False)  # whose secrets never reach a line

    def say(self, text: str) -> None:
        # TikTok's error texts are quoted in some lines, and may quote the credentials they were sent.
        self.lines.append(clean(text, self.settings))

    def problem(self, text: str) -> None:
        self.problems += 1
        self.say("PROBLEM: " + text)


def scope_advice(missing: set[str], reconnect: str) -> list[str]:
    """Explain what each missing posting scope breaks and what to do about it."""
    out = []
    if "video.publish" in missing:
        out.append(
            "video.publish was not granted, so Direct Post (posting to the profile) will be refused. "
            "Either the creator unticked it on TikTok's consent page, or the app does not have it: add the "
            "Content Posting API with Direct Post in the developer portal and request video.publish. "
            f"Then have the creator reconnect at {reconnect} and leave it ticked."
        )
    if "video.upload" in missing:
        out.append(
            "video.upload was not granted, so uploading drafts to the creator's inbox will be refused. "
            f"Add the scope to the app in the developer portal, then reconnect at {reconnect}."
        )
    return out


def explain_creator_info(info: dict) -> list[str]:
    """Turn a creator_info answer into sentences (what the post screen must show, what TikTok allows)."""
    out = []
    nickname, username = info.get("creator_nickname") or "?", info.get("creator_username")
    out.append(
        f"Posting as {nickname}"
        + (f" (@{username})" if username else "")
        + ": the post screen must show this nickname, fetched fresh like this for every post."
    )
    options = list(info.get("privacy_level_options") or [])
    if options == ["SELF_ONLY"]:
        out.append(
            "Only SELF_ONLY (private) is offered: the app is not audited yet. Until TikTok's audit passes, "
            "every direct post is private and only a few creators a day (about five) can post. Make the "
            "creator's account private for testing, publish with inbox upload (video.upload) instead, or "
            "apply for the audit in the developer portal."
        )
    elif options:
        out.append(f"Privacy options offered: {', '.join(options)}. Show exactly these, with no default choice.")
    else:
        out.append("No privacy options were offered: TikTok will refuse direct posts for this creator right now.")
    for key, name in (("comment_disabled", "Comments"), ("duet_disabled", "Duets"), ("stitch_disabled", "Stitches")):
        if info.get(key):
            out.append(
                f"{name} are turned off in this creator's TikTok settings: show that toggle greyed out "
                "and off on the post screen."
            )
        else:
            out.append(f"{name} are allowed: show that toggle unchecked by default.")
    seconds = info.get("max_video_post_duration_sec")
    if isinstance(seconds, int) and seconds > 0:
        out.append(f"Longest video allowed: {seconds} s ({seconds / 60:g} min); refuse longer videos before uploading.")
    return out


# What TikTok's API error codes mean for the operator.
API_ERRORS = {
    "access_token_invalid": "TikTok no longer accepts the access token (the creator may have removed the app)",
    "spam_risk_too_many_posts": "the creator has hit TikTok's daily posting limit; try again tomorrow",
    "spam_risk_user_banned_from_posting": "TikTok has banned this creator from posting",
    "reached_active_user_cap": (
        "the app has hit its cap of active posting creators for today (unaudited apps "
        "allow only a few); try again tomorrow, or apply for the audit"
    ),
    "rate_limit_exceeded": "too many requests in a short time; wait a minute and run doctor again",
    "invalid_client": (
        "TikTok does not accept TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET: copy them again from the developer portal"
    ),
    "unreachable": "TikTok could not be reached from this machine",
}


def diagnose(ref: str | None = None, settings: dict | None = None) -> Diagnosis:
    """Check one connected account end to end: store, fresh token, scopes, creator_info."""
    settings = load_settings(settings)
    d = Diagnosis(settings=settings)
    reconnect = connect_url(settings)
    try:
        account = pick(open_store(settings), ref)
    except AmbiguousAccount as exc:
        d.problem(f"{exc}: greenlight doctor OPEN_ID." if exc.ref is not None else f"{exc}.")
        return d
    except (AccountError, StoreError) as exc:
        d.problem(f"{exc}. Connect an account at {reconnect}.")
        return d
    name = account.get("display_name") or account["open_id"]
    d.say(f"Account: {name} (open_id {account['open_id']})")
    granted = set(account.get("scope") or [])
    d.say("Scopes granted: " + (", ".join(sorted(granted)) or "none recorded"))
    try:
        wanted = set(load_facts(settings["FACTS_FILE"]).tiktok_scopes)
    except FactsError:
        wanted = granted
        d.say(f"(the facts file {settings['FACTS_FILE']} could not be read: scopes not compared with the facts)")
    missing = (wanted - granted) & set(POSTING)
    for text in scope_advice(missing, reconnect):
        d.problem(text)
    others = sorted(wanted - granted - set(POSTING))
    if others:
        d.problem(f"Not granted: {', '.join(others)}. Have the creator reconnect at {reconnect} and allow them.")
    try:
        got, warning = hand_out(account["open_id"], settings)
    except ReconnectNeeded as exc:
        d.problem(
            f"The refresh token expired or TikTok rejected it ({exc.reason}): nothing can be posted for "
            f"{name} until they reconnect at {reconnect}."
        )
        return d
    except PlatformError as exc:
        d.problem(f"Could not get a fresh access token: {API_ERRORS.get(exc.error, exc)}.")
        return d
    token, left = got.token, until(got.account.get("expires_at", 0))
    if isinstance(got.problem, ReconnectNeeded):
        d.problem(
            f"The access token still works but expires {left}, and cannot be refreshed "
            f"({got.problem.reason}): after that nothing can be posted for {name} until they reconnect "
            f"at {reconnect}."
        )
    elif got.problem:
        # An outage is not the account's fault: posting works while the stored token lasts.
        d.say(
            f"Access token: could not be refreshed just now ({API_ERRORS.get(got.problem.error, got.problem)}); "
            f"the stored one still works and expires {left}."
        )
    else:
        d.say("Access token: fresh (refreshed if it was close to expiry).")
        if warning:  # the refresh token itself nears its end
            d.say(f"Warning: {warning}.")
    if not granted & set(POSTING):
        d.say("creator_info was not asked: it needs video.publish or video.upload.")
        return d
    try:
        info = TikTok.from_settings(settings).creator_info(token)
    except PlatformError as exc:
        if exc.error == "scope_not_authorized":
            for text in scope_advice(set(POSTING) - granted or {"video.publish"}, reconnect):
                d.problem(text)
        elif exc.error == "access_token_invalid":
            d.problem(f"{API_ERRORS[exc.error]}: reconnect at {reconnect}.")
        else:
            d.problem(
                f"creator_info failed: {API_ERRORS.get(exc.error, exc)}"
                + (f" (TikTok log id {exc.log_id})" if exc.log_id else "")
                + "."
            )
        return d
    d.say("creator_info (asked TikTok just now):")
    d.lines += [f"  - {line}" for line in explain_creator_info(info)]
    return d


@click.command("doctor")
@click.argument("account", required=False)
@click.pass_context
def doctor(ctx: click.Context, account: str | None) -> None:
    """Explain what a connected account may post now, and what to fix.

    ACCOUNT is a display name or open_id (optional when one account is connected). Asks TikTok's
    creator_info with a fresh token from the token store; exits non-zero when something stops
    the account from posting.
    """
    d = diagnose(account, {"FACTS_FILE": ctx.find_root().obj["facts_path"]})
    for line in d.lines:
        click.echo(line)
    ctx.exit(1 if d.problems else 0)
