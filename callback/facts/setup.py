"""How an operator runs the app: where the service runs, who connects, where data lives, what it promises.

The site words its pages from these answers and the service behaves by them, so both read them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEPLOYMENTS = ("hosted", "local")
USERS = ("public", "owner")
STORAGE_KINDS = ("file", "database")
UNTIL_REVOKED, UNTIL_DELETED = "until_revoked", "until_deleted"
# The purpose of a connect attempt begun by `greenlight connect`: the owner's own sign-in, bound to no cookie.
OWNER_ATTEMPT = "owner"


@dataclass(frozen=True)
class Storage:
    """Where the service keeps tokens and records, and whether tokens are also exported to .env files."""

    kind: str = "file"  # file: tokens.json in the data directory; database: GREENLIGHT_DATABASE_URL
    location: str = ""  # where that is, in words (a hosting provider, a country), printed in the policy
    export_env: bool = False  # `greenlight tokens export --env FILE` is part of the setup


@dataclass(frozen=True)
class Cookie:
    """One cookie: its name, why it is set, how long it lives."""

    name: str
    purpose: str
    duration: str


@dataclass(frozen=True)
class Notice:
    """How changes to the policy are announced: days of notice (None: none promised) and by what means."""

    notice_days: int | None = None
    how: str = ""


# The one cookie the callback service sets: Flask's session cookie, named here so the policy and the
# service (callback/service/security.py sets SESSION_COOKIE_NAME from it) cannot drift apart.
SESSION_COOKIE = Cookie(
    "session",
    "Strictly necessary: holds the anti-forgery values of a connection or of the data-deletion form and, "
    "once you have connected, which account to show you. Signed, not readable by scripts, never used to track you.",
    "Until you close your browser",
)

# Statements an operator may add to "what we do not collect" ("collect") or "what we never do" ("never").
WE_DO_NOT = {
    "profiling": (
        "never",
        "We do no profiling: we do not analyse your data to evaluate or predict your interests, "
        "behaviour or personal traits.",
    ),
    "automated_decisions": (
        "never",
        "We make no decisions about you by automated means alone that have legal "
        "or similarly significant effects on you.",
    ),
    "phone_numbers": ("collect", "phone numbers"),
    "biometric_identifiers": ("collect", "biometric identifiers, such as face or voice prints"),
    "third_party_emails": ("collect", "other people's email addresses: we never ask for your contacts' addresses"),
    "email_addresses": ("collect", "your email address"),
}

# What a declared data row is about, read from its words: a row stating it keeps such data contradicts a
# statement that we do not (see callback/facts/operator.py and callback/site/statements.py).
TOPICS = {
    "google_tokens": re.compile(r"^(?=.*\b(google|youtube)\b)(?=.*\btokens?\b)", re.I | re.S),
    "email": re.compile(r"\be-?mails?\b", re.I),
    "phone": re.compile(r"\b(phone|mobile) numbers?\b|\bphone\b", re.I),
    "biometric": re.compile(r"\bbiometric|\bface ?prints?\b|\bvoice ?prints?\b|\bfingerprints?\b", re.I),
}
# The statements above that deny a topic.
DENIES = {"email_addresses": "email", "phone_numbers": "phone", "biometric_identifiers": "biometric"}


def local(facts) -> bool:
    """Tell whether the service runs on the operator's own computer (loopback only, unreachable by TikTok)."""
    return facts.deployment == "local"


def public_users(facts) -> bool:
    """Tell whether people other than the operator connect accounts (a connect page, a deletion form)."""
    return facts.users == "public"


def public_pages(facts) -> bool:
    """Tell whether the site may link the service's own pages: it is hosted and serves the public."""
    return public_users(facts) and not local(facts)


def deletion_address(facts) -> str:
    """Where people ask for deletion on the web: urls.deletion, the service's public form, or "" (write to us)."""
    if facts.deletion_page:
        return facts.deletion_page
    return facts.service_url + "/deletion" if public_pages(facts) else ""


def service_cookies(facts) -> tuple[Cookie, ...]:
    """The cookies the callback service sets for this setup (none when only the owner connects)."""
    return (SESSION_COOKIE,) if public_users(facts) else ()


def declared_topics(facts) -> dict[str, str]:
    """Map each topic the declared data rows are about to the first row's key path, e.g. email -> data_rows[0]."""
    found: dict[str, str] = {}
    for i, row in enumerate(facts.data_rows):
        words = f"{row.data} {row.storage}"
        for topic, pattern in TOPICS.items():
            if pattern.search(words):
                found.setdefault(topic, f"data_rows[{i}]")
    return found


def collects_email(facts) -> str:
    """Name what makes us receive email addresses ("" if nothing does): a row, the form, or mail to us."""
    if "email" in declared_topics(facts):
        return declared_topics(facts)["email"]
    if public_users(facts):
        return "users"  # the service's deletion form asks for an optional email address
    return "operator.contact_email" if facts.operator.contact_email else ""
