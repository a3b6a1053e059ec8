"""Greenlight: the public site, the OAuth callback service and the token keeper."""
from __future__ import annotations
