"""The facts layer: the facts model, their parsing, and the service's settings (stdlib and yaml only)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from callback.facts.model import PLATFORM_NAMES, SCOPES, Facts, FactsError
    from callback.facts.parse import load_facts, parse_facts, read_config

# Loaded on first use: `greenlight token` reads settings and tokens, never the facts model or YAML.
_WHERE = {
    "PLATFORM_NAMES": "model",
    "SCOPES": "model",
    "Facts": "model",
    "FactsError": "model",
    "load_facts": "parse",
    "parse_facts": "parse",
    "read_config": "parse",
}
__all__ = ["PLATFORM_NAMES", "SCOPES", "Facts", "FactsError", "load_facts", "parse_facts", "read_config"]  # = _WHERE


def __getattr__(name: str) -> Any:
    """Import a public name from the module that defines it, the first time it is asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"callback.facts.{_WHERE[name]}"), name)
