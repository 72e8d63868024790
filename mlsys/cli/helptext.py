"""Typer's rendering of ``mlsys --help``, stored in ``help.txt`` for the fast console script.

``python -m mlsys.cli.helptext`` rewrites the file after a verb, its first sentence or the
top-level text changes; ``tests/code/test_cli_help.py`` fails until it matches again.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from mlsys.command import HELP_FILE, WIDTH


def render(columns: int = WIDTH) -> str:
    """What Typer prints for ``mlsys --help`` on a terminal of ``columns`` columns (the stored
    text: ``WIDTH``, which stands for every wider terminal too)."""
    from mlsys.cli import app

    out = io.StringIO()
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        with contextlib.redirect_stdout(out):
            app(["--help"], prog_name="mlsys", standalone_mode=False)
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before
    return out.getvalue()


def write() -> Path:
    """Store :func:`render` in ``help.txt``; returns its path."""
    path = Path(HELP_FILE)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
