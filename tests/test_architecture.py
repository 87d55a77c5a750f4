"""The import rules of docs/architecture.md, held by reading every module's imports.

Each layer may import itself and the layers listed for it, nothing else; and no two modules
import each other, directly or through others (lazy imports inside functions count: a circle
drawn at call time is still a circle). `if TYPE_CHECKING:` imports are exempt from the layer
rule only when they name a lower layer's type (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "rempart"

# layer -> the layers it may import (besides itself). Keep in step with docs/architecture.md.
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "model": frozenset({"core"}),
    "schema": frozenset({"core"}),
    "mail": frozenset({"core", "model", "schema"}),
    "sigma": frozenset({"core", "schema", "store"}),
    "twin": frozenset({"core", "model", "schema"}),
    "sources": frozenset({"core", "model", "schema", "mail"}),
    "store": frozenset({"core", "schema"}),
    "ingest": frozenset({"core", "model", "schema", "sources", "store"}),
    "detect": frozenset({"core", "model", "schema", "store", "mail", "sigma"}),
    "incidents": frozenset({"core", "model", "schema", "store", "detect"}),
    "contain": frozenset({"core", "model", "schema", "store", "incidents", "twin"}),
    "cases": frozenset({"core", "model", "schema", "incidents"}),
    "recover": frozenset(
        {"core", "model", "schema", "store", "incidents", "contain", "cases", "report"}
    ),
    "report": frozenset({"core", "model", "schema", "detect", "incidents", "contain"}),
    "app": frozenset(
        {
            "core",
            "model",
            "schema",
            "mail",
            "sigma",
            "twin",
            "sources",
            "store",
            "ingest",
            "detect",
            "incidents",
            "contain",
            "cases",
            "recover",
            "report",
        }
    ),
    "web": frozenset({"core", "app", "cases", "report"}),
    "cli": frozenset({"core", "app", "report", "web"}),  # web: `rempart serve` starts it
}
ROOT_MODULES = {"__init__"}  # rempart/__init__.py: the version only


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(path: Path, module: str) -> Iterator[tuple[str, bool, int]]:
    """(imported rempart module, under TYPE_CHECKING, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                for inner in ast.walk(sub):
                    typing_only.add(id(inner))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rempart."):
                    yield alias.name, id(node) in typing_only, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "rempart" or name.startswith("rempart."):
                for alias in node.names:
                    full = f"{name}.{alias.name}"
                    yield (full if _exists(full) else name), id(node) in typing_only, node.lineno


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = dict(_modules())


def test_every_layer_is_known() -> None:
    layers = {_layer(m) for m in MODULES} - ROOT_MODULES
    assert layers <= set(ALLOWED), f"layers without a rule: {sorted(layers - set(ALLOWED))}"


def test_no_module_imports_a_layer_above_it() -> None:
    wrong = []
    for module, path in MODULES.items():
        layer = _layer(module)
        if layer in ROOT_MODULES:
            continue
        for target, _, line in _imports(path, module):
            other = _layer(target)
            if other == layer or other in ALLOWED[layer]:
                continue
            wrong.append(f"{path.relative_to(SRC.parent)}:{line}: {layer} -> {target}")
    assert not wrong, "imports against docs/architecture.md:\n" + "\n".join(wrong)


def test_cli_and_web_reach_only_the_application_layer() -> None:
    forbidden = {"store", "sources", "detect", "ingest"}
    wrong = [
        f"{module} -> {target}"
        for module, path in MODULES.items()
        if _layer(module) in {"cli", "web"}
        for target, _, _ in _imports(path, module)
        if _layer(target) in forbidden
    ]
    assert not wrong


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, typing_only, _ in _imports(path, module):
            if typing_only or target not in MODULES or target == module:
                continue
            # importing a package runs its __init__: `a.b` importing `a` is not a circle
            # when `a/__init__` does not itself import `a.b`
            graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _package_of(module: str) -> str:
    return module.rpartition(".")[0]


def test_no_import_circle() -> None:
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a circle with them
    for module in list(graph):
        graph[module] = {
            t for t in graph[module] if not (module.startswith(t + ".") and t in MODULES)
        }
    assert _cycles(graph) == []


def test_no_private_name_crosses_modules() -> None:
    wrong = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rempart"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        wrong.append(f"{module}: {node.module}.{alias.name}")
    assert not wrong


@pytest.mark.parametrize(
    ("module", "expected"),
    [("rempart.cli.alerts", "cli"), ("rempart.core.errors", "core"), ("rempart", "__init__")],
)
def test_layer_of(module: str, expected: str) -> None:
    assert _layer(module) == expected
