"""Read and validate the facts (`extra.app` in mkdocs.yml, or a bare facts file) into the model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import yaml

from callback.facts.fields import FieldReader
from callback.facts.lists import KNOWN, history, rows, verification
from callback.facts.model import (
    PLATFORM_NAMES,
    ROOT,
    SCOPES,
    DataRow,
    Facts,
    FactsError,
    Operator,
    Platform,
    Processor,
    Retention,
    Scope,
)
from callback.facts.operator import parse_setup, refuse_contradictions
from callback.facts.product import read_product
from callback.facts.setup import UNTIL_DELETED, UNTIL_REVOKED

# Scope names are printed as written, in code spans: letters, digits and the punctuation real scopes use
# (user.info.basic, pages_show_list, https://www.googleapis.com/auth/youtube.upload).
_SCOPE_NAME = re.compile(r"^[A-Za-z0-9._:/-]{1,200}\Z")


class _AnyTagLoader(yaml.SafeLoader):
    """Safe loader that reads MkDocs' custom tags (!ENV, !!python/name:...) as plain values."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(cast(yaml.MappingNode, node))  # the only other kind yaml composes


_AnyTagLoader.add_multi_constructor("!", _tagged)

_AnyTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", _tagged)


def read_config(path: str | Path) -> dict:
    """Parse a mkdocs.yml (or a bare facts file) into a dict, or raise FactsError."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    except FileNotFoundError:
        raise FactsError([f"{path}: facts file not found"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise FactsError([f"{path}: is not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise FactsError([f"{path}: must be a YAML mapping"])
    return data


def load_facts(path: str | Path = "mkdocs.yml") -> Facts:
    """Read the facts from a mkdocs.yml (under extra.app) or a file holding only extra.app."""
    data = read_config(path)
    app = data.get("extra", {}).get("app") if isinstance(data.get("extra"), dict) else None
    if app is None and "name" in data and "operator" in data:
        app = data  # a bare facts file, as in examples/
    if not isinstance(app, dict):
        raise FactsError([f"{ROOT}: is required (a mapping with the app's facts) in {path}"])
    return parse_facts(app)


def parse_facts(app: dict) -> Facts:
    """Validate a facts mapping and return Facts, or raise FactsError naming each bad key."""
    r = FieldReader()
    known = {
        "draft",
        "name",
        "summary",
        "description",
        "effective_date",
        "operator",
        "urls",
        "platforms",
        "processors",
        "data_rows",
        "retention",
        "minimum_age",
        "security",
        "verification",
        "history",
        "product",
        "deployment",
        "users",
        "storage",
        "cookies",
        "we_do_not",
        "policy_changes",
    }
    r.known(app, ROOT, known, what="a known fact")
    op = r.get(app, ROOT, "operator", "map") or {}
    opp = f"{ROOT}.operator"
    r.known(op, opp, KNOWN["operator"])
    operator = Operator(
        legal_name=r.get(op, opp, "legal_name", "str", default=""),
        contact_email=r.get(op, opp, "contact_email", "email", default=""),
        country=r.get(op, opp, "country", "str", default=""),
        governing_law=r.get(op, opp, "governing_law", "str", default=""),
        address=r.get(op, opp, "address", "str", default=""),
        contact_url=r.get(op, opp, "contact_url", "url", default=""),
    )
    if isinstance(op, dict) and op.get("contact_email") is None and op.get("contact_url") is None:
        r.fail(
            f"{opp}.contact_email",
            "is required (an email address), unless contact_url names your contact "
            "page: people must be able to reach you",
            show=False,
        )
    urls = r.get(app, ROOT, "urls", "map") or {}
    r.known(urls, f"{ROOT}.urls", KNOWN["urls"])
    site_url = r.get(urls, f"{ROOT}.urls", "site", "url")
    service_url = r.get(urls, f"{ROOT}.urls", "service", "url")
    platforms, app_type, redirect_uris = _platforms(r, app, service_url)
    ret = r.get(app, ROOT, "retention", "map") or {}
    rp = f"{ROOT}.retention"
    r.known(ret, rp, KNOWN["retention"])
    records_days = r.get(ret, rp, "records_days", "days", word=UNTIL_DELETED)
    retention = Retention(
        tokens_unused_days=r.get(ret, rp, "tokens_unused_days", "days", word=UNTIL_REVOKED),
        records_days=records_days,
        deletion_response_hours=r.get(ret, rp, "deletion_response_hours", "int", high=720),
        deletion_receipts_days=r.get(ret, rp, "deletion_receipts_days", "int", default=365, low=0),
        content_days=r.get(ret, rp, "content_days", "days", word=UNTIL_DELETED, default="records_days"),
        queued_media_hours=r.get(ret, rp, "queued_media_hours", "int", default=48, high=8760),
    )
    security = r.get(app, ROOT, "security", "map", default={}) or {}
    r.known(security, f"{ROOT}.security", KNOWN["security"])
    facts = Facts(
        draft=r.get(app, ROOT, "draft", "bool", default=False),
        name=r.get(app, ROOT, "name", "str", max_len=60),
        summary=r.get(app, ROOT, "summary", "str", max_len=300),
        description=r.get(app, ROOT, "description", "markdown"),
        effective_date=r.get(app, ROOT, "effective_date", "date"),
        operator=operator,
        site_url=site_url,
        service_url=service_url,
        app_type=app_type,
        redirect_uris=redirect_uris,
        platforms=platforms,
        processors=tuple(rows(r, app, "processors", Processor, {"policy_url": "url"})),
        data_rows=tuple(rows(r, app, "data_rows", DataRow, {})),
        retention=retention,
        minimum_age=r.get(app, ROOT, "minimum_age", "int", low=13, high=21),
        encrypt_tokens=r.get(security, f"{ROOT}.security", "encrypt_tokens", "bool", default=False),
        verification=tuple(verification(r, app)),
        history=tuple(history(r, app)),
        product=read_product(r, app, ROOT),
        deletion_page=r.get(urls, f"{ROOT}.urls", "deletion", "url", default=""),
        **parse_setup(r, app, ROOT),
        raw=app,
    )
    refuse_contradictions(r, facts, ROOT)
    if r.problems:
        raise FactsError(r.problems)
    return facts


def _platforms(r: FieldReader, app: dict, service_url: str | None) -> tuple[tuple[Platform, ...], str, tuple[str, ...]]:
    base = f"{ROOT}.platforms"
    plats = r.get(app, ROOT, "platforms", "map") or {}
    r.known(plats, base, SCOPES, what="a supported platform")
    if "tiktok" not in plats:
        r.fail(f"{base}.tiktok", "is required (TikTok is always enabled)", show=False)
    out, app_type = [], "web"
    redirects: tuple[str, ...] = ()
    for key in SCOPES:
        conf = plats.get(key)
        if conf is None:
            continue
        path = f"{base}.{key}"
        if not isinstance(conf, dict):
            r.fail(path, "must be a mapping", conf)
            continue
        r.known(conf, path, KNOWN["platforms.tiktok" if key == "tiktok" else "platforms.*"])
        if key != "tiktok" and not r.get(conf, path, "enabled", "bool", default=True):
            continue
        out.append(Platform(key, PLATFORM_NAMES[key], tuple(_scopes(r, conf, path, key))))
        if key == "tiktok":
            app_type = r.get(conf, path, "app_type", "str", default="web")
            if app_type not in ("web", "desktop"):
                r.fail(f"{path}.app_type", 'must be "web" or "desktop"', app_type)
            given = r.get(conf, path, "redirect_uris", "list", default=None)
            if given is None:
                redirects = (f"{service_url}/callback/tiktok",) if service_url else ()
            else:
                checked = [
                    r._url(f"{path}.redirect_uris[{i}]", u, https=False, strip=False) for i, u in enumerate(given)
                ]
                redirects = tuple(u for u in checked if u is not None)  # a refused one is among the problems
    return tuple(out), app_type, redirects


def _scopes(r: FieldReader, conf: dict, path: str, key: str) -> list[Scope]:
    raw = r.get(conf, path, "scopes", "list" if isinstance(conf.get("scopes"), list) else "map")
    if raw is None:
        return []
    if not raw:
        r.fail(f"{path}.scopes", "must name at least one scope", raw)
    items = raw.items() if isinstance(raw, dict) else ((s, None) for s in raw)
    scopes = []
    for name, why in items:
        where = f"{path}.scopes.{name}" if isinstance(raw, dict) else f"{path}.scopes"
        if not isinstance(name, str) or not name.strip():
            r.fail(where, "each scope must be a non-empty string", name)
            continue
        if not _SCOPE_NAME.match(name):
            r.fail(
                where, "a scope name holds only letters, digits and . _ : / - (as the platform spells it)", show=False
            )
            continue
        why = why if why is not None else SCOPES[key].get(name)
        if not why:
            r.fail(where, f"unknown scope {name!r}: write it as a mapping `{name}: why the app needs it`", show=False)
            continue
        if not isinstance(why, str):
            r.fail(where, "the reason for a scope must be a string", why)
            continue
        scopes.append(Scope(name, why.strip()))
    if key == "tiktok" and scopes and "user.info.basic" not in [s.name for s in scopes]:
        r.fail(f"{path}.scopes", "must include user.info.basic (the service reads who connected)", show=False)
    return scopes
