"""Damaged or missing store files turned into MlsysErrors that name the file and the fix.

Delta, Arrow, SQLite and the file system report a damaged store in their own words (a Rust
``DeltaError`` with a backtrace, ``ArrowInvalid``, ``file is not a database`` without a path);
these helpers translate them at the store's boundaries, so a user (and the CLI) sees which file
is damaged and how to restore it, and a catalog that lost its content is never taken for an
empty store while tables and models exist.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import BackendUnavailableError, MlsysError, StoreDamagedError, StoreWriteError

if TYPE_CHECKING:
    from mlsys.store.local.config import LocalConfig

RESTORE = ("restore the store directory (or that file) from a backup or snapshot; "
           "`mlsys verify` lists every damaged file")

_DAMAGED = ("file is not a database", "malformed", "unable to open database",
            "file is encrypted", "database corrupt")
_FULL = ("database or disk is full", "disk i/o error", "readonly database", "attempt to write a "
         "readonly")


def sqlite_error(err: sqlite3.Error, path: Path, what: str,
                 fix: str = RESTORE) -> MlsysError | None:
    """The MlsysError for a SQLite failure on ``path`` that means damage or a refusing disk;
    None for every other error (constraints, a bug), which the caller re-raises."""
    text = str(err).lower()
    if any(s in text for s in _FULL):
        return StoreWriteError(
            f"{what} {str(path)!r} could not be written ({err}); nothing of this change was "
            "kept. Free disk space (or make the folder writable) and run the command again")
    if any(s in text for s in _DAMAGED) or path.is_dir():
        return StoreDamagedError(f"{what} {str(path)!r} is damaged ({err}); {fix}")
    return None


# what delta-rs says when a bucket refuses the keys or cannot be reached (not a damaged table)
_UNREACHED = ("lacked the necessary privileges", "generic s3 error", "error sending request",
              "connection refused", "forbidden", "accessdenied", "invalidaccesskeyid",
              "signaturedoesnotmatch", "dns error", "timed out", "missing accesskeyid")


def table_damaged(path: Path | str, what: str, err: BaseException) -> MlsysError:
    """The error for a Delta table whose log or data files cannot be read: StoreDamagedError,
    or BackendUnavailableError when a bucket refused the keys or could not be reached."""
    detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
    if isinstance(path, str) and any(w in str(err).lower() for w in _UNREACHED):
        return BackendUnavailableError(
            f"the table of {what} at {path!r} cannot be read: the bucket refused the request "
            f"or could not be reached ({detail}). Nothing is damaged; check "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (keys that may use this bucket), "
            "AWS_ENDPOINT_URL and the network, then run it again")
    return StoreDamagedError(
        f"the table of {what} at {str(path)!r} cannot be read: {type(err).__name__}: {detail}. "
        f"Its log or data files were changed or lost; {RESTORE}")


def table_read_errors() -> tuple[type[BaseException], ...]:
    """What Delta, Arrow and the file system raise for a damaged table."""
    import pyarrow as pa
    from deltalake.exceptions import DeltaError

    return (DeltaError, pa.ArrowException, OSError, json.JSONDecodeError, UnicodeDecodeError)


@contextmanager
def reading_table(path: Path | str, what: str) -> Iterator[None]:
    """Raise StoreDamagedError instead of a raw library error from reading one table."""
    try:
        yield
    except MlsysError:
        raise
    except table_read_errors() as err:
        raise table_damaged(path, what, err) from None


def _disk_refused(err: BaseException) -> bool:
    text = str(err).lower()
    return getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) or \
        "no space left" in text or "read-only file system" in text or "quota" in text


@contextmanager
def writing_table(path: Path | str, what: str) -> Iterator[None]:
    """Raise StoreWriteError for a commit the disk refused (nothing was committed: a Delta
    commit is one file that appears whole or not at all), StoreDamagedError for a table that
    cannot be read to write it."""
    try:
        yield
    except MlsysError:
        raise
    except table_read_errors() as err:
        if _disk_refused(err):
            raise StoreWriteError(
                f"{what}: the disk refused the write to {str(path)!r} "
                f"({str(err).splitlines()[0][:200]}); nothing was committed. Free disk space "
                "and run it again") from None
        raise table_damaged(path, what, err) from None


def _entries(folder: Path, skip: tuple[str, ...] = ()) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir()
                      if not p.name.startswith(".") and not p.name.endswith(skip))
    except OSError:
        return []


def _is_database(path: Path) -> bool:
    """Whether ``path`` is a SQLite database, asked of SQLite itself. Opening and closing the
    file directly would drop every POSIX lock this process's connections hold on it (closing
    any descriptor of a file drops the process's locks on it: sqlite.org/howtocorrupt.html
    2.2), and another process could then checkpoint or write under a reader: a malformed
    catalog. SQLite's own opens of a file share its locks and never drop them."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return True
    except sqlite3.Error as err:  # other damage: the catalog's own open names it
        return "not a database" not in str(err)
    finally:
        conn.close()


def check_catalog(config: LocalConfig) -> None:
    """Refuse a store whose catalog is missing, empty or not a database while tables or model
    folders exist: opening it would show an empty store, and the next save would reuse (and
    overwrite) versions whose files are still there."""
    path = config.catalog_path
    if path.is_dir():
        raise StoreDamagedError(f"the catalog {str(path)!r} is a folder, not a database file; "
                                f"{RESTORE}")
    empty = not path.exists() or path.stat().st_size == 0
    if not empty:
        if not _is_database(path):
            raise StoreDamagedError(
                f"the catalog {str(path)!r} is not a SQLite database (its header is zeroed or "
                f"overwritten); {RESTORE}")
        return
    tables = _entries(config.feature_store_dir, (".lock",))
    models = _entries(config.models_dir)
    if tables or models:
        state = "missing" if not path.exists() else "empty (0 bytes)"
        found = ", ".join([*(f"table {t}" for t in tables[:10]),
                           *(f"model folder {m}" for m in models[:10])])
        raise StoreDamagedError(
            f"the catalog {str(path)!r} is {state}, but the store holds {found}; opening it "
            f"would show an empty store over that data. Nothing was changed: {RESTORE}")


__all__ = ["RESTORE", "check_catalog", "reading_table", "sqlite_error", "table_damaged",
           "writing_table"]
