"""The configuration Zensical builds a Greenlight site from: mkdocs.yml, with what the greenlight plugin would set."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import yaml

from callback.facts import Facts
from callback.site import face, prerender
from callback.site.prerender import STYLESHEET, SiteError

# Plugins a Greenlight site may list: greenlight runs before Zensical; search is built into Zensical.
# Zensical skips every other MkDocs plugin without a word, which could publish a site missing what it adds.
PLUGINS = {"greenlight", "search"}


class _Tagged:
    """A YAML value under a tag Greenlight leaves to Zensical (!ENV, !!python/name:...), written back unchanged."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _keep(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    value = (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node, deep=True)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)  # the only other kind yaml composes
    )
    return _Tagged(node.tag, value)


def _write_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Loader.add_multi_constructor("!", _keep)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _keep)
_Dumper.add_representer(_Tagged, _write_tagged)


def plain(value: Any) -> Any:
    """Return a copy Zensical can take: dates as ISO text, escaped Markup as the text it holds."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()  # Zensical refuses a date anywhere under extra
    if isinstance(value, str):
        return str(value)  # Markup is already escaped; the theme prints it as it is, as under MkDocs
    return value


def plugins(raw: dict) -> dict[str, dict]:
    """Return the plugins mkdocs.yml lists (as a list or a mapping), each with its options."""
    listed = raw.get("plugins") or []
    items = (
        listed.items()
        if isinstance(listed, dict)
        else [next(iter(p.items())) if isinstance(p, dict) else (p, None) for p in listed]
    )
    return {str(name): dict(options or {}) for name, options in items}


def read_config(config_file: Path) -> dict:
    """Read mkdocs.yml, keeping the tags Zensical resolves itself; refuse what Zensical would silently skip."""
    try:
        raw = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SiteError(f"{config_file}: cannot be read: {exc}") from None
    names = list(plugins(raw))
    if "greenlight" not in names:
        raise SiteError(f"{config_file}: `plugins` must include greenlight, which renders the pages")
    others = [n for n in names if n not in PLUGINS]
    if others or raw.get("hooks"):
        what = ", ".join(others) or "hooks"
        raise SiteError(
            f"{config_file}: Zensical runs no MkDocs plugins or hooks, so {what} would be skipped "
            "and the site published without it. Remove it, or build with --generator mkdocs."
        )
    if "INHERIT" in raw:  # the generated configuration would inherit settings Greenlight never checked
        raise SiteError(
            f"{config_file}: INHERIT is not supported with Zensical; write the settings out, or "
            "build with --generator mkdocs."
        )
    return raw


def configure(raw: dict, facts: Facts, data: dict, strict: bool) -> dict:
    """Return the configuration Zensical builds from: the operator's, with what the plugin would have set."""
    cfg = {k: v for k, v in raw.items() if k not in ("docs_dir", "site_dir", "plugins")}
    cfg.update(plain(prerender.identity(facts)), docs_dir="docs", site_dir="site", strict=strict)
    theme = dict(raw.get("theme") or {}) if not isinstance(raw.get("theme"), str) else {"name": raw["theme"]}
    theme.update(custom_dir="theme")
    theme.setdefault("variant", "classic")  # Material's own look; Zensical's default is its new "modern" one
    face.apply_theme(SimpleNamespace(theme=theme), facts)  # the app's own logo and favicon
    cfg["theme"] = theme
    css = list(raw.get("extra_css") or [])
    cfg["extra_css"] = css if STYLESHEET in css else [*css, STYLESHEET]
    cfg["extra"] = {**plain(raw.get("extra") or {}), "app": plain(facts.raw), "greenlight": plain(data)}
    # Zensical always builds a search index; MkDocs builds one only when the search plugin is listed.
    search = plugins(raw).get("search")
    cfg["plugins"] = [{"search": {"enabled": True, **search} if search is not None else {"enabled": False}}]
    return cfg


def write(config: dict, path: Path) -> Path:
    """Write a generated configuration, tags kept as read."""
    path.write_text(yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
