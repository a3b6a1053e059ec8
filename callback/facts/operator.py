"""Reading the operator's setup facts (deployment, users, storage, cookies, statements) and refusing contradictions."""

from __future__ import annotations

import difflib
import re

from callback.facts.addresses import is_loopback
from callback.facts.fields import FieldReader
from callback.facts.setup import (
    DENIES,
    DEPLOYMENTS,
    STORAGE_KINDS,
    USERS,
    WE_DO_NOT,
    Cookie,
    Notice,
    Storage,
    collects_email,
    declared_topics,
    service_cookies,
)

# A cookie name, printed as written in a code span of a table: the plainest of what browsers accept.
_COOKIE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
STORAGE_KEYS = ("kind", "location", "export_env")
COOKIE_KEYS = ("name", "purpose", "duration")
CHANGES_KEYS = ("notice_days", "how")


def parse_setup(r: FieldReader, app: dict, root: str) -> dict:
    """Read deployment, users, storage, cookies, we_do_not and policy_changes into Facts fields."""
    return {
        "deployment": r.choice(app, root, "deployment", DEPLOYMENTS, "hosted"),
        "users": r.choice(app, root, "users", USERS, "public"),
        "storage": _storage(r, app, root),
        "cookies": tuple(_cookies(r, app, root)),
        "we_do_not": tuple(_we_do_not(r, app, root)),
        "changes": _changes(r, app, root),
    }


def _storage(r: FieldReader, app: dict, root: str) -> Storage:
    raw, path = app.get("storage"), f"{root}.storage"
    if raw is None:
        return Storage()
    if isinstance(raw, str):  # the short form: `storage: database`
        return Storage(kind=r.choice(app, root, "storage", STORAGE_KINDS, "file"))
    conf = r.get(app, root, "storage", "map") or {}
    r.known(conf, path, STORAGE_KEYS)
    return Storage(
        kind=r.choice(conf, path, "kind", STORAGE_KINDS, "file"),
        location=r.get(conf, path, "location", "str", default=""),
        export_env=r.get(conf, path, "export_env", "bool", default=False),
    )


def _cookies(r: FieldReader, app: dict, root: str) -> list[Cookie]:
    out = []
    for i, item in enumerate(r.get(app, root, "cookies", "list", default=[]) or []):
        path = f"{root}.cookies[{i}]"
        if not isinstance(item, dict):
            r.fail(path, "must be a mapping with name, purpose and duration", item)
            continue
        r.known(item, path, COOKIE_KEYS, what="a known field")
        name = r.get(item, path, "name", "str", max_len=64)
        if name and not _COOKIE_NAME.match(name):
            r.fail(f"{path}.name", "must be a cookie name (letters, digits and - _ . only)", name)
        out.append(
            Cookie(
                name or "",
                r.get(item, path, "purpose", "str", max_len=500),
                r.get(item, path, "duration", "str", max_len=200),
            )
        )
    return out


def _we_do_not(r: FieldReader, app: dict, root: str) -> list[str]:
    out = []
    for i, item in enumerate(r.get(app, root, "we_do_not", "list", default=[]) or []):
        if item not in WE_DO_NOT:
            near = difflib.get_close_matches(str(item), WE_DO_NOT, n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            r.fail(f"{root}.we_do_not[{i}]", f"must be one of {', '.join(WE_DO_NOT)}{hint}", item)
            continue
        out.append(item)
    return list(dict.fromkeys(out))


def _changes(r: FieldReader, app: dict, root: str) -> Notice:
    conf, path = r.get(app, root, "policy_changes", "map", default={}) or {}, f"{root}.policy_changes"
    r.known(conf, path, CHANGES_KEYS)
    return Notice(
        r.get(conf, path, "notice_days", "int", default=None, high=365),
        r.get(conf, path, "how", "str", default="", max_len=300),
    )


def refuse_contradictions(r: FieldReader, facts, root: str) -> None:
    """Refuse facts whose pages would promise what the setup cannot do, or deny what it declares."""
    service = facts.service_url or ""
    if facts.deployment == "local" and service and not is_loopback(service):
        r.fail(
            f"{root}.urls.service",
            "with deployment: local the service runs on your own computer: give its "
            "loopback address, such as http://127.0.0.1:5000 (or set deployment: hosted)",
            service,
        )
    if facts.deployment == "local" and any(p.key == "meta" for p in facts.platforms):
        r.fail(
            f"{root}.platforms.meta",
            "Meta sends data-deletion requests to the service over https, which a "
            "service on your own computer cannot receive: disable meta, or set deployment: hosted",
            show=False,
        )
    if facts.deletion_page and is_loopback(facts.deletion_page):
        r.fail(
            f"{root}.urls.deletion",
            "must be a page people can reach, not a loopback address (leave it out "
            "to have deletion requests sent to your contact address)",
            facts.deletion_page,
        )
    taken = {c.name for c in service_cookies(facts)}
    for i, cookie in enumerate(facts.cookies):
        if cookie.name in taken:
            r.fail(
                f"{root}.cookies[{i}].name",
                "is the callback service's own cookie, which the policy already "
                "lists: declare only the cookies your own site sets",
                cookie.name,
            )
    rows = declared_topics(facts)
    for item in facts.we_do_not:
        topic = DENIES.get(item)
        if topic is None:
            continue
        declared = rows.get(topic) or (collects_email(facts) if topic == "email" else "")
        if declared:
            r.fail(
                f"{root}.we_do_not",
                f"says we do not collect {WE_DO_NOT[item][1]}, but {_why(declared, root)}: "
                f"remove {item}, or the fact that contradicts it",
                show=False,
            )


def _why(declared: str, root: str) -> str:
    """Say which fact makes us collect what a statement denies."""
    if declared == "users":
        return f"{root}.users is public, and the service's deletion form asks for an optional email address"
    if declared == "operator.contact_email":
        return f"{root}.operator.contact_email invites people to write, which gives us their address"
    return f"{root}.{declared} declares it"
