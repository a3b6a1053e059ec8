"""What the callback service stores, why, where and for how long: the privacy policy's data table.

Each row describes a record the service code really keeps (see store.py and the webhook, deletion and
retention modules); numbers come from the facts, so the policy and the code cannot disagree. Where the
records live is worded from the setup facts (deployment, storage), never a fixed phrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from callback.facts import Facts
from callback.facts.setup import local, public_users

POSTING_SCOPES = ("video.publish", "video.upload")


@dataclass(frozen=True)
class Row:
    """One line of the data inventory."""

    data: str
    source: str
    purpose: str
    storage: str
    retention: str


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _hours(n: int) -> str:
    return f"{n} hour" if n == 1 else f"{n} hours"


def place(facts: Facts) -> str:
    """Where the service runs, as the policy names it ("our server" or "our own computer")."""
    return "our own computer" if local(facts) else "our server"


def database(facts: Facts) -> str:
    """Name the service's database, with its location when the facts give one."""
    where = f" ({facts.storage.location})" if facts.storage.location else ""
    return f"The service's PostgreSQL database{where}, reachable only with the service's own credentials"


def token_storage(facts: Facts) -> str:
    """Where the tokens are kept and how they are protected, from the storage and security facts."""
    if facts.storage.kind == "database":
        where = database(facts)
    else:
        where = f"`tokens.json` on {place(facts)}, readable only by the service (mode 0600, in a 0700 directory)"
    return where + ("; tokens encrypted at rest" if facts.encrypt_tokens else "")


def record_storage(facts: Facts) -> str:
    """Where the service's other records are kept."""
    if facts.storage.kind == "database":
        return database(facts)
    return f"The service's private data directory on {place(facts)} (files mode 0600)"


def kept(days: int | None, until: str) -> str:
    """Say how long a record is kept: a number of days, or until an event."""
    return until if days is None else _days(days)


def receipts(facts: Facts) -> str:
    """Say what is left of a deletion once it is carried out."""
    n = facts.retention.deletion_receipts_days
    if n == 0:
        return "no receipt is kept: the record of the deletion is removed by the next daily purge"
    return (
        f"afterwards only a minimal receipt (confirmation code, dates, how the request arrived, a one-way hash "
        f"of the open_id or username) is kept for {_days(n)}"
    )


def inventory(facts: Facts) -> list[Row]:
    """Return every kind of personal data the service keeps, then the operator's own rows."""
    ret = facts.retention
    tokens, records = token_storage(facts), record_storage(facts)
    until_revoked = (
        "Until you revoke access or ask us to delete them; there is no time limit otherwise"
        if ret.tokens_unused_days is None
        else (
            f"Until you revoke access, or {_days(ret.tokens_unused_days)} after the app last used "
            "them, whichever comes first (we revoke the tokens at TikTok before deleting them)"
        )
    )
    until_deleted = "Until your account's data is deleted (when you revoke access or ask us to)"
    rows = [
        Row(
            "TikTok account identity: open_id, display name, avatar URL",
            "TikTok, when you connect your account (scope user.info.basic)",
            "Show which account is connected and publish to the right account",
            tokens,
            until_revoked,
        ),
        Row(
            "Granted scopes, access token, refresh token and their expiry times",
            "TikTok's token endpoint, when you connect and when tokens are refreshed",
            "Act for you within the scopes you granted, and only when you ask",
            tokens,
            until_revoked,
        ),
        Row(
            "Connected, last refreshed and last used times",
            "The service itself",
            "Keep tokens fresh" + (" and delete the ones no longer used" if ret.tokens_unused_days else ""),
            tokens,
            until_revoked,
        ),
    ]
    rows += queue_rows(facts)
    if facts.storage.export_env:
        # callback/cli/tokens.py export: a 0600 file per uploader, cleared again when the account is erased.
        rows.append(
            Row(
                "Copies of your access token, refresh token, open_id and token expiry time",
                "The token store, when we export them for our uploader",
                "Let our uploader publish the videos you chose",
                f"`.env` files on {place(facts)} beside our uploader, readable only by their owner (mode "
                "0600), not encrypted",
                "Replaced at each export; removed from those files when your account's data is deleted",
            )
        )
    if not local(facts):  # TikTok cannot reach a service on the operator's own computer
        rows.append(
            Row(
                "Webhook receipts: event name, time and the open_id it concerns (or a one-way hash of it)",
                "TikTok's signed webhooks",
                "Act on revocations at once and keep a record of what TikTok reported",
                records,
                kept(ret.records_days, until_deleted),
            )
        )
        scopes = facts.tiktok_scopes if facts.platform("tiktok") else ()
        if any(s in scopes for s in POSTING_SCOPES):
            rows.append(
                Row(
                    "Publishing status per publish_id: status, failure reason, post id, times",
                    "TikTok's signed webhooks",
                    "Tell you whether each post you asked for went through",
                    records,
                    kept(ret.content, until_deleted),
                )
            )
    answer = f"Carried out within {_hours(ret.deletion_response_hours)}; {receipts(facts)}"
    if public_users(facts):
        rows.append(
            Row(
                "Deletion requests: TikTok username or open_id, contact email (optional), "
                "confirmation code, request and completion dates",
                "You, through the data-deletion form",
                "Carry out your request and let you check its status",
                records,
                answer,
            )
        )
        # callback/service/limits.py RateLimit: a keyed hash in shared memory, under a key made anew at each start.
        rows.append(
            Row(
                "Your network (IP) address, when you send the data-deletion form",
                "Your connection to the service",
                "Limit how often the form can be sent, against abuse",
                "Only in the running service's memory, as a one-way hash under a key made anew at each "
                "start; never written to disk or to logs",
                "Counted for one minute; the hash is gone when the service restarts",
            )
        )
    elif ret.deletion_receipts_days:
        rows.append(
            Row(
                "Deletion receipts: confirmation code, dates, how the deletion came about, a one-way hash "
                "of the open_id",
                "The service itself, when it deletes an account's data",
                "Show that a deletion happened",
                records,
                _days(ret.deletion_receipts_days),
            )
        )
    if facts.platform("meta"):
        rows.append(
            Row(
                "Meta data-deletion requests: app-scoped Meta user ID, confirmation code, dates",
                "Meta's signed data-deletion callback",
                "Delete what belongs to that user and show the request's status",
                records,
                answer,
            )
        )
    rows += [Row(r.data, r.source, r.purpose, r.storage, r.retention) for r in facts.data_rows]
    return rows


def queue_rows(facts: Facts) -> list[Row]:
    """The publishing queue's rows (callback/data/queue.py), with the hours and days its purge obeys."""
    scopes = facts.tiktok_scopes if facts.platform("tiktok") else ()
    if not any(s in scopes for s in POSTING_SCOPES):
        return []
    ret = facts.retention
    # The queue is files in the data directory whatever the storage fact says (videos never go to a database).
    where = (
        f"The service's private data directory on {place(facts)}, readable only by the service (files mode "
        "0600 in a 0700 directory)"
    )
    after = (
        "until your account's data is deleted"
        if ret.content is None
        else f"{_days(ret.content)} after the post finished or its video expired, then deleted"
    )
    return [
        Row(
            "Videos queued for posting to your TikTok account",
            "You or our publishing pipeline, when a video is queued for your account",
            "Upload the video to TikTok once you approve it on the posting page",
            where,
            f"Deleted as soon as TikTok has the posted video, or {_hours(ret.queued_media_hours)} after it "
            "was queued if it is not posted by then, whichever comes first",
        ),
        Row(
            "Each queued post's title, the settings you chose (audience, comments, duet, stitch, disclosures), its "
            "publish_id, post id, status and failure reason",
            "You on the posting page, and TikTok's answers about the post",
            "Post the video the way you chose and show you how the post went",
            where,
            f"Kept {after}; removed at once when your account's data is deleted",
        ),
    ]
