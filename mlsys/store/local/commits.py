"""Commit retries: a Delta commit that met another writer's commit is redone on the new table.

In a folder, writers of one group hold a file lock, so their commits never meet. Writers on
different machines sharing a bucket hold no common lock: delta-rs (1.x) writes each log entry
with S3's conditional put (``If-None-Match``), so two commits can never both become one
version, and a commit whose reads conflict with a concurrent one (a MERGE over files another
writer changed) fails with ``CommitFailedError``, nothing of it visible. The write is then redone
from the table's new version, a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from deltalake.exceptions import CommitFailedError

from mlsys.errors import ConcurrencyError
from mlsys.store.local import tables

COMMIT_ATTEMPTS = 8  # commits of one write before it gives up to concurrent writers
T = TypeVar("T")


def retrying(path: tables.TablePath, what: str, before: int | None,
             write: Callable[[int | None], T]) -> tuple[int | None, T]:
    """``write(before)`` (a commit on top of version ``before``), redone on the table's
    current version when it conflicts; the ``before`` it finally used and what it returned.

    Raises ConcurrencyError after :data:`COMMIT_ATTEMPTS` conflicting commits (nothing of this
    write is in the table then).
    """
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            return before, write(before)
        except CommitFailedError as err:
            if attempt + 1 == COMMIT_ATTEMPTS:
                raise ConcurrencyError(
                    f"{what}: {COMMIT_ATTEMPTS} commits in a row met concurrent writers' commits "
                    f"({str(err).splitlines()[0][:160]}); nothing of this write was committed. "
                    "Run it again when fewer writers share the group") from None
            # jittered, growing waits, so writers that met once do not meet again in step
            time.sleep(random.uniform(0.02, 0.1) * 2 ** min(attempt, 4))
            before = tables.current_version(path)
    raise AssertionError("unreachable")  # the loop returns or raises


__all__ = ["COMMIT_ATTEMPTS", "retrying"]
