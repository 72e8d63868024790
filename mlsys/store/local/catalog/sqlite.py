"""The SQLite catalog: the repositories of ``sqlite_groups`` and ``sqlite_views`` on one
``SqliteDb`` (``sqlite_db``), behind :class:`~.base.Catalog`.

These modules are the only code of mlsys that holds catalog SQL; the store sees the interface
and its records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlsys.store.local.catalog.base import Catalog
from mlsys.store.local.catalog.sqlite_db import SqliteDb
from mlsys.store.local.catalog.sqlite_groups import SqliteGroups, SqliteReports, SqliteTableFiles
from mlsys.store.local.catalog.sqlite_views import SqliteModels, SqliteViews


class SqliteCatalog(Catalog):
    """One project's catalog in a SQLite file (WAL; writes ``BEGIN IMMEDIATE``, so a
    transaction is serialised with every other writer, also in other processes)."""

    def __init__(self, path: Path, busy_timeout_ms: int = 60_000) -> None:
        self.path = path
        self.db = SqliteDb(path, busy_timeout_ms)
        self.groups = SqliteGroups(self.db)
        self.reports = SqliteReports(self.db)
        self.table_files = SqliteTableFiles(self.db)
        self.views = SqliteViews(self.db)
        self.models = SqliteModels(self.db)

    def __repr__(self) -> str:
        return f"SqliteCatalog({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.db.write():
            yield

    def open(self) -> None:
        self.db.query("SELECT 1")

    def problems(self) -> list[str]:
        found = [str(r[0]) for r in self.db.query("PRAGMA quick_check")]
        return [] if found == ["ok"] else found

    def close(self) -> None:
        self.db.close()


__all__ = ["SqliteCatalog"]
