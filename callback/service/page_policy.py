"""The Content-Security-Policy of the service's pages: what they may load, run, style and send forms to."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from flask import Flask


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def policy(app: Flask) -> str:
    """Build the Content-Security-Policy; `{nonce}` is filled in per response."""
    auth = _origin(app.config.get("TIKTOK_AUTH_BASE", ""))
    # Avatars come from TikTok's CDN over https; the local sandbox serves them over plain http.
    img = [
        "'self'",
        "https:",
        "data:",
        *sorted({o for o in (auth, _origin(app.config.get("TIKTOK_API_BASE", ""))) if o.startswith("http:")}),
    ]
    style = ["'self'", "'nonce-{nonce}'", *_inline_style_hashes(app)]
    return (
        f"default-src 'self'; img-src {' '.join(img)}; style-src {' '.join(style)}; "
        "script-src 'self' 'nonce-{nonce}'; object-src 'none'; frame-ancestors 'none'; "
        f"form-action 'self' {auth}"
    ).rstrip() + "; base-uri 'none'"


def _inline_style_hashes(app: Flask) -> list[str]:
    """Hash the static inline <style> blocks of the templates, so the CSP allows exactly those."""
    hashes = set()
    loader = app.jinja_env.loader
    if loader is None:  # no templates, no inline styles
        return []
    for name in app.jinja_env.list_templates():
        try:
            source = loader.get_source(app.jinja_env, name)[0]
        except Exception:  # an unreadable template is not ours to judge here
            continue
        for css in re.findall(r"<style>(.*?)</style>", source, re.S):
            if "{{" not in css and "{%" not in css:
                digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
                hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)
