"""Site checks: the pages app review opens, how they are served, what they load, what they must not leak."""

from __future__ import annotations

from urllib.parse import urljoin

from callback.checks.addresses import is_loopback, origin
from callback.checks.html import Document, parse
from callback.checks.model import Finding, Skip, Target, fail, note, register, warn
from callback.checks.pages import LocalSite, Response

CHECKS: list = []
check = register(CHECKS, "site")

# The four pages app review opens: key -> (title, docs source, URL path with MkDocs' directory URLs).
PAGES = {
    "landing": ("Landing page", "docs/index.md", ""),
    "privacy": ("Privacy policy", "docs/privacy.md", "privacy/"),
    "terms": ("Terms of service", "docs/terms.md", "terms/"),
    "deletion": ("Data-deletion page", "docs/data-deletion.md", "data-deletion/"),
}
REBUILD = "rebuild the site (greenlight build) and deploy it again"


def page_path(config: dict, key: str) -> str:
    """Return the URL path of a page, honouring mkdocs.yml's use_directory_urls."""
    path = PAGES[key][2]
    if path and config.get("use_directory_urls") is False:
        return path.rstrip("/") + ".html"
    return path


def page_url(base: str, config: dict, key: str) -> str:
    """Return a page's absolute URL under a site base URL."""
    return urljoin(base.rstrip("/") + "/", page_path(config, key))


def page(target: Target, key: str) -> tuple[Response, Document | None]:
    """Fetch (once) and parse one of the four pages."""
    memo = target.cache.setdefault("pages", {})
    if key not in memo:
        resp = target.site.get(page_path(target.config, key))
        ok = resp.status == 200 and not resp.error
        memo[key] = (resp, parse(resp.text) if ok else None)
    return memo[key]


def loaded_pages(target: Target) -> dict[str, Document]:
    """Return the pages that answered; skip the check when none did (the pages check says why)."""
    docs = {key: doc for key in PAGES if (doc := page(target, key)[1]) is not None}
    if not docs:
        raise Skip("no page of the site could be read (see the pages check)")
    return docs


@check("site.pages", "Landing, privacy, terms and data-deletion pages answer 200 without redirects")
def pages_answer(t: Target) -> list[Finding]:
    if isinstance(t.site, LocalSite) and not t.site.exists():
        return [fail(f"no built site at {t.site.label}", "run `greenlight build` first, or pass --site URL")]
    out = []
    for key, (title, source, _) in PAGES.items():
        resp, _doc = page(t, key)
        where = t.site.url(page_path(t.config, key))
        if resp.error and resp.status == 0:
            out.append(fail(f"{title}: {resp.error}", "check the site is deployed and the address is right"))
        elif resp.redirect:
            out.append(
                fail(
                    f"{title}: {where} redirects ({resp.status}) to {resp.location or '?'}",
                    "serve the page at this exact address (review tools do not follow redirects)",
                )
            )
        elif resp.status != 200:
            found = "missing" if t.site.local else f"answers {resp.status}"
            out.append(fail(f"{title}: {where} {found}", f"make sure {source} exists, then {REBUILD}"))
        else:
            out.append(note(f"{title}: {where}"))
    return out


@check("site.https", "The site is served over https")
def https(t: Target) -> list[Finding]:
    # A local build or a loopback preview is judged by the address the facts publish.
    url = t.facts.site_url if t.site.local or is_loopback(t.site.label) else t.site.label
    fix = f"set {t.fact('urls.site')} to your https address"
    if url.startswith("https://"):
        out = [note(f"{url} is https")]
        if not t.site.local and not is_loopback(t.site.label) and origin(url) != origin(t.facts.site_url):
            out.append(
                warn(
                    f"checking {url} but the facts publish {t.facts.site_url}",
                    f"check the deployed site, or correct {t.fact('urls.site')}",
                )
            )
        return out
    if is_loopback(url) and t.demo:
        return [warn(f"{url} is a loopback demo address; app review needs https", fix)]
    return [fail(f"{url} is not https; app review needs https", fix)]


@check("site.verification", "Verification files are byte-exact plain text, served without redirect")
def verification(t: Target) -> list[Finding]:
    if not t.facts.verification:
        return [note("no verification tokens in the facts")]
    fix = f"keep the token in {t.fact('verification.tiktok')}, then {REBUILD} (never edit the file by hand)"
    out = []
    for ver in t.facts.verification:
        want = ver.content.encode()
        for path in [ver.filename] + ([f"{ver.prefix}/{ver.filename}"] if ver.prefix else []):
            resp, where = t.site.get(path), t.site.url(path)
            if resp.redirect:
                out.append(fail(f"{where} redirects ({resp.status}); TikTok reads it without following", fix))
            elif resp.status != 200:
                out.append(fail(f"{where} {'is missing' if t.site.local else f'answers {resp.status}'}", fix))
            elif resp.body != want:
                extra = " (a trailing newline)" if resp.body.rstrip(b"\r\n") == want else ""
                out.append(fail(f"{where} does not hold exactly {ver.content!r}{extra}", fix))
            elif resp.content_type.split(";")[0].strip().lower() != "text/plain":
                out.append(
                    fail(
                        f"{where} is served as {resp.content_type or 'no type'}, not text/plain",
                        "serve .txt files as text/plain on the host",
                    )
                )
            else:
                out.append(note(f"{where}: exact, text/plain"))
    return out


def _offsite(url: str, page_url: str, site_origin: str) -> bool:
    """True when a loaded URL, resolved against its page, is served by another host."""
    from callback.site.audit import external

    return external(url) and origin(urljoin(page_url, url.strip())) != site_origin


@check("site.external", "No page loads anything from another host")
def external_resources(t: Target) -> list[Finding]:
    from callback.site.audit import css_urls, page_resources

    # A local build is judged as if served at the facts' site URL (absolute links to it are local).
    site_origin = origin(t.facts.site_url if t.site.local else t.site.label)
    out, scanned = [], 0
    for path, resp in t.site.walk():
        kind = resp.content_type.split(";")[0]
        if kind not in ("text/html", "text/css"):
            continue
        scanned += 1
        urls = page_resources(resp.text) if kind == "text/html" else css_urls(resp.text)
        where = urljoin(t.facts.site_url + "/", path) if t.site.local else resp.url
        for url in urls:
            if _offsite(url, where, site_origin):
                out.append(
                    fail(
                        f"{path or 'index.html'} loads {url}",
                        "bundle the file with the site (docs/assets) or remove it; "
                        "for fonts keep `theme.font: false` in mkdocs.yml",
                    )
                )
    return out or [note(f"{scanned} HTML/CSS file(s) load only from the site itself")]


@check("site.secrets", "No secret or token-shaped string anywhere in the site")
def secrets(t: Target) -> list[Finding]:
    from callback.checks.leaks import scan

    return scan(t)
