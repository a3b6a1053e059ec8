"""Greenlight: the public site, the OAuth callback service and the token keeper."""

from __future__ import annotations


def create_app(test_config: dict | None = None):
    """Build the callback service (imported lazily so the MkDocs plugin and the CLI stay light)."""
    from callback.service.app import create_app as factory

    return factory(test_config)
