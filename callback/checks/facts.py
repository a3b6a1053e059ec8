"""Facts and configuration checks: the app's name, redirect URIs, webhook, contact and client key."""

from __future__ import annotations

import re

from callback.checks.addresses import is_loopback
from callback.checks.model import Finding, Target, fail, note, register, warn
from callback.checks.naming import platform_names_in
from callback.checks.pages import LocalSite
from callback.facts.addresses import EMAIL
from callback.facts.setup import local

CHECKS: list = []
check = register(CHECKS, "facts")

PLACEHOLDERS = re.compile(
    r"^(x+|change[-_ ]?me|your[-_ ]?(tiktok[-_ ]?)?client[-_ ]?key|client[-_ ]?key|"
    r"placeholder|todo|tbd|test|example|dummy|none|null|key|<.*>|\$\{.*\}|\.\.\.)$",
    re.I,
)
MAX_REDIRECTS = 10


@check("facts.draft", "The facts are final, not a draft")
def draft(t: Target) -> list[Finding]:
    if not t.facts.draft:
        return [note("draft: false")]
    fix = f"describe your real app, then set {t.fact('draft')} to false"
    if t.demo:
        # A loopback demo can never be submitted, so its facts being a draft is expected there;
        # the same facts with real addresses fail.
        return [warn("the facts are marked draft: true; fine for this loopback demo, not for review", fix)]
    return [fail("the facts are marked draft: true (example or unfinished facts)", fix)]


@check("facts.name", "The app name names no social platform and matches the site title")
def name(t: Target) -> list[Finding]:
    app, out = t.facts.name, []
    found = platform_names_in(app)
    if found:
        out.append(
            fail(
                f"the app name {app!r} contains {', '.join(found)}; app review refuses names of platforms",
                f"choose your own name in {t.fact('name')} and site_name",
            )
        )
    site_name = str(t.config.get("site_name", "")).strip()
    if "site_name" in t.config and site_name.casefold() != app.casefold():
        # The greenlight plugin titles the built site with the app name, so this only misleads readers
        # of mkdocs.yml; the built <title> below is what reviewers compare.
        out.append(
            warn(
                f"site_name {site_name!r} in {t.facts_path.name} differs from the app name {app!r}",
                f"make site_name in {t.facts_path.name} equal {t.fact('name')}",
            )
        )
    from callback.checks.site import page

    _resp, doc = page(t, "landing")
    if doc is not None and app.casefold() not in doc.title.casefold():
        out.append(
            fail(
                f"the landing page's <title> {doc.title!r} does not contain {app!r}",
                f"rebuild and redeploy the site (greenlight build): the title comes from {t.fact('name')}",
            )
        )
    return out or [note(f"{app!r} is the site title")]


def _https_or_demo(t: Target, url: str, what: str, fix: str) -> Finding | None:
    """Judge an address app review wants on https; loopback addresses of a demo only warn."""
    if url.startswith("https://"):
        return None
    if is_loopback(url) and t.demo:
        return warn(f"{what} {url} is a loopback demo address; app review needs https", fix)
    return fail(f"{what} {url} is not https", fix)


@check("facts.redirects", "Redirect URIs follow TikTok's rules and equal what the service serves")
def redirects(t: Target) -> list[Finding]:
    from callback.platform.redirects import (
        configured_redirect_uri,
        redirect_mismatch,
        redirect_uri_problems,
        served_redirect_uri,
    )

    kind = t.facts.app_type
    written = (t.facts.raw.get("platforms", {}).get("tiktok") or {}).get("redirect_uris")
    where = t.fact("platforms.tiktok.redirect_uris" if written else "urls.service")
    # Judge the URIs as written (the loader trims a trailing slash, but the operator pastes what
    # mkdocs.yml says into the developer portal, and TikTok compares exactly).
    uris = tuple(str(u) for u in written) if written else t.facts.redirect_uris
    out = []
    if not uris:
        return [fail("no redirect URI", f"edit {where}")]
    if len(uris) > MAX_REDIRECTS:
        out.append(fail(f"{len(uris)} redirect URIs; TikTok accepts at most {MAX_REDIRECTS}", f"edit {where}"))
    for uri in uris:
        demo_http = kind == "web" and t.demo and is_loopback(uri) and uri.startswith("http://")
        # A demo's loopback callback is judged as if it were https; the scheme alone only warns.
        problems = redirect_uri_problems("https://" + uri[len("http://") :] if demo_http else uri, kind)
        shown = uri if len(uri) <= 80 else uri[:77] + "..."
        out += [fail(f"{shown}: {p}", f"edit {where}") for p in problems]
        if demo_http:
            out.append(
                warn(f"{uri} is a loopback demo address; a web app's redirect URI must be https", f"edit {where}")
            )
    configured = configured_redirect_uri(t.settings, t.facts)
    if written and configured not in uris and configured in t.facts.redirect_uris:
        configured = uris[t.facts.redirect_uris.index(configured)]  # compare the URI as written
    if configured not in uris:
        out.append(
            fail(
                f"GREENLIGHT_REDIRECT_URI {configured} is not among the facts' redirect URIs",
                f"add it to {where}, or unset GREENLIGHT_REDIRECT_URI",
            )
        )
    served = served_redirect_uri(t.facts.service_url)
    mismatch = redirect_mismatch(configured, served)
    if mismatch:
        out.append(
            fail(
                f"{configured} is not where the service answers ({served}): {mismatch}",
                f"make {where} and {t.fact('urls.service')} agree (scheme, host, port, path, trailing slash)",
            )
        )
    return out or [note(f"{len(uris)} redirect URI(s) for a {kind} app; the service answers at {served}")]


@check("facts.webhook", "The webhook URL is https (or, for a local service, none is promised)")
def webhook(t: Target) -> list[Finding]:
    if local(t.facts):
        # TikTok cannot reach a loopback service; the policy says a refused token is how removals are learnt.
        return [
            note(
                "deployment: local: no webhook URL to register; a removal is learnt when TikTok refuses "
                "the account's token (greenlight tokens refresh checks each token)"
            )
        ]
    fix = f"set {t.fact('urls.service')} to your https service, or {t.fact('deployment')} to local"
    bad = _https_or_demo(t, t.facts.webhook_url, "the webhook URL", fix)
    return [bad] if bad else [note(t.facts.webhook_url)]


# A URL on this machine: no visitor of the public site can open it.
_LOOPBACK_URL = re.compile(r"https?://(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?[^\s\"'<>)]*", re.I)


@check("facts.deployment", "The pages promise only endpoints people can reach, as the deployment says")
def deployment(t: Target) -> list[Finding]:
    facts, out = t.facts, []
    if local(facts) and facts.app_type != "desktop":
        out.append(
            fail(
                "deployment: local, but platforms.tiktok.app_type is web: TikTok accepts a loopback "
                "redirect URI only for desktop apps",
                f"set {t.fact('platforms.tiktok.app_type')} to desktop",
            )
        )
    if facts.users == "owner" and "video.publish" in facts.tiktok_scopes:
        # Field report (shared/platform-contracts.md): Direct Post review refuses apps for personal use.
        out.append(
            warn(
                "users: owner with video.publish: TikTok's review refuses Direct Post for apps meant for "
                "private or personal use",
                f"publish with video.upload (inbox drafts), or open the app to others ({t.fact('users')}: public)",
            )
        )
    if isinstance(t.site, LocalSite) and not t.site.exists():
        return out or [note(f"deployment: {facts.deployment} (no built site to read)")]
    fix = (
        f"keep loopback addresses off the pages: {t.fact('deployment')} is {facts.deployment}; rebuild with "
        "greenlight build (page templates must not print app.connect_url or app.service_url for a local service)"
    )
    for path, resp in t.site.walk():
        if not resp.content_type.startswith("text/html"):
            continue
        found = _LOOPBACK_URL.search(resp.text)
        if not found:
            continue
        shown = f"{path or 'index.html'} shows {found.group(0)}, which no visitor or platform can reach"
        out.append(warn(shown + " (loopback demo)", fix) if t.demo and not local(facts) else fail(shown, fix))
    return out or [note(f"deployment: {facts.deployment}; no page shows a loopback address")]


@check("facts.contact", "A contact email or contact page is given")
def contact(t: Target) -> list[Finding]:
    email = t.facts.operator.contact_email or ""
    fix = f"set {t.fact('operator.contact_email')} to an address you read"
    if not email and t.facts.operator.contact_url:
        return [note(f"contact page {t.facts.operator.contact_url}")]
    if not EMAIL.match(email):
        return [fail(f"contact email {email!r} is not an email address", fix)]
    domain = email.rpartition("@")[2].casefold()
    if re.search(r"(^|\.)(example\.(com|org|net)|example|invalid|test|localhost)$", domain):
        return [warn(f"{email} is on a reserved example domain; users and reviewers cannot reach it", fix)]
    return [note(email)]


def demo_client_key() -> str:
    """The sandbox's well-known demo client key (never a real app's)."""
    from callback.sandbox import DEFAULTS

    return DEFAULTS["CLIENT_KEY"]


@check("facts.client_key", "The client key is real, and sandbox and production are not mixed")
def client_key(t: Target) -> list[Finding]:
    key = (t.settings.get("TIKTOK_CLIENT_KEY") or "").strip()
    fix = "set TIKTOK_CLIENT_KEY in the environment or .env to the key from the developer portal"
    if not key:
        return [fail("TIKTOK_CLIENT_KEY is not set", fix)]
    if PLACEHOLDERS.match(key):
        return [fail(f"TIKTOK_CLIENT_KEY is a placeholder ({key!r})", fix)]
    if key == demo_client_key():
        if t.demo:
            return [warn("TIKTOK_CLIENT_KEY is the local demo key; fine for the demo, not for review", fix)]
        return [fail("TIKTOK_CLIENT_KEY is the local demo key", fix)]
    # Assumption, from the developer portal's key shapes: sandbox apps' client keys start with "sbaw",
    # production apps' with "aw". A key of another shape is reported, not judged.
    # A local service is on loopback by design: its facts are production facts all the same.
    production_facts = (
        not t.facts.draft
        and not is_loopback(t.facts.site_url)
        and (local(t.facts) or not is_loopback(t.facts.service_url))
    )
    if key.startswith("sbaw"):
        if production_facts:
            return [
                warn(
                    "TIKTOK_CLIENT_KEY is a sandbox key (starts with 'sbaw', assumed) but the facts are final "
                    "production facts: only sandbox target users can connect",
                    "use the production app's key once it is approved; keep the sandbox key while testing",
                )
            ]
        return [note("sandbox client key (starts with 'sbaw') for draft or local facts")]
    if key.startswith("aw"):
        if not production_facts:
            return [
                warn(
                    "TIKTOK_CLIENT_KEY is a production key (starts with 'aw', assumed) used with draft or "
                    "loopback facts",
                    "use the sandbox app's key for testing, or finish the facts",
                )
            ]
        return [note("production client key (starts with 'aw') for production facts")]
    return [
        warn(
            "TIKTOK_CLIENT_KEY has neither the sandbox ('sbaw') nor the production ('aw') shape; "
            "sandbox/production mixing could not be judged",
            fix,
        )
    ]
