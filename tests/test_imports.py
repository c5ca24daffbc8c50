"""The package's import structure: no import cycle among module-level imports, and no module
reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import depthscope

ROOT = Path(depthscope.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _module_level_imports(name: str) -> list[tuple[str, list[str]]]:
    """``(module imported, names)`` for each import at module level (``TYPE_CHECKING``
    blocks excluded: they never run)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.parse(path.read_text()).body:
        body = [node]
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.dump(node.test):
                continue
            body = node.body
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom) and (stmt.module or stmt.level):
                base = stmt.module or ""
                if stmt.level:
                    anchor = package.split(".")[: len(package.split(".")) - stmt.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                out.append((base, [a.name for a in stmt.names]))
            elif isinstance(stmt, ast.Import):
                out += [(a.name, []) for a in stmt.names]
    return [(m, names) for m, names in out if m.split(".")[0] == "depthscope"]


def _target(module: str, name: str) -> str:
    """The module an import binds: ``from pkg import sub`` is the submodule ``pkg.sub``."""
    full = f"{module}.{name}"
    if full in MODULES:
        return full
    while module not in MODULES:
        module = module.rpartition(".")[0]
    return module


def test_no_import_cycle_among_module_level_imports() -> None:
    graph = {m: {_target(mod, n) for mod, names in _module_level_imports(m)
                 for n in (names or [""])} - {m} for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append([*path[path.index(d):], d])
            elif d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_no_module_imports_another_modules_private_names() -> None:
    reaching = [f"{m} imports {n} from {mod}"
                for m in MODULES for mod, names in _module_level_imports(m)
                for n in names if n.startswith("_") and not n.startswith("__") and mod != m]
    assert reaching == []
