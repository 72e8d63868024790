"""The ``mlsys`` console script: ``mlsys --help`` from the text Typer renders, the rest by Typer.

Importing Typer (and the click it vendors) is most of what ``mlsys --help`` costs (~45 of
~60 ms of imports), so the top-level help, the one page every newcomer asks for, is answered
from ``mlsys/cli/help.txt``: Typer's own rendering of it, written by ``python -m
mlsys.cli.helptext`` and checked against a fresh rendering by ``tests/code/test_cli_help.py``.
Anything else, a narrower terminal (Typer wraps to it), another program name or a missing file,
goes to :func:`mlsys.cli.main`. This module imports nothing of mlsys beyond the package itself.
"""

from __future__ import annotations

# os.path, not pathlib: `import mlsys` does not load pathlib, and it costs ~5 ms here
# ruff: noqa: PTH118, PTH119, PTH120, PTH123
import os
import sys

HELP_FILE = os.path.join(os.path.dirname(__file__), "cli", "help.txt")
WIDTH = 80  # click wraps help to min(terminal columns, 80) - 2; from 80 columns up it is one text


def columns() -> int:
    """The terminal's width as click sees it (``shutil.get_terminal_size``, whose import alone
    costs ~10 ms): ``COLUMNS`` if set and positive, else the terminal of stdout, else 80."""
    try:
        width = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        width = 0
    if width <= 0:
        try:
            width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            width = 0
    return width or 80


def stored_help(argv: list[str]) -> str | None:
    """The stored top-level help if ``argv`` asks for exactly it and it is what Typer would
    print here (program ``mlsys``, at least 80 columns), else None."""
    if argv[1:] != ["--help"] or os.path.basename(argv[0]) != "mlsys" or columns() < WIDTH:
        return None
    try:
        with open(HELP_FILE, encoding="utf-8") as f:
            return f.read()
    except OSError:  # a copy of mlsys without the file (say, a bundled Space): Typer renders it
        return None


def refused_write(err: OSError) -> str:
    """The one line for a write the system refused (a full disk, a read-only device): what
    happened and the fix, not a traceback (the Typer path's last resort says the same)."""
    where = f": {err.filename}" if err.filename else ""
    return (f"error: the system refused a write ({err.strerror or err}{where}); free disk "
            "space or fix the device, then run the command again")


def write_out(text: str) -> int:
    """Write ``text`` to stdout; the exit code, as Typer's path ends: 0, or 1 when a reader
    stopped early (a broken pipe, as click exits) or the write was refused (with a line
    saying so). No stdout at all (``>&-``) is not an error: nothing to write to, as
    ``print`` does."""
    out = sys.stdout
    if out is None:
        return 0
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:  # `mlsys --help | head -0`: nothing left to say
        return 1
    except OSError as err:
        if sys.stderr is not None:
            sys.stderr.write(refused_write(err) + "\n")
        return 1
    return 0


def main() -> None:
    """Console entry point (``[project.scripts]``)."""
    text = stored_help(sys.argv)
    if text is None:
        from mlsys.cli import main as run

        run()
        return
    os._exit(write_out(text))  # as mlsys.cli.main ends, without interpreter teardown
