"""The floor plan: imports run one way, no cycles, no lazy imports below the CLI, small modules.

These rules are read from the code's own imports (docs/architecture.md explains them).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "kb", "datasette_plugins")
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


MODULES = {module_name(p): p for p in source_files()}


def resolve(name: str) -> str | None:
    """The project module an import names (a name imported from a package may be a module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """(modules imported at module level, [(line, name)] imported inside functions)."""
    tree = ast.parse(path.read_text(), str(path))
    top: set[str] = set()
    lazy: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                names = []
                if isinstance(child, ast.Import):
                    names = [a.name for a in child.names]
                elif child.level == 0 and child.module:
                    names = [f"{child.module}.{a.name}" for a in child.names] + [child.module]
                for name in names:
                    if in_function:
                        lazy.append((child.lineno, name))
                    else:
                        top.add(name)
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(tree, False)
    return top, lazy


GRAPH: dict[str, set[str]] = {}
EXTERNAL: dict[str, set[str]] = {}
LAZY: dict[str, list[tuple[int, str]]] = {}
for _name, _path in MODULES.items():
    _top, _lazy = imports_of(_path)
    GRAPH[_name] = {m for n in _top if (m := resolve(n)) and m != _name}
    EXTERNAL[_name] = {n.split(".")[0] for n in _top}
    LAZY[_name] = _lazy


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def offenders(source: str, target: str) -> list[str]:
    return sorted(f"{m} -> {dep}" for m, deps in GRAPH.items() if in_package(m, source)
                  for dep in deps if in_package(dep, target))


def test_ingest_imports_nothing_of_kb():
    assert offenders("ingest", "kb") == []


def test_kb_never_imports_the_web_layer():
    assert offenders("kb", "datasette_plugins") == []


@pytest.mark.parametrize("package", ["kb.dates", "kb.nlp"])
def test_dates_and_nlp_use_no_database(package):
    assert offenders(package, "kb.store") == []
    assert offenders(package, "kb.jobs") == []
    assert sorted(m for m, ext in EXTERNAL.items() if in_package(m, package)
                  and ext & {"sqlite3", "sqlite_utils"}) == []


def test_dates_need_no_spacy():
    assert sorted(m for m, ext in EXTERNAL.items() if in_package(m, "kb.dates") and "spacy" in ext) == []


def test_the_ledger_never_imports_stories():
    assert offenders("kb.ledger", "kb.stories") == []


def test_lower_layers_never_import_jobs_or_cli():
    for package in ("kb.core", "kb.dates", "kb.nlp", "kb.ledger", "kb.store", "kb.stories"):
        assert offenders(package, "kb.jobs") == [], package
        assert offenders(package, "kb.cli") == [], package


def test_no_import_cycles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            strongconnect(v)
    assert cycles == []


def test_no_function_level_imports_below_the_cli():
    found = [f"{m}:{line} {name}" for m, lazy in LAZY.items() if not in_package(m, "kb.cli")
             for line, name in lazy]
    assert found == []


def test_modules_are_small():
    big = {module_name(p): n for p in source_files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}


def test_no_two_modules_share_a_file_name():
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in source_files():
        if path.name != "__init__.py":
            by_name[path.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}
