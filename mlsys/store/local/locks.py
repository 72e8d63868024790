"""An inter-process exclusive lock on a file (``fcntl.flock``), with a timeout."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlsys.errors import ConcurrencyError


@contextmanager
def file_lock(path: Path, timeout_s: float, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the ``with`` block.

    flock locks belong to an open file description, so two threads of one process exclude each
    other as two processes do. The kernel drops the lock when its holder dies (even by SIGKILL),
    so a crashed writer never blocks the next one. Not re-entrant: never nest on one path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConcurrencyError(
                        f"{what} is locked by another writer for more than {timeout_s:.0f} s "
                        f"(lock file {path}); retry later or raise lock_timeout_s"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
