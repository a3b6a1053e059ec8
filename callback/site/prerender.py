"""What every build of the public site does around its generator: the MkDocs plugin and the Zensical build share it."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from callback.facts import Facts, FactsError, load_facts, parse_facts
from callback.facts.addresses import is_loopback
from callback.facts.dates import longdate
from callback.site import face
from callback.site.audit import find_external, find_secrets, secret_values
from callback.site.history import stale
from callback.site.render import TemplateError, render_pages
from callback.site.statements import contradictions

# Pages app review needs; a site without them must not build.
REQUIRED = {
    "index.md": "Home",
    "privacy.md": "Privacy Policy",
    "terms.md": "Terms of Service",
    "data-deletion.md": "Data deletion",
    "history/index.md": "Policy history",
}
LEGAL = ("privacy.md", "terms.md", "data-deletion.md", "history/index.md")
# Theme block overrides and the stylesheet ship in the package: no operator copies them into docs/.
THEME = Path(__file__).resolve().parent / "templates" / "theme"
STYLESHEET = "assets/greenlight.css"


class SiteError(RuntimeError):
    """Raised when the site cannot be built; the message says why, in the operator's terms."""


def production_requested() -> bool:
    """Tell whether the environment asks for a production build (GREENLIGHT_PRODUCTION=1)."""
    return os.environ.get("GREENLIGHT_PRODUCTION", "").strip().lower() in ("1", "true", "yes")


def facts_path(base: Path, explicit: str | None = None, option: str = "") -> str:
    """Name the facts file: the caller's, else GREENLIGHT_FACTS, else the plugin's `facts` option ("" for extra.app)."""
    return explicit or os.environ.get("GREENLIGHT_FACTS") or (str(base / option) if option else "")


def load(path: str, extra: Any) -> Facts:
    """Read the facts from `path`, or from the configuration's extra.app when path is empty."""
    try:
        if path:
            return load_facts(path)
        app = extra.get("app") if hasattr(extra, "get") else None
        if not isinstance(app, dict):
            raise FactsError(["extra.app: is required (a mapping with the app's facts) in mkdocs.yml"])
        return parse_facts(app)
    except FactsError as exc:
        raise SiteError("the facts are invalid:\n" + str(exc)) from None


def refuse(facts: Facts, production: bool) -> None:
    """Stop a production build of facts that are not ready to be published."""
    if production and facts.draft:
        raise SiteError(
            "production build refused: the facts say `draft: true`. Set extra.app.draft to "
            "false once every fact is true for your app, then build again."
        )
    if production and facts.deployment == "hosted" and is_loopback(facts.service_url):
        raise SiteError(
            f"production build refused: extra.app.urls.service is {facts.service_url}, which no "
            "visitor or platform can reach. Give the service's public https address, or set "
            "extra.app.deployment to local if it runs on your own computer."
        )


def identity(facts: Facts) -> dict[str, Any]:
    """Return the site-wide settings the facts decide: name, description, address and copyright line."""
    # One source of truth: the facts, not mkdocs.yml, name the site. The theme prints these into HTML, some
    # with |e and some raw; escaped Markup reads right both ways (|e leaves Markup alone).
    return {
        "site_name": escape(facts.name),
        "site_description": escape(facts.summary),
        "site_url": facts.site_url + "/",
        "copyright": Markup("© {} {}").format(facts.effective_date.year, facts.operator.legal_name or facts.name),
    }


def check_files(facts: Facts, files: Any, docs: Path, present: Iterable[str]) -> None:
    """Refuse a docs directory without the pages app review needs, or without the pictures the facts name."""
    have = set(present)
    missing = [p for p in REQUIRED if p not in have]
    if missing:
        raise SiteError(f"{docs}: missing page template(s) {', '.join(missing)}; app review needs them")
    pictures = face.problems(facts, files, docs.name)
    if pictures:
        raise SiteError("the facts name pictures the site does not have:\n" + "\n".join(pictures))


def render(facts: Facts, sources: Mapping[str, str], docs_name: str) -> tuple[dict[str, str], dict[str, str]]:
    """Render the page templates; return (pages by docs path, verification files by site path)."""
    try:
        rendered = render_pages(facts, sources)
    except TemplateError as exc:
        raise SiteError(f"page template {docs_name}/{exc}") from None
    denied = contradictions(facts, rendered)
    if denied:  # a page denying what the facts declare would be a false promise
        raise SiteError("the pages contradict the facts:\n" + "\n".join(f"  {d}" for d in denied))
    changed = stale(facts, rendered)
    if changed:
        raise SiteError(
            f"the pages changed since {', '.join(changed)} was archived, but effective_date is "
            f"still {facts.effective_date}: set a new effective_date and add a history "
            "entry saying what changed"
        )
    pages = {p: t for p, t in rendered.items() if p in sources}
    return pages, {p: t for p, t in rendered.items() if p not in sources}


def legal_links(url_of: Callable[[str], str]) -> list[dict[str, str]]:
    """Return the legal pages' links for the theme: title, one-word label and URL (from the site root)."""
    return [{"title": REQUIRED[p], "short": REQUIRED[p].split(" ")[0], "url": url_of(p)} for p in LEGAL]


def template_data(facts: Facts, links: list[dict[str, str]], files: Any) -> dict[str, Any]:
    """Return what the theme overrides read as `greenlight`: draft, names, date, legal links, the product."""
    return {
        "draft": facts.draft,
        "name": escape(facts.name),
        "operator": escape(facts.operator.legal_name or facts.name),
        "effective_date": longdate(facts.effective_date),
        "links": links,
        "product": face.view(facts, files),
    }


def write_static(site: Path, static: Mapping[str, str]) -> None:
    """Write the verification files into the built site."""
    for path, text in static.items():
        target = site / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())  # bytes: exactly the content, no trailing newline


def audit(site: Path, config_dir: Path) -> None:
    """Refuse a built site that holds a secret or loads anything from another host."""
    leaks = find_secrets(site, secret_values(os.environ, config_dir / ".env"))
    if leaks:
        lines = "\n".join(f"  {p.relative_to(site)}: {kind}" for p, kind in leaks)
        raise SiteError(f"secret guard: the built site contains secrets; nothing may be published:\n{lines}")
    outside = find_external(site)
    if outside:
        lines = "\n".join(f"  {p.relative_to(site)}: {url}" for p, url in outside[:20])
        raise SiteError(
            f"the site would load resources from other hosts, but the privacy policy promises it loads none:\n{lines}"
        )


def discard(site: Path) -> None:
    """Empty a site directory as MkDocs cleans it (hidden entries, such as a gh-pages .git, stay), then drop it."""
    if not site.is_dir():
        return
    for entry in site.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        site.rmdir()  # only once nothing is left in it
