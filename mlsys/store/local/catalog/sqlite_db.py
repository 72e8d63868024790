"""The SQLite catalog's database: every piece of metadata of a local project, in one file.

``SqliteDb`` is the connection the SQLite repositories (``sqlite_groups``, ``sqlite_views``)
send their SQL to; ``sqlite.SqliteCatalog`` puts them behind :class:`~.base.Catalog`.

WAL mode lets readers run while one writer commits; writes use ``BEGIN IMMEDIATE`` so a
read-modify-write (e.g. "next model version") is serialised across processes. The schema is
migrated forward by ``PRAGMA user_version``: add a new entry to ``MIGRATIONS``, never edit one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlsys.errors import ConfigurationError
from mlsys.store.local.damage import sqlite_error

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE feature_groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        primary_key TEXT NOT NULL,          -- JSON list of feature names
        event_time TEXT,
        description TEXT NOT NULL DEFAULT '',
        online_enabled INTEGER NOT NULL DEFAULT 0,
        features TEXT,                      -- JSON [{name, type}], NULL until the first insert
        suite TEXT,                         -- JSON of the attached expectation suite
        ingestion_policy TEXT,              -- ALWAYS / STRICT
        run_validation INTEGER NOT NULL DEFAULT 1,
        created TEXT NOT NULL,
        UNIQUE (name, version)
    );
    CREATE TABLE validation_reports (
        id INTEGER PRIMARY KEY,
        feature_group_id INTEGER NOT NULL REFERENCES feature_groups(id) ON DELETE CASCADE,
        validation_time TEXT NOT NULL,
        ingestion_result TEXT NOT NULL,
        success INTEGER NOT NULL,
        report TEXT NOT NULL                -- JSON of ValidationReport.to_dict()
    );
    CREATE INDEX validation_reports_fg ON validation_reports (feature_group_id, id);
    CREATE TABLE feature_views (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        query TEXT NOT NULL,                -- JSON spec of the query (see query.py)
        labels TEXT NOT NULL,               -- JSON list
        description TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        UNIQUE (name, version)
    );
    CREATE TABLE training_datasets (
        id INTEGER PRIMARY KEY,
        feature_view_id INTEGER NOT NULL REFERENCES feature_views(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        test_size REAL,
        seed INTEGER,
        stratify INTEGER NOT NULL DEFAULT 0,
        row_count INTEGER NOT NULL,
        created TEXT NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}',   -- JSON
        table_versions TEXT NOT NULL,       -- JSON {"<fg>_<v>": delta version read}
        key_columns TEXT NOT NULL,          -- JSON list: the left group's primary key (+ time)
        train_keys BLOB NOT NULL,           -- Arrow IPC of the train rows' keys, in order
        test_keys BLOB,                     -- the same for the test rows (NULL: no split)
        UNIQUE (feature_view_id, version)
    );
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        framework TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        metrics TEXT NOT NULL,              -- JSON {name: float}
        model_schema TEXT,                  -- JSON
        input_example TEXT,                 -- JSON
        training_dataset_version INTEGER,
        feature_view_name TEXT,
        feature_view_version INTEGER,
        created TEXT NOT NULL,
        UNIQUE (name, version)
    );
    CREATE TABLE model_files (
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        path TEXT NOT NULL,                 -- relative to models/<name>/<version>/
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (model_id, path)
    );
    """,
    # 2: an INGESTED report names the Delta commit that wrote its rows, so a report lost to a
    # crash between commit and catalog can be restored from the commit (see group_validation)
    """
    ALTER TABLE validation_reports ADD COLUMN commit_version INTEGER;
    CREATE UNIQUE INDEX validation_reports_commit
        ON validation_reports (feature_group_id, commit_version);
    """,
    # 3: the strict duplicate-key check of a group (opt-in; Hopsworks stores repeated keys)
    """
    ALTER TABLE feature_groups ADD COLUMN reject_duplicate_keys INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: what `verify` compares against, and what a recorded training dataset read: the sha256
    # of every data file a commit added (recorded at commit time), and the Delta table's
    # identity (its metadata id) beside the recorded versions, so a group deleted and re-created
    # under the same name and version is not taken for the one the dataset read (NULL: recorded
    # by an older mlsys, not checked)
    """
    CREATE TABLE table_files (
        feature_group_id INTEGER NOT NULL REFERENCES feature_groups(id) ON DELETE CASCADE,
        path TEXT NOT NULL,                 -- relative to the table folder
        commit_version INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (feature_group_id, path)
    );
    ALTER TABLE feature_groups ADD COLUMN table_id TEXT;
    ALTER TABLE training_datasets ADD COLUMN table_ids TEXT;
    """,
)


def enable_wal(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch a connection's database to WAL, retrying while another process does the same:
    SQLite answers "database is locked" at once to a concurrent journal-mode change, without
    calling its busy handler."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already: on a full disk it rolls back
    by itself, and a second ROLLBACK would replace the real error by "no transaction is
    active"."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class SqliteDb:
    """One catalog file's connection; safe to share between threads, reopened after a fork."""

    def __init__(self, path: Path, busy_timeout_ms: int = 60_000) -> None:
        self.path = path
        self._busy_ms = busy_timeout_ms
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._depth = 0  # open transactions of the thread holding _lock (0: none)

    def _mapped(self, err: sqlite3.Error) -> BaseException:
        """A damaged catalog or a refusing disk as an MlsysError naming the file."""
        return sqlite_error(err, self.path, "the catalog") or err

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            try:
                return self._open()
            except sqlite3.Error as err:
                mapped = self._mapped(err)
                if mapped is err:
                    raise
                raise mapped from None
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self._busy_ms / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
        enable_wal(conn, self._busy_ms / 1000)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate(conn)
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > len(MIGRATIONS):
                raise ConfigurationError(
                    f"catalog {self.path} has schema version {current}, newer than this mlsys "
                    f"knows ({len(MIGRATIONS)}); upgrade mlsys"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement (for this package's repositories)."""
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as err:
                mapped = self._mapped(err)
                if mapped is err:
                    raise
                raise mapped from None

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on exit, rolled back on error.
        Inside an open one (same thread) it joins it: the outermost commits."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._connection()
                finally:
                    self._depth -= 1
                return
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield conn
                except BaseException:
                    rollback(conn)
                    raise
                finally:
                    self._depth = 0
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    rollback(conn)
                    raise
            except sqlite3.Error as err:
                mapped = self._mapped(err)
                if mapped is err:
                    raise
                raise mapped from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
