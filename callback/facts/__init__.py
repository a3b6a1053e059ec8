"""The facts layer: the facts model, their parsing, and the service's settings (stdlib and yaml only)."""
from __future__ import annotations

from callback.facts.model import PLATFORM_NAMES, SCOPES, Facts, FactsError
from callback.facts.parse import load_facts, parse_facts, read_config

__all__ = ["PLATFORM_NAMES", "SCOPES", "Facts", "FactsError", "load_facts", "parse_facts", "read_config"]
