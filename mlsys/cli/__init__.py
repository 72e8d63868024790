"""The ``mlsys`` command line: parses arguments and calls library functions, nothing more.

One module per group of verbs (``pipelines``, ``apps``, ``store``), each registering its
commands on the one Typer ``app`` of ``common``; importing them here, in this order, is what
orders ``mlsys --help``.
"""

from __future__ import annotations

import errno
import sys

import typer

from mlsys.cli.common import EXIT_FAILED, EXIT_USAGE, app
from mlsys.command import refused_write

# each module registers its commands on `app`; their import order is `mlsys --help`'s order
# isort: off
from mlsys.cli import pipelines  # noqa: F401
from mlsys.cli import apps  # noqa: F401
from mlsys.cli import store  # noqa: F401
# isort: on

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "app", "main"]

_REFUSED = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
"""OSErrors that are the disk's answer to a write, not mlsys's mistake."""


def _unexpected(err: Exception) -> int:
    """The last resort for an exception no command expected: one line, never a traceback."""
    if isinstance(err, OSError) and err.errno in _REFUSED:  # not a bug: the machine's state
        typer.secho(refused_write(err), err=True, fg=typer.colors.RED)
        return EXIT_FAILED
    detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
    typer.secho(f"error: unexpected {type(err).__name__}{': ' + detail if detail else ''}. "
                f"This is a bug in mlsys or a damaged store (try `mlsys verify`); please report "
                "it, with the command you ran", err=True, fg=typer.colors.RED)
    return EXIT_FAILED


def main() -> None:
    """Console entry point: runs the command, then exits with its code without interpreter
    teardown.

    Native worker threads (pyarrow's thread pools, apache/arrow#34314; deltalake's tokio
    runtime) can still be running, or still hold Python objects, when the interpreter finalizes;
    a pyarrow worker that touches Python then aborts the process (``Fatal Python error:
    PyGILState_Release`` / ``terminate called without an active exception``, exit 134) after
    the command printed its result and committed its data, so a scheduler reports a finished
    ``daily`` as failed. That race is inside those libraries, so it cannot be fixed here; the
    command's work is durable by the time it returns (every commit is on disk, the output is
    flushed below), so the process skips finalization with ``os._exit``.
    """
    import atexit
    import contextlib
    import gc
    import logging
    import os

    try:
        app()
        code = 0
    except Exception as err:  # the last resort: a message, not a traceback
        code = _unexpected(err)
    except SystemExit as done:  # click ends every command with sys.exit(code)
        if isinstance(done.code, int) or done.code is None:
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    # what a normal exit does before finalization still happens: objects the command (or a
    # script under `mlsys run`) dropped are finalized, so their files are flushed and closed,
    # and atexit handlers run
    gc.collect()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()  # a closed pipe, or no stream at all (`>&-`): nothing left to say
    os._exit(code)
