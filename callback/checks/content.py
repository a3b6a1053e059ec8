"""Content checks: what the pages say (app name, date, description, product face, icon, scopes, processors)."""

from __future__ import annotations

import re

from callback.checks.html import Document
from callback.checks.model import Finding, Skip, Target, fail, note, register, warn
from callback.checks.product import product_face
from callback.checks.site import PAGES, REBUILD, loaded_pages, page
from callback.facts.images import image_info
from callback.facts.product import words

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
            out.append(
                fail(
                    f"{title} does not show the effective date ({dates[0]})",
                    f"print {t.fact('effective_date')} on {source}, then {REBUILD}",
                )
            )
    return out or [note(f"{name} and {dates[0]} on every page")]


SECTIONS = {
    "what the app does": re.compile(r"\bwhat\b|\babout\b|\bdoes\b|\bfeatures?\b|\boverview\b", re.I),
    "how it works": re.compile(r"\bhow\b", re.I),
    "the permissions (scopes) it asks for": re.compile(r"scope|permission|access|asks?\b|data", re.I),
}
MIN_WORDS = 150
# The page around the facts is the same for every app; only the operator's own words tell a reviewer what
# this one is. Fewer than these reads as "not fully developed".
MIN_ICON_PX = 512  # the developer portal's app icon
MAX_MARK_BYTES = 32 * 1024  # the logo loads on every page; the site's first load stays under 70 KB


@check("site.landing", "The landing page describes the app (not a bare landing or login page)")
def landing(t: Target) -> list[Finding]:
    _resp, doc = page(t, "landing")
    if doc is None:
        raise Skip("the landing page could not be read (see the pages check)")
    fix = f"describe the app on {PAGES['landing'][1]} ({t.fact('description')}), then {REBUILD}"
    out = []
    if doc.password_inputs:
        out.append(
            fail("the landing page asks for a password: reviewers need a public description, not a login page", fix)
        )
    if doc.words < MIN_WORDS:
        out.append(fail(f"the landing page has only {doc.words} words; reviewers want a fully developed site", fix))
    for section, pattern in SECTIONS.items():
        if not any(pattern.search(h) for h in doc.headings[1:] or doc.headings):
            out.append(fail(f"the landing page has no section on {section}", fix))
    missing = [s for p in t.facts.platforms for s in (x.name for x in p.scopes) if s not in doc.text]
    if missing:
        out.append(fail(f"the landing page does not list the scope(s) {', '.join(missing)}", fix))
    out += product_face(t)
    return out or [
        note(
            f"{doc.words} words, {words(t.facts.product, t.facts.description)} of them the app's own; "
            f"sections: {', '.join(doc.headings[1:6])}"
        )
    ]


@check("site.icon", "The app icon is a square PNG or JPEG of at least 512 px, and the site shows the app's logo")
def icon(t: Target) -> list[Finding]:
    product = t.facts.product
    where = f"docs/{product.icon or 'assets/icon.png'}"
    fix = (
        f"put a square PNG of at least {MIN_ICON_PX} px at {where}, name it in {t.fact('product.icon')}, then {REBUILD}"
    )
    if not product.icon:
        return [fail("no app icon: the developer portal asks for one, and without it the site shows no logo", fix)]
    resp = t.site.get(product.icon)
    if resp.status != 200:
        return [fail(f"the app icon {product.icon} is not on the site ({t.site.url(product.icon)})", fix)]
    info = image_info(resp.body)
    if info is None or info.kind not in ("png", "jpeg"):
        return [fail(f"the app icon {product.icon} is not a PNG or JPEG image (the portal takes no other)", fix)]
    out = []
    if not info.square:
        out.append(fail(f"the app icon is {info.width}×{info.height} px; the portal wants a square", fix))
    if min(info.width, info.height) < MIN_ICON_PX:
        out.append(
            fail(f"the app icon is {info.width}×{info.height} px; the portal wants at least {MIN_ICON_PX} px", fix)
        )
    out += _mark_shown(t)
    return out or [note(f"{product.icon}: {info.kind.upper()} {info.width}×{info.height} px, shown as the logo")]


def _mark_shown(t: Target) -> list[Finding]:
    """Check the landing page loads the logo, and that the logo is light enough to load on every page."""
    from callback.site.audit import page_resources

    resp, _doc = page(t, "landing")
    mark = t.facts.product.mark
    if resp.status == 200 and not any(u.split("?")[0].endswith(mark) for u in page_resources(resp.text)):
        return [
            fail(
                f"the landing page does not show the app's logo ({mark})",
                f"{REBUILD} with the greenlight theme (its header and home page show the logo from the facts)",
            )
        ]
    size = len(t.site.get(mark).body)
    if size > MAX_MARK_BYTES:
        return [
            warn(
                f"the logo {mark} is {size // 1024} KB and loads with every page",
                f"add a small SVG (or a PNG under {MAX_MARK_BYTES // 1024} KB) as {t.fact('product.logo')}",
            )
        ]
    return []


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
            out.append(
                fail(
                    f"the privacy policy does not name the processor {proc.name}",
                    f"list {t.fact('processors')} in {PAGES['privacy'][1]}, then {REBUILD}",
                )
            )
    op = t.facts.operator
    if op.contact_email and op.contact_email not in doc.text:
        out.append(
            fail(
                f"the privacy policy does not give the contact email {op.contact_email}",
                f"print {t.fact('operator.contact_email')} in {PAGES['privacy'][1]}, then {REBUILD}",
            )
        )
    if not op.contact_email and op.contact_url not in doc.links:  # a contact page instead of an address
        out.append(
            fail(
                f"the privacy policy does not link the contact page {op.contact_url}",
                f"link {t.fact('operator.contact_url')} in {PAGES['privacy'][1]}, then {REBUILD}",
            )
        )
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

    out = [
        fail(f"the privacy policy does not say {phrase!r}", fix("privacy"))
        for phrase in YOUTUBE_POLICY["text"]
        if phrase not in privacy.text
    ]
    out += [
        fail(f"the privacy policy does not link {url}", fix("privacy"))
        for url in YOUTUBE_POLICY["links"]
        if url not in privacy.links
    ]
    _resp, terms = page(t, "terms")
    if terms is not None and YOUTUBE_TERMS not in terms.links:
        out.append(fail(f"the terms do not link the YouTube Terms of Service ({YOUTUBE_TERMS})", fix("terms")))
    return out
