"""Start-up costs (``import mlsys``, ``mlsys --help``) and the whole demo, in fresh processes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.bench_models import run_python, subprocess_env
from benchmarks.context import python
from benchmarks.harness import BenchmarkError, Case, Figure, Goal, compare

if TYPE_CHECKING:
    from benchmarks.context import Context

OVER_PASS = Goal("<= 0.3 s over baseline", "over_baseline_max", 0.3)
HELP_GOAL = Goal("<= 0.06 s over baseline (issue 18)", "over_baseline_max", 0.06)


def mlsys_script() -> str:
    """The ``mlsys`` console script next to the interpreter (the installed entry point)."""
    path = Path(python()).with_name("mlsys")
    if not path.exists():
        raise BenchmarkError(f"the mlsys console script is not installed at {path}; "
                             "pip install -e . first")
    return str(path)


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, env=subprocess_env(),
                          check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")


def bench_import(ctx: Context) -> list[Figure]:
    """``python -c "import mlsys"`` and ``mlsys --help`` vs ``python -c pass``."""
    reps = ctx.reps(15)
    bare = Case(lambda _a: run_python("pass"))
    imp = Case(lambda _a: run_python("import mlsys"))
    m_imp, b_imp = compare(imp, bare, reps, warmup=2)
    cli = mlsys_script()
    helped = Case(lambda _a: _run([cli, "--help"]))
    m_cli, b_cli = compare(helped, bare, reps, warmup=2)
    verb = Case(lambda _a: _run([cli, "status", "--help"]))  # rendered by Typer every time
    m_verb, b_verb = compare(verb, bare, reps, warmup=2)
    ctx.maybe_profile("import_mlsys", Case(lambda _a: _fresh_import()))
    return [
        Figure("import_mlsys", "import mlsys (fresh process)", "s", OVER_PASS, m_imp, b_imp,
               'python -c "pass"', reference="import feast 3.4 s; import mlflow 1.3 s"),
        Figure("cli_help", "mlsys --help (fresh process; the stored text, mlsys/command.py)",
               "s", HELP_GOAL, m_cli, b_cli, 'python -c "pass"'),
        Figure("cli_verb_help", "mlsys status --help (fresh process; Typer renders it)", "s",
               OVER_PASS, m_verb, b_verb, 'python -c "pass"'),
    ]


def _fresh_import() -> None:
    """Re-import mlsys in this process (for profiling its import only)."""
    import importlib
    import sys

    for name in [m for m in sys.modules if m == "mlsys" or m.startswith("mlsys.")]:
        del sys.modules[name]
    importlib.import_module("mlsys")


DEMO = """
import mlsys
from pathlib import Path
from mlsys.pipelines.demo import run_demo
run_demo(mlsys.login(backend="local", home={home!r}), days={days}, report_dir=Path({out!r}))
"""
DEMO_DAYS = 30


def bench_demo(ctx: Context) -> list[Figure]:
    """The demo's work in a fresh process on a fresh store: backfill, 30 days, train, infer,
    reports, every registered system (what ``nox -s demo`` runs after installing)."""

    def prepare(_i: int) -> str:
        work = ctx.dir("demo")
        return DEMO.format(home=str(work / "store"), days=DEMO_DAYS, out=str(work / "reports"))

    def run(code: Any) -> None:
        run_python(code)

    m, _ = compare(Case(run, prepare), None, ctx.reps(1))
    return [Figure("demo", f"demo: fresh store, backfill, {DEMO_DAYS} days, train, infer, "
                   "reports (every system)", "s", Goal("<= 60 s", "value_max", 60.0), m, None,
                   "—")]
