"""The MkDocs plugin: a thin adapter that feeds docs/ templates and the facts to callback.site."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.utils import clean_directory

from callback.facts import Facts, FactsError, load_facts, parse_facts
from callback.facts.dates import longdate
from callback.site.audit import find_external, find_secrets, secret_values
from callback.site.history import stale
from callback.site.render import TemplateError, render_pages

# Pages app review needs; a site without them must not build.
REQUIRED = {"index.md": "Home", "privacy.md": "Privacy Policy", "terms.md": "Terms of Service",
            "data-deletion.md": "Data deletion", "history/index.md": "Policy history"}
LEGAL = ("privacy.md", "terms.md", "data-deletion.md", "history/index.md")
# Theme block overrides and the stylesheet ship in the package: no operator copies them into docs/.
THEME = Path(__file__).resolve().parent / "templates" / "theme"
STYLESHEET = "assets/greenlight.css"


def production_requested() -> bool:
    """Tell whether the environment asks for a production build (GREENLIGHT_PRODUCTION=1)."""
    return os.environ.get("GREENLIGHT_PRODUCTION", "").strip().lower() in ("1", "true", "yes")


class GreenlightConfig(Config):
    facts = c.Type(str, default="")          # facts file, relative to mkdocs.yml; default: its own extra.app
    production = c.Type(bool, default=False)  # refuse draft facts


class GreenlightPlugin(BasePlugin[GreenlightConfig]):
    """Render the public pages from the facts, write verification files, refuse to ship secrets."""

    def __init__(self) -> None:
        self.facts: Facts | None = None
        self.facts_path: str | None = None   # set by callback.site.build to override every other source
        self.production: bool | None = None  # likewise
        self.links: list[dict] = []
        self.static: dict[str, str] = {}
        self.site_dir: Path | None = None

    def _load(self, config: MkDocsConfig) -> Facts:
        base = Path(config.config_file_path or ".").parent
        path = self.facts_path or os.environ.get("GREENLIGHT_FACTS") or (
            str(base / self.config.facts) if self.config.facts else "")
        try:
            if path:
                return load_facts(path)
            return parse_facts(_require_app(config.extra))
        except FactsError as exc:
            raise PluginError("the facts are invalid:\n" + str(exc)) from None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.site_dir = Path(config.site_dir)  # before anything can fail: on_build_error empties it
        facts = self.facts = self._load(config)
        production = self.production if self.production is not None else (
            self.config.production or production_requested())
        if production and facts.draft:
            raise PluginError("production build refused: the facts say `draft: true`. Set extra.app.draft to "
                              "false once every fact is true for your app, then build again.")
        # The facts, not mkdocs.yml, name the site: one source of truth. Material prints these into HTML,
        # some with |e and some raw; escaped Markup reads right both ways (|e leaves Markup alone).
        config.site_name = escape(facts.name)
        config.site_description = escape(facts.summary)
        config.site_url = facts.site_url + "/"
        config.copyright = Markup("© {} {}").format(facts.effective_date.year, facts.operator.legal_name)
        config.extra["app"] = facts.raw  # whoever reads extra.app sees the facts this site is built from
        # After the operator's own custom_dir (which may override ours), before Material's templates.
        at = 1 if config.theme.custom_dir else 0
        if str(THEME) not in config.theme.dirs:
            config.theme.dirs.insert(at, str(THEME))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        docs = Path(config.docs_dir).resolve()
        custom = Path(config.theme.custom_dir).resolve() if config.theme.custom_dir else None
        if custom and custom.is_relative_to(docs):
            # Theme overrides kept under docs/ are templates for the theme, not pages or files to publish.
            inside = custom.relative_to(docs).as_posix() + "/"
            for f in [f for f in files if f.src_dir and Path(f.src_dir).resolve() == docs]:
                if f.src_uri.startswith(inside):
                    files.remove(f)
        if files.get_file_from_path(STYLESHEET) is None:
            files.append(File.generated(config, STYLESHEET, abs_src_path=str(THEME / "greenlight.css")))
        missing = [p for p in REQUIRED if files.get_file_from_path(p) is None]
        if missing:
            raise PluginError(f"{docs}: missing page template(s) {', '.join(missing)}; app review needs them")
        pages = {f.src_uri: f for f in files if f.src_uri.endswith(".md")}
        try:
            rendered = render_pages(self.facts, {p: f.content_string for p, f in pages.items()})
        except TemplateError as exc:
            raise PluginError(f"page template {Path(config.docs_dir).name}/{exc}") from None
        changed = stale(self.facts, rendered)
        if changed:
            raise PluginError(f"the pages changed since {', '.join(changed)} was archived, but effective_date is "
                              f"still {self.facts.effective_date}: set a new effective_date and add a history "
                              "entry saying what changed")
        for path, text in rendered.items():
            if path in pages:
                pages[path].content_string = text
        self.static = {p: t for p, t in rendered.items() if p not in pages}
        self.links = [{"title": REQUIRED[p], "url": files.get_file_from_path(p).url} for p in LEGAL]
        return files

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        facts = self.facts
        env.globals["greenlight"] = {
            "draft": facts.draft, "name": escape(facts.name), "operator": escape(facts.operator.legal_name),
            "effective_date": longdate(facts.effective_date), "links": self.links,
        }
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        for path, text in self.static.items():
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode())  # bytes: exactly the content, no trailing newline
        dotenv = Path(config.config_file_path or "mkdocs.yml").parent / ".env"
        leaks = find_secrets(site, secret_values(os.environ, dotenv))
        if leaks:
            lines = "\n".join(f"  {p.relative_to(site)}: {kind}" for p, kind in leaks)
            raise PluginError(f"secret guard: the built site contains secrets; nothing may be published:\n{lines}")
        outside = find_external(site)
        if outside:
            lines = "\n".join(f"  {p.relative_to(site)}: {url}" for p, url in outside[:20])
            raise PluginError("the site would load resources from other hosts, but the privacy policy promises "
                              f"it loads none:\n{lines}")

    def on_build_error(self, *, error: BaseException) -> None:
        """Leave nothing of a failed build that could be published by mistake (a leak, a half-written site)."""
        if self.site_dir is not None:
            discard(self.site_dir)


def discard(site: Path) -> None:
    """Empty a site directory as MkDocs cleans it (hidden entries, such as a gh-pages .git, stay), then drop it."""
    clean_directory(str(site))
    with contextlib.suppress(OSError):
        site.rmdir()  # only once nothing is left in it


def _require_app(extra) -> dict:
    app = extra.get("app") if hasattr(extra, "get") else None
    if not isinstance(app, dict):
        raise FactsError(["extra.app: is required (a mapping with the app's facts) in mkdocs.yml"])
    return app
