"""The privacy policy's security section: the protections the service code really applies, worded from the facts."""

from __future__ import annotations

from callback.facts import Facts
from callback.facts.setup import local, public_users
from callback.site.inventory import place


def security_measures(facts: Facts) -> list[str]:
    """Return the protections the service code applies, as plain sentences."""
    out = [
        "The callback service is published only at an https:// address, and tells browsers to use HTTPS only (HSTS)."
        if facts.service_url.startswith("https://")
        else (
            "The callback service listens only on the loopback address of the computer it runs on, "
            "unreachable from the network."
        ),
        "Connecting uses OAuth with a one-time `state` value and PKCE, so a login cannot be hijacked or replayed.",
        "The service sends strict security headers with every response.",
        "Secrets (the app's client secret and signing keys) live only in the environment of the machine that runs "
        "the service, never in code or on this website; the website build refuses to publish anything that looks "
        "like a secret.",
    ]
    if not local(facts):
        out.insert(
            1,
            "Webhooks from TikTok are accepted only with a valid HMAC-SHA256 signature and a recent "
            "timestamp; anything else is rejected.",
        )
    if public_users(facts):
        out.insert(-2, "Forms (such as the data-deletion form) are protected against cross-site request forgery.")
    if facts.platform("meta"):
        out.insert(2, "Data-deletion callbacks from Meta are accepted only when Meta's HMAC-SHA256 signature verifies.")
    if facts.storage.kind == "database":
        out.append("The database is reached only with the service's own credentials, kept in that same environment.")
    else:
        out.append("Data files are readable only by the service (mode 0600 in a 0700 directory).")
    if facts.encrypt_tokens:
        out.append(
            "Access and refresh tokens are encrypted at rest; the service refuses to start without the key, "
            "which is kept apart from the token store."
        )
    else:
        out.append(
            "Access and refresh tokens are not encrypted inside the token store; they are protected by "
            f"{'the database credentials' if facts.storage.kind == 'database' else 'the file permissions'} "
            f"and by access control on {place(facts)}."
        )
    if facts.storage.export_env:
        out.append(
            "Tokens exported for our uploader go into `.env` files readable only by their owner (mode 0600); "
            "inside those files they are not encrypted."
        )
    return out
