"""Redirect URI rules: which URI to register, and whether it is one the platform and this service accept."""

from __future__ import annotations

from urllib.parse import urlsplit

CALLBACK_PATH = "/callback/tiktok"
MAX_LENGTH = 512  # TikTok: each redirect URI under 512 characters
LOOPBACK = ("localhost", "127.0.0.1")


def configured_redirect_uri(settings: dict, facts) -> str:
    """Return the redirect URI the service sends: GREENLIGHT_REDIRECT_URI, else the facts' first one."""
    return settings.get("REDIRECT_URI") or (facts.redirect_uris[0] if facts.redirect_uris else "")


def served_redirect_uri(service_url: str) -> str:
    """Return the URL at which a service deployed at `service_url` answers the platform's redirect."""
    return service_url.rstrip("/") + CALLBACK_PATH


def redirect_uri_problems(uri: str, app_type: str = "web") -> list[str]:
    """List the platform's objections to a redirect URI for a web or desktop app (empty: acceptable)."""
    problems = []
    if not uri:
        return ["the redirect URI is empty"]
    if len(uri) >= MAX_LENGTH:
        problems.append(f"it is {len(uri)} characters long; TikTok accepts fewer than {MAX_LENGTH}")
    parts = urlsplit(uri)
    if not parts.scheme or not parts.hostname:
        return [*problems, "it is not an absolute URL (scheme://host/path)"]
    if parts.query:
        problems.append("it has a query string (?...); TikTok refuses redirect URIs with one")
    if parts.fragment or uri.endswith("#"):
        problems.append("it has a fragment (#...); TikTok refuses redirect URIs with one")
    loopback = parts.scheme == "http" and parts.hostname in LOOPBACK
    if app_type == "desktop":
        if not loopback and parts.scheme != "https":
            problems.append(
                "a desktop app's redirect URI must be http://localhost:PORT/... or http://127.0.0.1:PORT/..."
            )
        elif loopback and parts.port is None:
            problems.append("a loopback redirect URI needs an explicit port (http://127.0.0.1:PORT/...)")
    elif parts.scheme != "https":
        hint = " (for a loopback URI, set platforms.tiktok.app_type: desktop)" if loopback else ""
        problems.append(f"a web app's redirect URI must start with https://{hint}")
    return problems


def _origin(parts) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def redirect_mismatch(configured: str, served: str) -> str | None:
    """Explain how the configured redirect URI differs from the URL the service answers at, or None."""
    a, b = urlsplit(configured), urlsplit(served)
    if a.scheme != b.scheme:
        return f"the redirect URI uses {a.scheme or 'no scheme'}:// but the service is served over {b.scheme}://"
    (_, host_a, port_a), (_, host_b, port_b) = _origin(a), _origin(b)
    if host_a != host_b:
        return f"the redirect URI's host is {host_a or '(none)'} but the service is served at {host_b}"
    if port_a != port_b:
        return f"the redirect URI's port is {port_a} but the service is served on port {port_b}"
    path_a, path_b = a.path or "/", b.path or "/"
    if path_a != path_b:
        if path_a.rstrip("/") == path_b.rstrip("/"):
            return (
                f"the redirect URI's path {path_a} differs from the service's {path_b} only by a trailing "
                "slash; TikTok compares them exactly, so the redirect would not reach the service"
            )
        return f"the redirect URI's path is {path_a} but the service answers the platform at {path_b}"
    if a.query or a.fragment:
        return "the redirect URI has a query string or fragment; the service's callback URL has none"
    return None
