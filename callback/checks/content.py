"""Content checks: what the pages say (app name, date, description, scopes, processors, YouTube terms)."""
from __future__ import annotations

import re

from callback.checks.model import Finding, Skip, Target, fail, note, register
from callback.checks.html import Document
from callback.checks.site import PAGES, REBUILD, loaded_pages, page

CHECKS: list = []
check = register(CHECKS, "site")


def date_forms(day) -> list[str]:
    """Return the ways a page may print the effective date."""
    from callback.facts.dates import longdate

    return [longdate(day), day.isoformat(), f"{day:%B} {day.day}, {day.year}", f"{day.day:02d} {day:%B %Y}"]


@check("site.identity", "Every page names the app and its effective date")
def identity(t: Target) -> list[Finding]:
    name, dates = t.facts.name, date_forms(t.facts.effective_date)
    out = []
    for key, doc in loaded_pages(t).items():
        title, source, _ = PAGES[key]
        # As written, as a word: "clipwise.example" in an email address is not the app's name.
        if not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", doc.text):
            out.append(fail(f"{title} does not name the app ({name})", f"put the app name on {source}, then {REBUILD}"))
        if not any(d in doc.text for d in dates):
            out.append(fail(f"{title} does not show the effective date ({dates[0]})",
                            f"print {t.fact('effective_date')} on {source}, then {REBUILD}"))
    return out or [note(f"{name} and {dates[0]} on every page")]


SECTIONS = {
    "what the app does": re.compile(r"\bwhat\b|\babout\b|\bdoes\b|\bfeatures?\b|\boverview\b", re.I),
    "how it works": re.compile(r"\bhow\b", re.I),
    "the permissions (scopes) it asks for": re.compile(r"scope|permission|access|asks?\b|data", re.I),
}
MIN_WORDS = 150


@check("site.landing", "The landing page describes the app (not a bare landing or login page)")
def landing(t: Target) -> list[Finding]:
    _resp, doc = page(t, "landing")
    if doc is None:
        raise Skip("the landing page could not be read (see the pages check)")
    fix = f"describe the app on {PAGES['landing'][1]} ({t.fact('description')}), then {REBUILD}"
    out = []
    if doc.password_inputs:
        out.append(fail("the landing page asks for a password: reviewers need a public description, not a login page",
                        fix))
    if doc.words < MIN_WORDS:
        out.append(fail(f"the landing page has only {doc.words} words; reviewers want a fully developed site", fix))
    for section, pattern in SECTIONS.items():
        if not any(pattern.search(h) for h in doc.headings[1:] or doc.headings):
            out.append(fail(f"the landing page has no section on {section}", fix))
    missing = [s for p in t.facts.platforms for s in (x.name for x in p.scopes) if s not in doc.text]
    if missing:
        out.append(fail(f"the landing page does not list the scope(s) {', '.join(missing)}", fix))
    return out or [note(f"{doc.words} words; sections: {', '.join(doc.headings[1:6])}")]


@check("site.policy", "The privacy policy names every scope and processor (and YouTube's required terms)")
def policy(t: Target) -> list[Finding]:
    _resp, doc = page(t, "privacy")
    if doc is None:
        raise Skip("the privacy policy could not be read (see the pages check)")
    out = []
    for plat in t.facts.platforms:
        for scope in plat.scopes:
            if scope.name not in doc.text:
                fix = f"list it in {PAGES['privacy'][1]} (scopes come from {t.fact('platforms')}), then {REBUILD}"
                out.append(fail(f"the privacy policy does not name the {plat.name} scope {scope.name}", fix))
    for proc in t.facts.processors:
        if proc.name.casefold() not in doc.text.casefold():
            out.append(fail(f"the privacy policy does not name the processor {proc.name}",
                            f"list {t.fact('processors')} in {PAGES['privacy'][1]}, then {REBUILD}"))
    if t.facts.operator.contact_email not in doc.text:
        out.append(fail(f"the privacy policy does not give the contact email {t.facts.operator.contact_email}",
                        f"print {t.fact('operator.contact_email')} in {PAGES['privacy'][1]}, then {REBUILD}"))
    if t.facts.platform("youtube"):
        out += youtube_terms(t, doc)
    n = sum(len(p.scopes) for p in t.facts.platforms)
    return out or [note(f"{n} scope(s), {len(t.facts.processors)} processor(s) and the contact email named")]


# What Google's YouTube API Services terms require the policy and the terms to say and link.
YOUTUBE_POLICY = {
    "text": ("YouTube API Services", "Limited Use"),
    "links": ("http://www.google.com/policies/privacy", "https://security.google.com/settings/security/permissions"),
}
YOUTUBE_TERMS = "https://www.youtube.com/t/terms"


def youtube_terms(t: Target, privacy: Document) -> list[Finding]:
    """Check the YouTube API Services statements, links to Google's pages included."""
    enabled = t.fact("platforms.youtube")

    def fix(key: str) -> str:
        return f"keep the YouTube section of {PAGES[key][1]} (rendered when {enabled} is enabled), then {REBUILD}"

    out = [fail(f"the privacy policy does not say {phrase!r}", fix("privacy"))
           for phrase in YOUTUBE_POLICY["text"] if phrase not in privacy.text]
    out += [fail(f"the privacy policy does not link {url}", fix("privacy"))
            for url in YOUTUBE_POLICY["links"] if url not in privacy.links]
    _resp, terms = page(t, "terms")
    if terms is not None and YOUTUBE_TERMS not in terms.links:
        out.append(fail(f"the terms do not link the YouTube Terms of Service ({YOUTUBE_TERMS})", fix("terms")))
    return out
