"""Validation is a floor and reports sit above the store: the import graph of ``mlsys`` says so.

The graph is built from the source with ``ast`` and holds every import of an mlsys module: at
module level, inside functions and under ``TYPE_CHECKING``. An import that runs late still makes
the module depend on its target, and a cycle hidden inside a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mlsys"

ABOVE_VALIDATION = (
    "mlsys.store", "mlsys.pipelines", "mlsys.apps", "mlsys.reports", "mlsys.monitoring",
    "mlsys.systems", "mlsys.serving", "mlsys.cli", "mlsys.compat", "mlsys.console",
)
"""Layers that read or build on validation's types; validation imports none of them."""

ABOVE_REPORTS = ("mlsys.apps", "mlsys.pipelines", "mlsys.cli", "mlsys.console")
"""Reports read a Project (so they sit above the store) but are called by these, not the reverse."""


def module_files(package: Path) -> dict[str, Path]:
    """Every module of the package folder ``package`` by dotted name (``__init__`` names the
    package itself)."""
    out: dict[str, Path] = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported dotted name lands on: itself, else its longest known prefix
    (``mlsys.errors.SchemaError`` lands on ``mlsys.errors``, ``mlsys.login`` on ``mlsys``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement asks for (relative imports made absolute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            anchor = anchor.rpartition(".")[0]
        base = f"{anchor}.{base}" if base else anchor
    # ``from a import b`` imports the submodule a.b when there is one, else a name from a
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph(package: Path) -> dict[str, set[str]]:
    """``{module: the package's modules it imports}``, from every import statement anywhere."""
    modules = module_files(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):  # module level, function bodies and TYPE_CHECKING blocks
            for target in _targets(node, name, path.name == "__init__.py"):
                found = _resolve(target, modules)
                if found is not None and found != name:
                    graph[name].add(found)
    return graph


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def find_cycle(graph: dict[str, set[str]], package: str) -> list[str] | None:
    """One import cycle among the modules of ``package`` (as a path ending where it began)."""
    nodes = {m for m in graph if inside(m, package)}
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        path.append(module)
        for target in sorted(graph[module] & nodes):
            if target in path:
                return [*path[path.index(target):], target]
            if target not in done:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(nodes):
        if module not in done:
            found = visit(module)
            if found is not None:
                return found
    return None


def crossings(graph: dict[str, set[str]], package: str,
              forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """``{module of package: the forbidden modules it imports}``; the top package's
    ``__init__`` is always forbidden (``import mlsys``, ``from mlsys import login``)."""
    top = package.partition(".")[0]
    out: dict[str, list[str]] = {}
    for module, targets in graph.items():
        if not inside(module, package):
            continue
        bad = sorted(t for t in targets
                     if t == top or any(inside(t, f) for f in forbidden))
        if bad:
            out[module] = bad
    return out


# --------------------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_graph_sees_late_hidden_and_relative_imports(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "",
        "pkg/low/a.py": "from pkg.low.b import thing\nimport os\n",
        "pkg/low/b.py": "def f():\n    from pkg.low import c\n    return c\nthing = 1\n",
        "pkg/low/c.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                         "    from pkg.low.a import x\n"),
        "pkg/low/d.py": "from . import a\nfrom ..high import e\nimport pkg\n",
        "pkg/high/__init__.py": "",
        "pkg/high/e.py": "from pkg import name_in_init\n",
    })
    graph = import_graph(package)
    assert graph["pkg.low.a"] == {"pkg.low.b"}  # os is not ours
    assert graph["pkg.low.b"] == {"pkg.low.c"}  # inside a function
    assert graph["pkg.low.c"] == {"pkg.low.a"}  # under TYPE_CHECKING
    assert graph["pkg.low.d"] == {"pkg.low.a", "pkg.high.e", "pkg"}  # relative, and the package
    assert graph["pkg.high.e"] == {"pkg"}
    cycle = find_cycle(graph, "pkg.low")
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"pkg.low.a", "pkg.low.b", "pkg.low.c"}
    assert find_cycle(graph, "pkg.high") is None
    assert crossings(graph, "pkg.low", ("pkg.high",)) == {"pkg.low.d": ["pkg", "pkg.high.e"]}
    assert crossings(graph, "pkg.high", ()) == {"pkg.high.e": ["pkg"]}


# --------------------------------------------------------------------------- mlsys


def test_validation_modules_are_found() -> None:
    graph = import_graph(PACKAGE)
    found = {m for m in graph if inside(m, "mlsys.validation")}
    assert {"mlsys.validation.types", "mlsys.validation.ge", "mlsys.validation.suite_io",
            "mlsys.validation.engine", "mlsys.validation.schemas"} <= found
    assert {"mlsys.reports.quality", "mlsys.reports.pages", "mlsys.reports.plots"} <= set(graph)


def test_validation_has_no_import_cycle() -> None:
    assert find_cycle(import_graph(PACKAGE), "mlsys.validation") is None


def test_validation_imports_nothing_above_it() -> None:
    assert crossings(import_graph(PACKAGE), "mlsys.validation", ABOVE_VALIDATION) == {}


def test_reports_import_no_app_or_pipeline_and_no_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert crossings(graph, "mlsys.reports", ABOVE_REPORTS) == {}
    assert find_cycle(graph, "mlsys.reports") is None


def test_the_store_does_not_import_the_reports_above_it() -> None:
    assert crossings(import_graph(PACKAGE), "mlsys.store", ("mlsys.reports",)) == {}


def test_validation_and_reports_names_have_one_home() -> None:
    """Every name a module lists in ``__all__`` is defined there, not re-exported from another."""
    offenders: dict[str, list[str]] = {}
    for name, path in module_files(PACKAGE).items():
        if not (inside(name, "mlsys.validation") or inside(name, "mlsys.reports")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined: set[str] = set()
        listed: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                defined |= names
                if "__all__" in names and isinstance(node.value, ast.List | ast.Tuple):
                    listed = [str(e.value) for e in node.value.elts if isinstance(e, ast.Constant)]
        missing = sorted(set(listed) - defined)
        if missing:
            offenders[name] = missing
    assert offenders == {}
