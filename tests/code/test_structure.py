"""The import graph of ``mlsys``: layers point down, backends are siblings, no circles.

The graph is read with ``ast`` from the source (nothing is imported), and it holds every import
of an mlsys module: at module level, inside functions and under ``TYPE_CHECKING``, since each
of them is a dependency a reader has to follow. A rule is one line in ``FORBIDDEN``,
``ONLY_FROM`` or ``ACYCLIC``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mlsys"

FORBIDDEN: list[tuple[str, str]] = [
    # (importing package, package it must not import)
    ("mlsys.store.hopsworks", "mlsys.store.local"),
    ("mlsys.store.local", "mlsys.store.hopsworks"),
    ("mlsys.store.rules", "mlsys.store.local"),
    ("mlsys.store.rules", "mlsys.store.hopsworks"),
]
"""Arrows that must not exist (one module of the first package importing one of the second)."""

ONLY_FROM: dict[str, tuple[str, ...]] = {
    # the shared floor of both backends: the contract and the config-level modules only
    "mlsys.store.rules": ("mlsys.store.rules", "mlsys.store.api", "mlsys.errors", "mlsys.names",
                          "mlsys.config"),
}
"""Packages that may import only these mlsys packages."""

ACYCLIC: list[str] = [
    "mlsys.store.hopsworks",
    "mlsys.store.local",
    "mlsys.store.rules",
]
"""Packages whose modules import one another without a circle."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The mlsys modules that ``module`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(tree):  # every import: module level, in functions, TYPE_CHECKING
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in known else base)  # a submodule, or a name in base
    return {m for m in found if m in known and m != module}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: {mlsys modules it imports}}`` for every module under ``package``."""
    files = {_module_name(p): p for p in sorted(package.rglob("*.py"))}
    known = set(files)
    return {name: _imports(ast.parse(path.read_text(), str(path)), name,
                           path.name == "__init__.py", known)
            for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]], modules: Iterable[str]) -> list[str] | None:
    """One import circle among ``modules`` (as ``[a, b, ..., a]``), or None."""
    inside = set(modules)
    state: dict[str, int] = {}  # 1: on the current path, 2: done (no circle through it)
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, set()) & inside):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(inside):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def _is_contract(cls: ast.ClassDef) -> bool:
    """An abstract class of the contract (``class X(ABC)``), not a small value type."""
    return any(getattr(b, "id", None) == "ABC" for b in cls.bases)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_every_kind_of_import(graph: dict[str, set[str]]) -> None:
    # module level, in a function (the CLI's lazy imports) and TYPE_CHECKING-only imports
    assert "mlsys.store.rules.splits" in graph["mlsys.store.hopsworks.feature_view"]
    assert "mlsys.store.local.paths" in graph["mlsys.cli.common"]  # inside out_folder()
    assert "mlsys.store.hopsworks.context" in graph["mlsys.store.hopsworks.feature_view"]
    assert "mlsys.store.rules" in graph  # packages are modules too


def test_find_cycle_finds_a_circle_and_only_inside_the_modules_given() -> None:
    toy = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a", "q.x"}, "q.x": set()}
    assert find_cycle(toy, ["p.a", "p.b", "p.c"]) == ["p.a", "p.b", "p.c", "p.a"]
    assert find_cycle(toy, ["p.a", "p.b"]) is None  # the circle needs p.c


@pytest.mark.parametrize(("importer", "forbidden"), FORBIDDEN)
def test_no_forbidden_arrow(graph: dict[str, set[str]], importer: str, forbidden: str) -> None:
    arrows = sorted(f"{m} -> {d}" for m, deps in graph.items() if _within(m, importer)
                    for d in deps if _within(d, forbidden))
    assert not arrows, arrows


@pytest.mark.parametrize("package", sorted(ONLY_FROM))
def test_package_imports_only_what_it_may(graph: dict[str, set[str]], package: str) -> None:
    allowed = ONLY_FROM[package]
    arrows = sorted(f"{m} -> {d}" for m, deps in graph.items() if _within(m, package)
                    for d in deps if not any(_within(d, a) for a in allowed))
    assert not arrows, arrows


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_cycle_within(graph: dict[str, set[str]], package: str) -> None:
    assert any(_within(m, package) for m in graph), f"{package} has no modules"
    cycle = find_cycle(graph, [m for m in graph if _within(m, package)])
    assert cycle is None, " -> ".join(cycle or [])


def test_every_contract_method_names_what_it_raises() -> None:
    # part of the contract is *which* error a mistake raises (properties only read state)
    missing = []
    for path in sorted((PACKAGE / "store" / "api").glob("*.py")):
        tree = ast.parse(path.read_text())
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)
                    and _is_contract(n)):
            for fn in cls.body:
                if (isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")
                        and not any(getattr(d, "id", None) == "property"
                                    for d in fn.decorator_list)
                        and "Raises:" not in (ast.get_docstring(fn) or "")):
                    missing.append(f"{path.name}: {cls.name}.{fn.name}")
    assert not missing, missing


CATALOG = "mlsys.store.local.catalog"
"""The one package that holds catalog SQL (its interface: ``catalog/base.py``)."""

SQLITE_ALLOWED: dict[str, str] = {
    # module: why it may use sqlite3 (each is a SQLite file that is not the catalog's metadata)
    "mlsys.store.local.online": "the online store is its own SQLite file per group (rows, not "
                                "catalog metadata), written and read by key",
    "mlsys.store.local.damage": "maps sqlite3 errors of the catalog and online files to "
                                "StoreDamagedError / StoreWriteError naming the file",
    "mlsys.apps.space": "copies the store's SQLite files into a Space bundle with SQLite's "
                        "backup API (a consistent copy of a live WAL database)",
}
"""Modules outside the catalog package that may import sqlite3 or send SQL, and why."""

# Upper-case keywords, as mlsys writes its SQL: prose ("select a name from the list") and
# labels ("commit") are not statements.
_SQL = re.compile(r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\s|"
                  r"UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX)\s|"
                  r"ALTER\s+TABLE\s|DROP\s+TABLE\s|PRAGMA\s|BEGIN\b|COMMIT\b|ROLLBACK\b)", re.S)


def _text(node: ast.AST) -> str | None:
    """The literal text of a string expression (constants of an f-string or a + chain)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " x " for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None and right is None else (left or " x ") + (right or " x ")
    return None


def sql_uses(source: str) -> list[str]:
    """Where ``source`` imports sqlite3, names it (``sqlite3.Row``, ...), or passes SQL text
    to a call (``execute``, ``query``, ...): ``<line>: <what>``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            found.append(f"{node.lineno}: import sqlite3")
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.append(f"{node.lineno}: from sqlite3 import")
        elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "sqlite3":
            found.append(f"{node.lineno}: sqlite3.{node.attr}")
        elif isinstance(node, ast.Call):
            for arg in node.args:
                text = _text(arg)
                if text is not None and _SQL.match(text):
                    found.append(f"{node.lineno}: SQL {text.strip()[:40]!r}")
    return found


def test_sql_uses_finds_each_kind_of_use() -> None:
    toy = ('import sqlite3\nfrom sqlite3 import Row\ndef f(db, t: "sqlite3.Row"):\n'
           '    db.execute("SELECT * FROM models WHERE id = ?", (1,))\n'
           '    db.one(f"UPDATE {t} SET x = 1")\n    x: sqlite3.Row\n'
           '    print("select a name from the list")\n')
    assert [u.split(":")[0] for u in sql_uses(toy)] == ["1", "2", "4", "5", "6"]


def test_no_sql_outside_the_catalog() -> None:
    # the catalog owns its SQL: everything else sees repositories and records (catalog/base.py)
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if _within(module, CATALOG) or module in SQLITE_ALLOWED:
            continue
        found += [f"{module}:{use}" for use in sql_uses(path.read_text())]
    assert not found, found


def test_the_sqlite_allow_list_is_still_needed() -> None:
    # an entry whose module no longer uses sqlite3 is a hole for the next one: drop it
    unused = [m for m in SQLITE_ALLOWED
              if not sql_uses((ROOT / (m.replace(".", "/") + ".py")).read_text())]
    assert not unused, unused


def test_every_catalog_method_names_what_it_raises() -> None:
    # the catalog interface is the contract a second catalog (object storage) implements
    tree = ast.parse((PACKAGE / "store" / "local" / "catalog" / "base.py").read_text())
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and _is_contract(n)]
    assert {c.name for c in classes} >= {"Catalog", "Groups", "Reports", "TableFiles", "Views",
                                         "Models"}
    missing = [f"{c.name}.{fn.name}" for c in classes for fn in c.body
               if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")
               and "Raises:" not in (ast.get_docstring(fn) or "")]
    assert not missing, missing
