"""The SQLite repositories of feature groups, their validation reports and table files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog.base import Groups, Reports, TableFiles
from mlsys.store.local.catalog.records import (
    Column,
    GroupRecord,
    NewGroup,
    ReportRecord,
    TableFileRecord,
    dumps,
    now_iso,
)

if TYPE_CHECKING:
    from mlsys.store.local.catalog.sqlite_db import SqliteDb


def group_record(row: sqlite3.Row) -> GroupRecord:
    """A ``feature_groups`` row as its record."""
    features = row["features"]
    return GroupRecord(
        id=int(row["id"]), name=str(row["name"]), version=int(row["version"]),
        primary_key=tuple(json.loads(row["primary_key"])), event_time=row["event_time"],
        description=str(row["description"]), online_enabled=bool(row["online_enabled"]),
        reject_duplicate_keys=bool(row["reject_duplicate_keys"]),
        features=None if features is None else tuple(
            Column(c["name"], c["type"]) for c in json.loads(features)),
        suite_json=row["suite"], ingestion_policy=row["ingestion_policy"],
        run_validation=bool(row["run_validation"]), created=str(row["created"]),
        table_id=row["table_id"])


def _report(row: sqlite3.Row) -> ReportRecord:
    commit = row["commit_version"]
    return ReportRecord(int(row["id"]), int(row["feature_group_id"]),
                        str(row["validation_time"]), str(row["ingestion_result"]),
                        bool(row["success"]), None if commit is None else int(commit),
                        json.loads(row["report"]))


class SqliteGroups(Groups):
    """``feature_groups``."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def get(self, name: str, version: int) -> GroupRecord | None:
        row = self._db.one("SELECT * FROM feature_groups WHERE name = ? AND version = ?",
                           (name, version))
        return None if row is None else group_record(row)

    def by_id(self, group_id: int) -> GroupRecord | None:
        row = self._db.one("SELECT * FROM feature_groups WHERE id = ?", (group_id,))
        return None if row is None else group_record(row)

    def all(self, name: str | None = None) -> list[GroupRecord]:
        if name is None:
            rows = self._db.query("SELECT * FROM feature_groups ORDER BY name, version")
        else:
            rows = self._db.query("SELECT * FROM feature_groups WHERE name = ? "
                                  "ORDER BY version", (name,))
        return [group_record(r) for r in rows]

    def add(self, group: NewGroup) -> GroupRecord:
        with self._db.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO feature_groups (name, version, primary_key, "
                "event_time, description, online_enabled, reject_duplicate_keys, created) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (group.name, group.version, json.dumps(list(group.primary_key)),
                 group.event_time, group.description or "", int(bool(group.online_enabled)),
                 int(bool(group.reject_duplicate_keys)), now_iso()))
            row = db.execute("SELECT * FROM feature_groups WHERE name = ? AND version = ?",
                             (group.name, group.version)).fetchone()
        return group_record(row)

    def set_reject_duplicate_keys(self, group_id: int, value: bool) -> None:
        with self._db.write() as db:
            db.execute("UPDATE feature_groups SET reject_duplicate_keys = ? WHERE id = ?",
                       (int(bool(value)), group_id))

    def set_features(self, group_id: int, features: Sequence[Column]) -> None:
        with self._db.write() as db:
            db.execute("UPDATE feature_groups SET features = ? WHERE id = ? AND features IS NULL",
                       (dumps([{"name": c.name, "type": c.type} for c in features]), group_id))

    def set_suite(self, group_id: int, suite_json: str, ingestion_policy: str,
                  run_validation: bool) -> None:
        with self._db.write() as db:
            db.execute("UPDATE feature_groups SET suite = ?, ingestion_policy = ?, "
                       "run_validation = ? WHERE id = ?",
                       (suite_json, ingestion_policy, int(bool(run_validation)), group_id))

    def clear_suite(self, group_id: int) -> None:
        with self._db.write() as db:
            db.execute("UPDATE feature_groups SET suite = NULL, ingestion_policy = NULL "
                       "WHERE id = ?", (group_id,))

    def delete(self, group_id: int) -> None:
        with self._db.write() as db:
            db.execute("DELETE FROM feature_groups WHERE id = ?", (group_id,))


class SqliteReports(Reports):
    """``validation_reports``."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def add(self, group_id: int, validation_time: str, ingestion_result: str, success: bool,
            commit_version: int | None, body: Callable[[int], dict[str, Any]]) -> ReportRecord:
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM feature_groups WHERE id = ?",
                          (group_id,)).fetchone() is None:
                raise NotFoundError("feature group id", str(group_id))
            try:
                cur = db.execute(
                    "INSERT INTO validation_reports (feature_group_id, validation_time, "
                    "ingestion_result, success, report, commit_version) "
                    "VALUES (?, ?, ?, ?, '{}', ?)",
                    (group_id, validation_time, ingestion_result, int(success),
                     commit_version))
            except sqlite3.IntegrityError:  # the unique (group, commit) index
                raise AlreadyExistsError(
                    f"a validation report of commit {commit_version} of feature group id "
                    f"{group_id} is already stored; read it with by_commit()") from None
            report_id = int(cur.lastrowid or 0)
            data = body(report_id)
            db.execute("UPDATE validation_reports SET report = ? WHERE id = ?",
                       (dumps(data), report_id))
        return ReportRecord(report_id, group_id, validation_time, ingestion_result,
                            bool(success), commit_version, json.loads(dumps(data)))

    def by_commit(self, group_id: int, commit_version: int) -> ReportRecord | None:
        row = self._db.one("SELECT * FROM validation_reports WHERE feature_group_id = ? AND "
                           "commit_version = ?", (group_id, commit_version))
        return None if row is None else _report(row)

    def latest(self, group_id: int, limit: int | None = None) -> list[ReportRecord]:
        rows = self._db.query(
            "SELECT * FROM validation_reports WHERE feature_group_id = ? "
            "ORDER BY id DESC LIMIT ?", (group_id, -1 if limit is None else limit))
        return [_report(r) for r in rows]

    def newest_commit(self, group_id: int) -> int | None:
        row = self._db.one("SELECT MAX(commit_version) AS v FROM validation_reports "
                           "WHERE feature_group_id = ?", (group_id,))
        return None if row is None or row["v"] is None else int(row["v"])

    def commits(self, group_id: int) -> list[int]:
        return [int(r["v"]) for r in self._db.query(
            "SELECT commit_version AS v FROM validation_reports WHERE feature_group_id = ? AND "
            "commit_version IS NOT NULL", (group_id,))]


class SqliteTableFiles(TableFiles):
    """``table_files``, and the table identity in ``feature_groups``."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def record(self, group_id: int, files: Sequence[TableFileRecord], table_id: str) -> None:
        with self._db.write() as db:
            db.executemany("INSERT OR REPLACE INTO table_files (feature_group_id, path, "
                           "commit_version, size, sha256) VALUES (?,?,?,?,?)",
                           [(group_id, f.path, f.commit_version, f.size, f.sha256)
                            for f in files])
            db.execute("UPDATE feature_groups SET table_id = ? WHERE id = ? AND table_id IS NULL",
                       (table_id, group_id))

    def of_group(self, group_id: int) -> list[TableFileRecord]:
        return [TableFileRecord(str(r["path"]), int(r["commit_version"]), int(r["size"]),
                                str(r["sha256"]))
                for r in self._db.query("SELECT path, commit_version, size, sha256 FROM "
                                        "table_files WHERE feature_group_id = ?", (group_id,))]

    def newest_commit(self, group_id: int) -> int | None:
        row = self._db.one("SELECT MAX(commit_version) AS v FROM table_files WHERE "
                           "feature_group_id = ?", (group_id,))
        return None if row is None or row["v"] is None else int(row["v"])


__all__ = ["SqliteGroups", "SqliteReports", "SqliteTableFiles", "group_record"]
