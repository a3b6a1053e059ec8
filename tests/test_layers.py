"""The package's layers hold: no import cycle, no upward import, no Flask or click below the service."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "callback"
# Layer -> the layers it may import (its own included). Entry points sit above the layers they join.
ALLOWED = {
    "facts": {"facts"},
    "data": {"facts", "data"},
    "platform": {"facts", "platform"},
    "site": {"facts", "site"},
    "service": {"facts", "data", "platform", "service"},
    "checks": {"facts", "platform", "site", "checks", "sandbox"},
    "sandbox": {"sandbox"},
    "tokens": {"facts", "data", "platform"},  # callback.tokens: the uploader's fresh_token()
    "publishing": {"facts", "data", "platform"},  # callback.publishing: a pipeline's queue_video()
    "cli": {"facts", "data", "platform", "site", "service", "checks", "sandbox", "tokens", "publishing", "cli"},
    "callback": {"service"},  # callback/__init__.py: create_app() for gunicorn and flask --app callback
    "__main__": {"cli"},  # python -m callback
}
NO_WEB_OR_CLI = ("facts", "data", "platform")
MAX_LINES = 260


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, name: str) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports included)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def layer(module: str) -> str:
    """The layer a callback module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "callback"


@functools.cache
def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    mods = modules()
    return {name: {m for m in imports(path, name) if m in mods and m != name} for name, path in mods.items()}


def test_every_module_sits_in_a_known_layer():
    assert {layer(m) for m in modules()} <= set(ALLOWED)


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_module_imports_a_layer_it_may_not(module):
    bad = {m for m in graph()[module] if layer(m) not in ALLOWED[layer(module)]}
    assert not bad, f"{module} ({layer(module)}) imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(m for m in modules() if layer(m) in NO_WEB_OR_CLI))
def test_the_lower_layers_know_neither_flask_nor_click(module):
    found = {m.split(".")[0] for m in imports(modules()[module], module)}
    assert not found & {"flask", "click", "werkzeug"}, module


def test_there_is_no_import_cycle():
    edges, state, cycles = graph(), {}, []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, cycles


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_stay_small(module):
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_no_grab_bag_modules():
    assert not [m for m in modules() if m.rsplit(".", 1)[-1] in ("utils", "helpers", "misc", "common_utils")]


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    """The rules above are only worth something if they can fail."""
    (tmp_path / "a.py").write_text("def f():\n    from callback.service import app\n")
    assert "callback.service" in imports(tmp_path / "a.py", "callback.data.a")
    assert "callback.service" not in ALLOWED["data"]


def test_the_repositorys_page_templates_are_the_packaged_ones():
    """docs/ is what `greenlight init` writes for an operator; here it must not drift from the package."""
    packaged = PACKAGE / "site" / "templates" / "pages"
    docs = PACKAGE.parent / "docs"
    for page in sorted(packaged.rglob("*.md")):
        rel = page.relative_to(packaged)
        assert (docs / rel).read_text(encoding="utf-8") == page.read_text(encoding="utf-8"), rel
