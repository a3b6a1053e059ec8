"""Render the public site's pages from the facts: a pure function, no MkDocs involved."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2

from callback.facts import Facts
from callback.facts.dates import longdate
from callback.site.history import is_archive, versions
from callback.site.inventory import inventory
from callback.site.measures import security_measures
from callback.site.statements import cookies, never_done, not_collected, privacy_links, setup

_MARKER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_NAME = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'")


# Every ASCII character that Markdown, its common extensions or HTML may read as markup. As a numeric
# character reference it is plain text, both in Markdown and inside a page's raw HTML blocks (<p>...</p>).
_MARKUP = {ord(c): f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-.!|~=^:$"}
# Facts placed as written. Their validation (callback/facts/addresses.py, parse.py) leaves nothing in them
# that could become a tag, an attribute or a link, and they go into link targets and code spans, where a
# character reference would show as typed. The description is Markdown, validated to hold no raw HTML,
# attribute list or script link.
AS_WRITTEN = {
    "Facts.description",
    "Facts.site_url",
    "Facts.service_url",
    "Facts.redirect_uris",
    "Facts.app_type",
    "Operator.contact_email",
    "Processor.policy_url",
    "Platform.key",
    "Platform.name",
    "Scope.name",
    "Verification.token",
    "Verification.prefix",
    "Operator.contact_url",
    "Facts.deletion_page",
    "Facts.deployment",
    "Facts.users",
    "Facts.we_do_not",
    "Storage.kind",
    "Retention.content_days",
    "Cookie.name",
}


class TemplateError(ValueError):
    """Raised when a page template uses an unknown marker or is not a valid template."""


def cell(value: Any) -> str:
    """Make a value safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ").strip()


def as_text(value: str) -> str:
    """Write a fact as plain text on a page: one line, every markup character a character reference."""
    # A line break in a fact would start a Markdown block (a list, a heading, a raw HTML block).
    return " ".join(value.split()).translate(_MARKUP)


def escaped(value: Any, where: str = "") -> Any:
    """Return a copy of the facts (or any part of them) with every text fact written as plain text."""
    if isinstance(value, str):
        return value if where in AS_WRITTEN else as_text(value)
    if isinstance(value, (tuple, list)):
        return type(value)(escaped(v, where) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value).__name__
        # Facts.raw holds every fact unescaped: no template may reach it.
        return dataclasses.replace(
            value,
            **{
                f.name: {} if f.name == "raw" else escaped(getattr(value, f.name), f"{kind}.{f.name}")
                for f in dataclasses.fields(value)
                if f.init
            },
        )
    return value


def _count(unit: str):
    return lambda n: f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def context(facts: Facts, paths: Iterable[str] = ()) -> dict[str, Any]:
    """Return every name a page template may use; anything else is an unknown marker."""
    # Facts are text: they are escaped here, once, so a template's own Markdown around them stays Markdown.
    facts = escaped(facts)
    return {
        "app": facts,
        "operator": facts.operator,
        "retention": facts.retention,
        "tiktok": facts.platform("tiktok"),
        "youtube": facts.platform("youtube"),
        "meta": facts.platform("meta"),
        "inventory": inventory(facts),
        "not_collected": not_collected(facts),
        "never_done": never_done(facts),
        "security": security_measures(facts),
        "setup": setup(facts),  # how the operator runs the app: callback/site/statements.py
        "cookies": cookies(facts),
        "privacy_links": privacy_links(facts),
        "versions": versions(facts, list(paths)),
    }


def _environment(sources: Mapping[str, str]) -> jinja2.Environment:
    # The loader reports each page's own path as its file name, so errors can name the page and line.
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (sources[name], name, lambda: True)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        # Block tags on lines of their own leave no blank lines, which would break Markdown tables.
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(longdate=longdate, cell=cell, days=_count("day"), hours=_count("hour"))
    return env


def _problem(path: str, source: str, exc: Exception) -> TemplateError:
    """Describe a template failure by page, line and the marker at fault."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError(f"{path}, line {exc.lineno}: {exc.message}")
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = source.splitlines()[line - 1] if line and line <= len(source.splitlines()) else ""
    markers = _MARKER.findall(text)
    found = _NAME.search(str(exc))
    name = found and (found[1] or found[2])
    marker = next((m for m in markers if name and name in m), markers[0] if markers else text.strip())
    where = f", line {line}" if line else ""
    kind = "unknown marker" if isinstance(exc, jinja2.UndefinedError) else "marker failed"
    return TemplateError(f"{path}{where}: {kind} {marker} ({exc})")


def render_page(path: str, source: str, facts: Facts, paths: list[str] | None = None) -> str:
    """Render one page template against the facts."""
    return render_pages(facts, {path: source}, paths=paths)[path]


def render_pages(facts: Facts, sources: Mapping[str, str], paths: list[str] | None = None) -> dict[str, str]:
    """Render every page (docs path -> Markdown with markers) and add the verification files.

    Frozen snapshots under history/ pass through untouched. `paths` lists every docs path (for the
    history page); it defaults to the keys of `sources`.
    """
    ctx = context(facts, list(sources) if paths is None else paths)
    env = _environment(sources)
    out: dict[str, str] = {}
    for path, source in sources.items():
        if is_archive(path):
            out[path] = source
            continue
        try:
            out[path] = env.get_template(path).render(ctx)
        except jinja2.TemplateError as exc:
            raise _problem(path, source, exc) from None
    for ver in facts.verification:
        out[ver.filename] = ver.content
        if ver.prefix:
            out[f"{ver.prefix}/{ver.filename}"] = ver.content
    return out
