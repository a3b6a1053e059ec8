"""The MkDocs plugin: a thin adapter that feeds docs/ templates and the facts to callback.site.prerender."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from callback.facts import Facts
from callback.site import face, prerender

# Kept importable from here: mkdocs.yml users and older scripts name them through the plugin module.
from callback.site.prerender import LEGAL, REQUIRED, STYLESHEET, THEME, discard, production_requested  # noqa: F401


@contextlib.contextmanager
def _as_plugin_error() -> Iterator[None]:
    """Report a refused build the way MkDocs expects a plugin to: a PluginError with the same message."""
    try:
        yield
    except prerender.SiteError as exc:
        raise PluginError(str(exc)) from None


class GreenlightConfig(Config):
    facts = c.Type(str, default="")  # facts file, relative to mkdocs.yml; default: its own extra.app
    production = c.Type(bool, default=False)  # refuse draft facts


class GreenlightPlugin(BasePlugin[GreenlightConfig]):
    """Render the public pages from the facts, write verification files, refuse to ship secrets."""

    def __init__(self) -> None:
        self.facts: Facts | None = None
        self.facts_path: str | None = None  # set by callback.site.build to override every other source
        self.production: bool | None = None  # likewise
        self.links: list[dict] = []
        self.static: dict[str, str] = {}
        self.site_dir: Path | None = None

    def loaded(self) -> Facts:
        """The facts on_config read (MkDocs runs on_config before every other event)."""
        if self.facts is None:
            raise PluginError("the Greenlight plugin was used before MkDocs configured it")
        return self.facts

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.site_dir = Path(config.site_dir)  # before anything can fail: on_build_error empties it
        base = Path(config.config_file_path or ".").parent
        production = (
            self.production if self.production is not None else (self.config.production or production_requested())
        )
        with _as_plugin_error():
            facts = self.facts = prerender.load(
                prerender.facts_path(base, self.facts_path, self.config.facts), config.extra
            )
            prerender.refuse(facts, production)
        for key, value in prerender.identity(facts).items():
            setattr(config, key, value)
        config.extra["app"] = facts.raw  # whoever reads extra.app sees the facts this site is built from
        # After the operator's own custom_dir (which may override ours), before Material's templates.
        at = 1 if config.theme.custom_dir else 0
        if str(THEME) not in config.theme.dirs:
            config.theme.dirs.insert(at, str(THEME))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        face.apply_theme(config, facts)  # the app's own logo and favicon, not the theme's
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
        pages = {f.src_uri: f for f in files if f.src_uri.endswith(".md")}
        facts = self.loaded()
        with _as_plugin_error():
            prerender.check_files(facts, files, docs, pages)
            rendered, self.static = prerender.render(
                facts, {p: f.content_string for p, f in pages.items()}, Path(config.docs_dir).name
            )
        for path, text in rendered.items():
            pages[path].content_string = text

        def url_of(path: str) -> str:
            file = files.get_file_from_path(path)
            if file is None:  # check_files refuses a site without its legal pages first
                raise PluginError(f"{path} is not among the site's files")
            return file.url

        self.links = prerender.legal_links(url_of)
        return files

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        env.globals["greenlight"] = prerender.template_data(self.loaded(), self.links, files)
        return env

    def on_page_content(self, html: str, *, page, config: MkDocsConfig, files: Files) -> str:
        return face.label_cells(html)  # tables read as labelled cards on a phone (greenlight.css)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        prerender.write_static(site, self.static)
        with _as_plugin_error():
            prerender.audit(site, Path(config.config_file_path or "mkdocs.yml").parent)

    def on_build_error(self, *, error: BaseException) -> None:
        """Leave nothing of a failed build that could be published by mistake (a leak, a half-written site)."""
        if self.site_dir is not None:
            discard(self.site_dir)
