"""The policy's sentences that depend on the operator's setup, and the refusal of pages that contradict the facts.

Facts arrive here already escaped (callback/site/render.py), so each sentence is safe to print as Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callback.facts import Facts
from callback.facts.setup import (
    WE_DO_NOT,
    Cookie,
    collects_email,
    declared_topics,
    deletion_address,
    local,
    public_pages,
    public_users,
    service_cookies,
)

# Each platform's own privacy policy, linked where the policy names the platform.
PLATFORM_POLICIES = {
    "tiktok": ("TikTok Privacy Policy", "https://www.tiktok.com/legal/page/global/privacy-policy/en"),
    "youtube": ("Google Privacy Policy", "http://www.google.com/policies/privacy"),
    "meta": ("Meta Privacy Policy", "https://www.facebook.com/privacy/policy/"),
}
# Who owns each platform: the app is affiliated with none of them.
OWNERS = {
    "tiktok": ("TikTok", "ByteDance"),
    "youtube": ("YouTube", "Google"),
    "meta": ("Meta", "Facebook", "Instagram"),
}

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


@dataclass(frozen=True)
class Setup:
    """What the templates need to know about the operator's setup, decided once from the facts."""

    local: bool  # the service runs on the operator's own computer: no webhooks, no public pages
    public: bool  # people other than the operator connect accounts
    links: bool  # the site may link the service's connect page and deletion form
    place: str  # "our server" or "our own computer", used in sentences
    deletion_url: str  # where people ask for deletion on the web ("" : write to us)
    form: bool  # that address is the service's own form (confirmation code, status page)
    contact: str  # Markdown: how to reach the operator
    stores_google_tokens: bool  # a declared row keeps Google (YouTube) tokens
    who: str  # "{operator}" or "" when the operator gives no legal name
    unaffiliated: str  # "TikTok or ByteDance" ... every platform owner, joined
    tokens_kept: str  # the "in short" sentence on how long tokens are kept
    receipt: str  # what is kept of a deletion, as a clause: "keeping only ... for 365 days"
    records_kept: str  # how long anonymous webhook receipts stay, as a clause: "for 30 days"


def contact_markdown(facts: Facts) -> str:
    """Return how to reach the operator as Markdown: the email address, the contact page, or both."""
    op = facts.operator
    parts = [f"[{op.contact_email}](mailto:{op.contact_email})"] if op.contact_email else ["us"]
    if op.contact_url:
        parts.append(f"through [our contact page]({op.contact_url})")
    return " ".join(parts) if parts[0] == "us" else " or ".join(parts)


def joined(words: list[str], last: str = "or") -> str:
    """Join words as a sentence does: "a", "a or b", "a, b or c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def setup(facts: Facts) -> Setup:
    """Decide the setup-dependent wording for these facts."""
    days = facts.retention.tokens_unused_days
    kept = (
        (
            "Your TikTok tokens are kept until you revoke access or ask us to delete them; there is no time limit "
            "otherwise."
        )
        if days is None
        else f"Your TikTok tokens are kept until you revoke access, and deleted after {_n(days, 'day')} without use."
    )
    receipts, records = facts.retention.deletion_receipts_days, facts.retention.records_days
    receipt = (
        "keeping no receipt: the record of the deletion itself is removed by the next daily purge"
        if receipts == 0
        else (
            "keeping only a minimal deletion receipt (with your open_id replaced by a "
            f"one-way hash) for {_n(receipts, 'day')}"
        )
    )
    address = deletion_address(facts)
    return Setup(
        local=local(facts),
        public=public_users(facts),
        links=public_pages(facts),
        place="our own computer" if local(facts) else "our server",
        deletion_url=address,
        form=address == f"{facts.service_url}/deletion",
        contact=contact_markdown(facts),
        stores_google_tokens="google_tokens" in declared_topics(facts),
        who=facts.operator.legal_name,
        unaffiliated=joined([n for p in facts.platforms for n in OWNERS[p.key]]),
        tokens_kept=kept,
        receipt=receipt,
        records_kept="with no time limit, as they name nobody" if records is None else f"for {_n(records, 'day')}",
    )


def not_collected(facts: Facts) -> list[str]:
    """Return what we do not collect: the fixed list, then the operator's own statements."""
    return list(NOT_COLLECTED) + [WE_DO_NOT[k][1] for k in facts.we_do_not if WE_DO_NOT[k][0] == "collect"]


def never_done(facts: Facts) -> list[str]:
    """Return what we never do: the fixed sentences, then the operator's own statements."""
    return list(NEVER_DONE) + [WE_DO_NOT[k][1] for k in facts.we_do_not if WE_DO_NOT[k][0] == "never"]


def cookies(facts: Facts) -> list[tuple[Cookie, str]]:
    """Return (cookie, who sets it) for every cookie: the service's own (from its code), then the operator's."""
    return [(c, f"{facts.name}'s callback service") for c in service_cookies(facts)] + [
        (c, f"{facts.name}'s own website") for c in facts.cookies
    ]


def privacy_links(facts: Facts) -> dict[str, tuple[str, str]]:
    """Return (title, URL) of each enabled platform's own privacy policy, by platform key."""
    return {p.key: PLATFORM_POLICIES[p.key] for p in facts.platforms}


def _n(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


# Sentences a page must not hold when the facts declare the opposite, by topic. Each looks within one line:
# a sentence, a table row or a list item. "Other people's email" is not a denial that we get yours.
_DENIALS = (
    (
        "google_tokens",
        re.compile(
            r"\b(?:does not|doesn't|do not|don't|never)\s+(?:store|keep|hold)s?\b[^.|\n]*"
            r"\b(?:Google|YouTube) tokens",
            re.I,
        ),
    ),
    ("email", re.compile(r"\b(?:do not|don't|never)\s+(?:collect|ask for|keep|store)\b[^.|\n]*\byour e-?mail", re.I)),
    (
        "cookies",
        re.compile(
            r"\b(?:we|service|app)\b[^.|\n]{0,40}\b(?:sets?|uses?) no cookies|\bno cookies at all\b|"
            r"\b(?:does not|do not|never) (?:set|use)s? (?:any )?cookies",
            re.I,
        ),
    ),
)
# A "we do not collect:" list, and an item of it denying that we get the reader's email address.
_NOT_COLLECTED_LIST = re.compile(r"do not collect:?[ \t]*\n+((?:[ \t]*[-*] .*\n?)+)", re.I)
_EMAIL_ITEM = re.compile(r"^[ \t]*[-*] (?:your )?e-?mail address(?:es)?\b", re.I | re.M)


def _denial(topic: str, pattern: re.Pattern, text: str) -> str:
    """Return the first passage of `text` that denies the topic, or ""."""
    found = pattern.search(text)
    if found:
        return found.group(0)
    if topic == "email":
        for block in _NOT_COLLECTED_LIST.finditer(text):
            item = _EMAIL_ITEM.search(block.group(1))
            if item:
                return "we do not collect: " + item.group(0).strip()
    return ""


def contradictions(facts: Facts, pages: dict[str, str]) -> list[str]:
    """Name each page sentence that denies what the facts declare (tokens kept, email collected, cookies set)."""
    declared = dict(declared_topics(facts))
    if collects_email(facts):
        declared.setdefault("email", collects_email(facts))
    if cookies(facts):
        declared["cookies"] = "cookies" if facts.cookies else "users"
    out = []
    for path, text in sorted(pages.items()):
        if not path.endswith(".md") or path.startswith("history/"):
            continue  # frozen earlier versions describe the setup of their day
        for topic, pattern in _DENIALS:
            found = _denial(topic, pattern, text) if topic in declared else ""
            if found:
                out.append(
                    f"{path} says {found!r}, but extra.app.{declared[topic]} "
                    f"{_declares(topic)}: change the page or the fact"
                )
    return out


def _declares(topic: str) -> str:
    return {
        "google_tokens": "declares that Google tokens are stored",
        "email": "means email addresses reach us",
        "cookies": "means cookies are set",
    }[topic]
