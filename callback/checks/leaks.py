"""Scan the whole site for secrets with the build's own secret guard (callback.audit)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from callback.checks.model import Finding, Target, fail, note
from callback.checks.pages import LocalSite
from callback.facts.settings import ENVIRONMENT, SECRETS
from callback.site.audit import find_secrets, secret_values

FIX = "remove it from docs/ or mkdocs.yml, rotate the secret in the developer portal, then rebuild and redeploy"


def known_secrets(t: Target) -> dict[str, str]:
    """Return the secret values to look for (labels safe to print): environment, .env and settings."""
    found = secret_values(os.environ, Path(".env"))
    for key in SECRETS:
        value = str(t.settings.get(key) or "")
        if len(value) >= 8 and value not in found.values():
            found[f"value of {ENVIRONMENT[key]}"] = value
    return found


def scan(t: Target) -> list[Finding]:
    """Return a failure per file holding a secret value or a token-shaped string; never the secret itself."""
    secrets = known_secrets(t)
    if isinstance(t.site, LocalSite):
        root = t.site.root
        hits = [(p.relative_to(root).as_posix(), kind) for p, kind in find_secrets(root, secrets)]
        scanned = sum(1 for p in root.rglob("*") if p.is_file())
    else:
        # Mirror what the deployed site serves into a throwaway directory, then scan it the same way.
        with tempfile.TemporaryDirectory(prefix="greenlight-check-") as tmp:
            scanned = 0
            for path, resp in t.site.walk():
                name = (path or "index.html").rstrip("/") + ("/index.html" if path.endswith("/") else "")
                dest = Path(tmp, name.lstrip("/"))
                if not dest.resolve().is_relative_to(Path(tmp).resolve()):
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(resp.body)
                scanned += 1
            hits = [(p.relative_to(tmp).as_posix(), kind) for p, kind in find_secrets(tmp, secrets)]
    out = [fail(f"{path}: {kind}", FIX) for path, kind in hits]
    return out or [note(f"{scanned} file(s) hold no secret value and no token-shaped string")]
