"""What the callback service stores, why, where and for how long: the privacy policy's data table.

Each row describes a record the service code really keeps (see store.py and the webhook, deletion and
retention modules); numbers come from the facts, so the policy and the code cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

from callback.facts import Facts

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


def inventory(facts: Facts) -> list[Row]:
    """Return every kind of personal data the service keeps, then the operator's own rows."""
    ret = facts.retention
    # "Our server" is defined once, above the table, as the server that runs the callback service.
    token_file = "`tokens.json` on our server, readable only by the service (mode 0600, in a 0700 directory)"
    if facts.encrypt_tokens:
        token_file += "; tokens encrypted at rest"
    records = "The service's private data directory on our server (files mode 0600)"
    until_revoked = (f"Until you revoke access, or {_days(ret.tokens_unused_days)} after the app last used "
                     "them, whichever comes first (we revoke the tokens at TikTok before deleting them)")
    rows = [
        Row("TikTok account identity: open_id, display name, avatar URL",
            "TikTok, when you connect your account (scope user.info.basic)",
            "Show which account is connected and publish to the right account",
            token_file, until_revoked),
        Row("Granted scopes, access token, refresh token and their expiry times",
            "TikTok's token endpoint, when you connect and when tokens are refreshed",
            "Act for you within the scopes you granted, and only when you ask",
            token_file, until_revoked),
        Row("Connected, last refreshed and last used times",
            "The service itself",
            "Keep tokens fresh and delete the ones no longer used",
            token_file, until_revoked),
        Row("Webhook receipts: event name, time and the open_id it concerns (or a one-way hash of it)",
            "TikTok's signed webhooks",
            "Act on revocations at once and keep a record of what TikTok reported",
            records, _days(ret.records_days)),
    ]
    scopes = facts.tiktok_scopes if facts.platform("tiktok") else ()
    if any(s in scopes for s in POSTING_SCOPES):
        rows.append(Row("Publishing status per publish_id: status, failure reason, post id, times",
                        "TikTok's signed webhooks",
                        "Tell you whether each post you asked for went through",
                        records, _days(ret.records_days)))
    rows.append(Row("Deletion requests: TikTok username or open_id, contact email (optional), "
                    "confirmation code, request and completion dates",
                    "You, through the data-deletion form",
                    "Carry out your request and let you check its status",
                    records,
                    f"Carried out within {_hours(ret.deletion_response_hours)}; afterwards only a minimal receipt "
                    f"(confirmation code, dates, how the request arrived, a one-way hash of the open_id or username) is kept for "
                    f"{_days(ret.deletion_receipts_days)}"))
    # callback/service/limits.py RateLimit: a keyed hash in shared memory, under a key made anew at each start.
    rows.append(Row("Your network (IP) address, when you send the data-deletion form",
                    "Your connection to the service",
                    "Limit how often the form can be sent, against abuse",
                    "Only in the running service's memory, as a one-way hash under a key made anew at each "
                    "start; never written to disk or to logs",
                    "Counted for one minute; the hash is gone when the service restarts"))
    if facts.platform("meta"):
        rows.append(Row("Meta data-deletion requests: app-scoped Meta user ID, confirmation code, dates",
                        "Meta's signed data-deletion callback",
                        "Delete what belongs to that user and show the request's status",
                        records,
                        f"Carried out within {_hours(ret.deletion_response_hours)}; the receipt (with the user ID "
                        f"hashed) is kept for {_days(ret.deletion_receipts_days)}"))
    rows += [Row(r.data, r.source, r.purpose, r.storage, r.retention) for r in facts.data_rows]
    return rows


NOT_COLLECTED = (
    "video files: the callback service never keeps a copy of the videos you publish",
    "passwords: you sign in on the platform's own page, never on ours",
    "your contacts, followers or messages",
    "payment or card data",
    "your location, precise or approximate",
    "device identifiers or advertising identifiers",
)

NEVER_DONE = (
    "We show no ads and do not sell or rent personal data, or share it for advertising.",
    "We run no analytics or tracking, on this website or in the callback service.",
)


def security_measures(facts: Facts) -> list[str]:
    """Return the protections the service code applies, as plain sentences."""
    out = [
        "The callback service is published only at an https:// address, and tells browsers to use HTTPS only (HSTS)."
        if facts.service_url.startswith("https://") else
        "The callback service listens only on this computer's loopback address, unreachable from the network.",
        "Webhooks from TikTok are accepted only with a valid HMAC-SHA256 signature and a recent "
        "timestamp; anything else is rejected.",
        "Connecting uses OAuth with a one-time `state` value and PKCE, so a login cannot be hijacked or replayed.",
        "Forms (such as the data-deletion form) are protected against cross-site request forgery.",
        "The service sends strict security headers with every response.",
        "Secrets (the app's client secret and signing keys) live only in the server's environment, never in "
        "code or on this website; the website build refuses to publish anything that looks like a secret.",
        "Data files are readable only by the service (mode 0600 in a 0700 directory).",
    ]
    if facts.platform("meta"):
        out.insert(2, "Data-deletion callbacks from Meta are accepted only when Meta's HMAC-SHA256 signature verifies.")
    if facts.encrypt_tokens:
        out.append("Access and refresh tokens are encrypted at rest; the service refuses to start without the key, "
                   "which is kept apart from the token file.")
    else:
        out.append("Access and refresh tokens are not encrypted inside the token file; they are protected by "
                   "the file permissions and by access control on the server.")
    return out
