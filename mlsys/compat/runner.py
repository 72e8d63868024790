"""``mlsys run FILE [ARGS...]``: run a Python script or a Jupyter notebook written for Hopsworks.

A script runs as ``python FILE ARGS...`` would (``__name__ == "__main__"``, ``sys.argv``, its
folder first on ``sys.path``). A notebook runs as ``jupyter nbconvert --execute`` would: its code
cells in order in one namespace, in the notebook's folder, each cell's output printed under a
``[cell N]`` header (the value of a last bare expression too, as Jupyter shows it). IPython
syntax is not Python, so line magics (``%matplotlib inline``), whole cell magics (``%%time``)
and shell lines (``!pip install ...``) are skipped and said so. The first failing cell stops the
run with its number and traceback. Both run inside :func:`~mlsys.compat.hook.hopsworks_imports`.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsys.errors import InvalidArgumentError

Echo = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """How a run ended: ``exit_code`` 0 on success; ``failed_cell`` (1-based code cell) if any."""

    exit_code: int
    cells_run: int = 0
    failed_cell: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Cell:
    """One code cell of a notebook: its 1-based number among code cells and runnable source."""

    number: int
    source: str
    skipped: tuple[str, ...]  # the IPython lines (or the whole cell magic) left out


def _is_ipython_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!"))


def notebook_cells(path: Path) -> list[Cell]:
    """The code cells of the notebook at ``path``, IPython-only lines removed."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        raw = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise InvalidArgumentError(f"{path} is not a readable Jupyter notebook ({err}); give "
                                   "an .ipynb file saved by Jupyter") from None
    cells = []
    for number, cell in enumerate(raw, start=1):
        src = cell.get("source", "")
        text = "".join(src) if isinstance(src, list) else str(src)
        if text.lstrip().startswith("%%"):  # a cell magic makes the whole cell non-Python
            cells.append(Cell(number, "", (text.strip().splitlines()[0],)))
            continue
        kept, skipped = [], []
        for line in text.splitlines():
            if _is_ipython_line(line):
                skipped.append(line.strip())
                kept.append("")  # keep line numbers of tracebacks right
            else:
                kept.append(line)
        # IPython strips a common leading indent from a cell; plain exec would not.
        cells.append(Cell(number, textwrap.dedent("\n".join(kept)), tuple(skipped)))
    return cells


@contextmanager
def _argv_and_path(argv: Sequence[str], folder: Path, chdir: bool) -> Iterator[None]:
    saved_argv, saved_path, saved_cwd = sys.argv[:], sys.path[:], Path.cwd()
    sys.argv = list(argv)
    sys.path.insert(0, str(folder))
    if chdir:
        os.chdir(folder)
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        if chdir:
            os.chdir(saved_cwd)


def _headless_plots() -> None:
    # plt.show() would block (or fail) without a display; Jupyter renders inline instead.
    os.environ.setdefault("MPLBACKEND", "Agg")


def _user_traceback(err: BaseException, filename: str) -> str:
    """The traceback from the user's code down (mlsys's runner frames left out)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(err), err, tb))


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def _exec_cell(cell: Cell, namespace: dict[str, Any], filename: str, echo: Echo) -> None:
    tree = ast.parse(cell.source, filename=filename)
    last = tree.body[-1] if tree.body else None
    shown = last.value if isinstance(last, ast.Expr) else None  # Jupyter shows its value
    if shown is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), namespace)  # running the user's code is the job
    if shown is not None:
        value = eval(compile(ast.Expression(shown), filename, "eval"), namespace)
        if value is not None:
            echo(repr(value))


def run_notebook(path: Path, argv: Sequence[str], echo: Echo) -> RunResult:
    """Run the notebook's code cells in order; stop at the first failing one."""
    cells = notebook_cells(path)

    def display(*values: Any, **_: Any) -> None:  # IPython's display(), as plain text
        for value in values:
            echo(repr(value))

    namespace: dict[str, Any] = {"__name__": "__main__", "display": display}
    done = 0
    with _argv_and_path([str(path), *argv], path.parent.resolve(), chdir=True):
        for cell in cells:
            echo(f"[cell {cell.number}]")
            for line in cell.skipped:
                echo(f"  (skipped IPython line: {line})")
            if not cell.source.strip():
                done += 1
                continue
            filename = f"<{path.name} cell {cell.number}>"
            try:
                _exec_cell(cell, namespace, filename, echo)
            except SystemExit as err:
                if err.code in (None, 0):
                    return RunResult(0, done + 1)
                echo(f"cell {cell.number} of {path.name} exited with {err.code!r}")
                return RunResult(1, done, cell.number, f"SystemExit: {err.code!r}")
            except BaseException as err:
                if isinstance(err, KeyboardInterrupt):
                    raise
                sys.stderr.write(_user_traceback(err, filename))
                echo(f"cell {cell.number} of {path.name} failed: {_describe(err)}")
                return RunResult(1, done, cell.number, _describe(err))
            done += 1
            sys.stdout.flush()
    return RunResult(0, done)


def run_script(path: Path, argv: Sequence[str], echo: Echo) -> RunResult:
    """Run the script as ``__main__``; a traceback and exit code 1 if it raises."""
    import runpy

    filename = str(path.resolve())
    with _argv_and_path([str(path), *argv], path.parent.resolve(), chdir=False):
        try:
            runpy.run_path(filename, run_name="__main__")
        except SystemExit as err:
            code = err.code
            if code in (None, 0):
                return RunResult(0)
            return RunResult(code if isinstance(code, int) else 1, error=f"SystemExit: {code!r}")
        except BaseException as err:
            if isinstance(err, KeyboardInterrupt):
                raise
            sys.stderr.write(_user_traceback(err, filename))
            echo(f"{path.name} failed: {_describe(err)}")
            return RunResult(1, error=_describe(err))
    return RunResult(0)


def run_file(file: str | Path, argv: Sequence[str] = (), echo: Echo = print) -> RunResult:
    """Run a ``.py`` script or an ``.ipynb`` notebook with the SDK's imports on mlsys."""
    from mlsys.compat.hook import hopsworks_imports

    path = Path(file)
    if not path.is_file():
        raise InvalidArgumentError(f"{file} is not a file; give a .py script or an .ipynb "
                                   "notebook, e.g. mlsys run pipeline.py")
    if path.suffix not in (".py", ".ipynb"):
        raise InvalidArgumentError(f"{file} is neither a .py script nor an .ipynb notebook")
    _headless_plots()
    with hopsworks_imports() as on:
        if not on:
            echo("MLSYS_BACKEND=hopsworks: hopsworks, hsfs and hsml are the real SDK")
        if path.suffix == ".ipynb":
            return run_notebook(path, argv, echo)
        return run_script(path, argv, echo)
