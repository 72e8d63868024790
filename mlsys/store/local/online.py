"""The online store: the latest row per primary key of an online-enabled group, in SQLite.

One database file per group version (``online/<fg>_<v>.sqlite``) with one ``WITHOUT ROWID``
table keyed by the primary key, so a lookup is one B-tree search through a cached prepared
statement. Writers upsert a whole frame with ``executemany`` in one transaction.

Consistency with the offline (Delta) table: the store records the Delta version it reflects.
Inserts update it under the group's write lock right after their Delta commit; if the store is
not exactly one version behind at that point (a writer died between its commit and this
update), it is rebuilt from Delta instead. Readers call :meth:`OnlineStore.synced_version` when
serving starts and rebuild when it lags (see ``feature_group.LocalFeatureGroup.ensure_online``).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlsys.store.local.catalog.sqlite_db import enable_wal, rollback
from mlsys.store.local.damage import sqlite_error
from mlsys.store.rules.frames import ARROW_TYPES, Column

if TYPE_CHECKING:
    from mlsys.store.local.config import LocalConfig

_SQL_TYPES = {"bigint": "INTEGER", "double": "REAL", "boolean": "INTEGER", "string": "TEXT",
              "timestamp": "INTEGER", "date": "INTEGER", "binary": "BLOB"}
# How values are stored: timestamps as epoch microseconds, dates as epoch days.
_STORE_AS = {"timestamp": pa.int64(), "date": pa.int32(), "boolean": pa.int8()}


def _q(name: str) -> str:
    return f'"{name}"'


class OnlineStore:
    """The online table of one feature-group version."""

    def __init__(self, path: Path, table: str, columns: Sequence[Column],
                 primary_key: Sequence[str], event_time: str | None,
                 busy_timeout_ms: int = 60_000) -> None:
        self.path = path
        self.table = table
        self.columns = list(columns)
        self.primary_key = list(primary_key)
        self.event_time = event_time
        self._busy_ms = busy_timeout_ms
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.Lock()
        self._checked = -math.inf  # monotonic time of the last look at the offline table
        names = [c.name for c in self.columns]
        where = " AND ".join(f"{_q(k)} = ?" for k in self.primary_key)
        self._select = f"SELECT {', '.join(map(_q, names))} FROM {_q(table)} WHERE {where}"
        placeholders = ", ".join("?" for _ in names)
        self._insert = (f"INSERT INTO {_q(table)} ({', '.join(map(_q, names))}) "
                        f"VALUES ({placeholders})")
        updates = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in names
                            if n not in self.primary_key)
        conflict = f" ON CONFLICT ({', '.join(map(_q, self.primary_key))}) DO "
        conflict += f"UPDATE SET {updates}" if updates else "NOTHING"
        if event_time and updates:
            # An older row never replaces a newer one: the store keeps the latest event time.
            conflict += f" WHERE excluded.{_q(event_time)} >= {_q(table)}.{_q(event_time)}"
        self._upsert = self._insert + conflict
        self._decoders = {i: c.type for i, c in enumerate(self.columns) if c.type in _STORE_AS}

    # -- connection
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            try:
                return self._open()
            except sqlite3.Error as err:
                mapped = sqlite_error(err, self.path, "the online store",
                                      "`mlsys verify --repair` rebuilds it from the offline "
                                      "table (nothing is lost: the offline table holds every row)")
                if mapped is None:
                    raise
                raise mapped from None
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._busy_ms / 1000, cached_statements=64)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
        enable_wal(conn, self._busy_ms / 1000)
        conn.execute("PRAGMA synchronous = NORMAL")
        cols = ", ".join(f"{_q(c.name)} {_SQL_TYPES[c.type]}" for c in self.columns)
        pk = ", ".join(map(_q, self.primary_key))
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_q(self.table)} ({cols}, "
                     f"PRIMARY KEY ({pk})) WITHOUT ROWID")
        conn.execute("CREATE TABLE IF NOT EXISTS _mlsys_meta (key TEXT PRIMARY KEY, "
                     "value INTEGER) WITHOUT ROWID")
        self._conn, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    # -- state
    def synced_version(self) -> int | None:
        """The Delta version this store reflects (None: never written)."""
        with self._lock:
            row = self._connection().execute(
                "SELECT value FROM _mlsys_meta WHERE key = 'delta_version'").fetchone()
        return None if row is None else int(row[0])

    # -- writes (callers hold the group's write lock)
    def _rows(self, data: pa.Table) -> Iterator[tuple[Any, ...]]:
        """Rows to store: latest per primary key, in key order (B-tree appends are cheapest),
        values converted column-wise (numpy's ``tolist`` where no nulls: ~5x Arrow's)."""
        if len(self.primary_key) == 1:
            dup = pc.count_distinct(data.column(self.primary_key[0])).as_py() != len(data)
        else:
            dup = bool(data.select(self.primary_key).to_pandas().duplicated().any())
        if dup:
            df = data.to_pandas()
            if self.event_time:
                df = df.sort_values(self.event_time, kind="stable")
            data = pa.Table.from_pandas(df.drop_duplicates(self.primary_key, keep="last"),
                                        preserve_index=False)
        data = data.take(pc.sort_indices(data, [(k, "ascending") for k in self.primary_key]))
        lists = []
        for c in self.columns:
            arr = data.column(c.name)
            if c.type in _STORE_AS:
                arr = arr.cast(_STORE_AS[c.type])
            if arr.null_count == 0 and c.type not in ("string", "binary"):
                lists.append(arr.to_numpy().tolist())
            else:
                lists.append(arr.to_pylist())
        return zip(*lists, strict=True)

    def upsert(self, data: pa.Table, delta_version: int) -> None:
        """Apply the rows of one insert and record the Delta version they came from."""
        self._write(data, delta_version, replace=False)

    def rebuild(self, data: pa.Table, delta_version: int) -> None:
        """Replace the whole store with the latest rows of ``data`` (the offline table)."""
        self._write(data, delta_version, replace=True)

    def follow(self, before: int, after: int) -> None:
        """Record that Delta version ``after`` holds the rows of ``before`` (a compaction), if
        this store reflects ``before``; otherwise leave it to be rebuilt as it lags."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("UPDATE _mlsys_meta SET value = ? WHERE key = 'delta_version' "
                             "AND value = ?", (after, before))
            except BaseException:
                rollback(conn)
                raise
            conn.execute("COMMIT")

    def _write(self, data: pa.Table, delta_version: int, replace: bool) -> None:
        rows = self._rows(data)
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                if replace:
                    conn.execute(f"DELETE FROM {_q(self.table)}")
                conn.executemany(self._insert if replace else self._upsert, rows)
                conn.execute("INSERT OR REPLACE INTO _mlsys_meta VALUES ('delta_version', ?)",
                             (delta_version,))
            except BaseException:
                rollback(conn)
                raise
            conn.execute("COMMIT")

    # -- reads
    def due(self, every_s: float) -> bool:
        """Whether the offline table should be looked at again (last look ``every_s`` ago)."""
        return time.monotonic() - self._checked >= every_s

    def checked(self) -> None:
        """The offline table was just looked at (and this store brought up to it)."""
        self._checked = time.monotonic()

    def get_raw(self, key: Sequence[Any]) -> tuple[Any, ...] | None:
        """The stored row of ``key`` (values as stored), or None."""
        with self._lock:  # one connection serves every thread of the process
            return self._connection().execute(self._select, tuple(key)).fetchone()

    def decode(self, row: tuple[Any, ...]) -> list[Any]:
        """A stored row with timestamps, dates and booleans turned back into Python values."""
        out = list(row)
        for i, t in self._decoders.items():
            v = out[i]
            if v is None:
                continue
            if t == "timestamp":
                out[i] = pd.Timestamp(v, unit="us", tz="UTC")
            elif t == "date":
                out[i] = (pd.Timestamp(0) + pd.Timedelta(days=v)).date()
            else:
                out[i] = bool(v)
        return out

    def get(self, key: Sequence[Any]) -> list[Any] | None:
        row = self.get_raw(key)
        return None if row is None else self.decode(row)

    def stored_rows(self) -> list[tuple[Any, ...]]:
        """Every stored row as stored, in primary-key order (what :meth:`_rows` would write)."""
        order = ", ".join(map(_q, self.primary_key))
        names = ", ".join(_q(c.name) for c in self.columns)
        with self._lock:
            return self._connection().execute(
                f"SELECT {names} FROM {_q(self.table)} ORDER BY {order}").fetchall()

    def expected_rows(self, data: pa.Table) -> list[tuple[Any, ...]]:
        """The rows a rebuild from ``data`` (the offline table) would store, in key order."""
        return list(self._rows(data))

    def count(self) -> int:
        with self._lock:
            return int(self._connection().execute(f"SELECT count(*) FROM {_q(self.table)}")
                       .fetchone()[0])

    def read_all(self) -> pd.DataFrame:
        """Every stored row as pandas, with the offline table's dtypes."""
        with self._lock:
            cur = self._connection().execute(f"SELECT * FROM {_q(self.table)}")
            rows = cur.fetchall()
        names = [c.name for c in self.columns]
        by_column = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        arrays = []
        for c, values in zip(self.columns, by_column, strict=True):
            arr = pa.array(list(values), type=_STORE_AS.get(c.type, ARROW_TYPES[c.type]))
            if c.type in _STORE_AS:
                arr = arr.cast(ARROW_TYPES[c.type])
            arrays.append(arr)
        return pa.Table.from_arrays(arrays, names=names).to_pandas()


class OnlineStores:
    """The project's online stores: one per group version (one SQLite connection each), shared
    by every handle of that group so a lookup never reopens the database."""

    def __init__(self, config: LocalConfig) -> None:
        self._config = config
        self._stores: dict[tuple[str, int], OnlineStore] = {}
        self._lock = threading.Lock()

    def get(self, name: str, version: int, columns: Sequence[Column],
            primary_key: Sequence[str], event_time: str | None) -> OnlineStore:
        """The shared online store of group ``name`` v``version`` (opened on first use)."""
        with self._lock:
            store = self._stores.get((name, version))
            if store is None:
                store = OnlineStore(self._config.online_path(name, version), f"{name}_{version}",
                                    columns, primary_key, event_time,
                                    self._config.busy_timeout_ms)
                self._stores[(name, version)] = store
            return store

    def forget(self, name: str, version: int) -> None:
        """Close and drop the store of ``name`` v``version`` (its file is deleted or rebuilt)."""
        with self._lock:
            store = self._stores.pop((name, version), None)
        if store is not None:
            store.close()

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()
