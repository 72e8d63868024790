"""The SQLite repositories of feature views, training datasets and models."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog.base import Models, Views
from mlsys.store.local.catalog.records import (
    DatasetRead,
    FileRecord,
    ModelRecord,
    NewModel,
    NewTrainingDataset,
    RecordedKeys,
    TrainingDatasetRecord,
    ViewRecord,
    dumps,
    now_iso,
)

if TYPE_CHECKING:
    from mlsys.store.local.catalog.sqlite_db import SqliteDb

_SUMMARY = ("feature_view_id, version, description, test_size, seed, stratify, row_count, "
            "created, extra, table_versions, key_columns, table_ids")


def _view(row: sqlite3.Row) -> ViewRecord:
    return ViewRecord(int(row["id"]), str(row["name"]), int(row["version"]),
                      json.loads(row["query"]), tuple(json.loads(row["labels"])),
                      str(row["description"]), str(row["created"]))


def _dataset(row: sqlite3.Row, with_keys: bool) -> TrainingDatasetRecord:
    ids = row["table_ids"]
    keys = RecordedKeys(bytes(row["train_keys"]), None if row["test_keys"] is None
                        else bytes(row["test_keys"])) if with_keys else None
    return TrainingDatasetRecord(
        view_id=int(row["feature_view_id"]), version=int(row["version"]),
        description=row["description"], test_size=row["test_size"], seed=row["seed"],
        stratify=bool(row["stratify"]), row_count=int(row["row_count"]),
        created=str(row["created"]), extra=json.loads(row["extra"]),
        table_versions=json.loads(row["table_versions"] or "{}"),
        key_columns=tuple(json.loads(row["key_columns"])),
        table_ids=json.loads(ids) if ids else None, keys=keys)


def _model(r: sqlite3.Row) -> ModelRecord:
    fv = (r["feature_view_name"], int(r["feature_view_version"])) \
        if r["feature_view_name"] else None
    return ModelRecord(int(r["id"]), r["name"], int(r["version"]), r["framework"],
                       r["description"], json.loads(r["metrics"]),
                       json.loads(r["model_schema"]), json.loads(r["input_example"]),
                       r["training_dataset_version"], fv, str(r["created"]))


class SqliteViews(Views):
    """``feature_views`` and ``training_datasets``."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def get(self, name: str, version: int) -> ViewRecord | None:
        row = self._db.one("SELECT * FROM feature_views WHERE name = ? AND version = ?",
                           (name, version))
        return None if row is None else _view(row)

    def all(self, name: str | None = None) -> list[ViewRecord]:
        if name is None:
            rows = self._db.query("SELECT * FROM feature_views ORDER BY name, version")
        else:
            rows = self._db.query("SELECT * FROM feature_views WHERE name = ? "
                                  "ORDER BY version", (name,))
        return [_view(r) for r in rows]

    def add(self, name: str, version: int, query: dict[str, Any], labels: Sequence[str],
            description: str) -> ViewRecord:
        with self._db.write() as db:
            db.execute("INSERT OR IGNORE INTO feature_views (name, version, query, labels, "
                       "description, created) VALUES (?,?,?,?,?,?)",
                       (name, version, dumps(query), json.dumps(list(labels)),
                        description or "", now_iso()))
            row = db.execute("SELECT * FROM feature_views WHERE name = ? AND version = ?",
                             (name, version)).fetchone()
        return _view(row)

    def delete(self, view_id: int) -> None:
        with self._db.write() as db:
            db.execute("DELETE FROM feature_views WHERE id = ?", (view_id,))

    def add_dataset(self, view_id: int, dataset: NewTrainingDataset) -> int:
        d = dataset
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM feature_views WHERE id = ?",
                          (view_id,)).fetchone() is None:
                raise NotFoundError("feature view id", str(view_id))
            last = db.execute("SELECT max(version) FROM training_datasets WHERE "
                              "feature_view_id = ?", (view_id,)).fetchone()[0]
            version = int(last or 0) + 1
            db.execute(
                "INSERT INTO training_datasets (feature_view_id, version, description, "
                "test_size, seed, stratify, row_count, created, extra, table_versions, "
                "key_columns, train_keys, test_keys, table_ids) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (view_id, version, d.description, d.test_size, d.seed, int(d.stratify),
                 d.row_count, now_iso(), dumps(d.extra), dumps(d.table_versions),
                 dumps(list(d.key_columns)), d.keys.train, d.keys.test, dumps(d.table_ids)))
        return version

    def dataset(self, view_id: int, version: int) -> TrainingDatasetRecord | None:
        row = self._db.one("SELECT * FROM training_datasets WHERE feature_view_id = ? "
                           "AND version = ?", (view_id, version))
        return None if row is None else _dataset(row, with_keys=True)

    def datasets(self, view_id: int) -> list[TrainingDatasetRecord]:
        rows = self._db.query(f"SELECT {_SUMMARY} FROM training_datasets "
                              "WHERE feature_view_id = ? ORDER BY version", (view_id,))
        return [_dataset(r, with_keys=False) for r in rows]

    def dataset_reads(self) -> list[DatasetRead]:
        rows = self._db.query("SELECT v.name, v.version AS vv, t.version, t.table_versions "
                              "FROM training_datasets t JOIN feature_views v "
                              "ON v.id = t.feature_view_id")
        return [DatasetRead(str(r["name"]), int(r["vv"]), int(r["version"]),
                            json.loads(r["table_versions"] or "{}")) for r in rows]


class SqliteModels(Models):
    """``models`` and ``model_files``."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def get(self, name: str, version: int) -> ModelRecord | None:
        r = self._db.one("SELECT * FROM models WHERE name = ? AND version = ?", (name, version))
        return None if r is None else _model(r)

    def all(self, name: str | None = None) -> list[ModelRecord]:
        if name is None:
            rows = self._db.query("SELECT * FROM models ORDER BY name, version")
        else:
            rows = self._db.query("SELECT * FROM models WHERE name = ? ORDER BY version",
                                  (name,))
        return [_model(r) for r in rows]

    def versions(self, name: str) -> list[int]:
        return [int(r[0]) for r in self._db.query("SELECT version FROM models WHERE name = ?",
                                                  (name,))]

    def add(self, model: NewModel, files: Sequence[FileRecord]) -> ModelRecord:
        m = model
        with self._db.write() as db:
            try:
                cur = db.execute(
                    "INSERT INTO models (name, version, framework, description, metrics, "
                    "model_schema, input_example, training_dataset_version, feature_view_name, "
                    "feature_view_version, created) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (m.name, m.version, m.framework, m.description, dumps(m.metrics),
                     dumps(m.model_schema), dumps(m.input_example), m.training_dataset_version,
                     m.feature_view[0] if m.feature_view else None,
                     m.feature_view[1] if m.feature_view else None, m.created))
            except sqlite3.IntegrityError:  # UNIQUE (name, version)
                raise AlreadyExistsError(f"model {m.name} v{m.version} exists; leave "
                                         "version=None for the next one") from None
            model_id = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO model_files VALUES (?, ?, ?, ?)",
                           [(model_id, f.path, f.size, f.sha256) for f in files])
        return ModelRecord(model_id, m.name, m.version, m.framework, m.description,
                           dict(m.metrics), m.model_schema, m.input_example,
                           m.training_dataset_version, m.feature_view, m.created)

    def files(self, model_id: int) -> list[FileRecord]:
        return [FileRecord(str(r["path"]), int(r["size"]), str(r["sha256"]))
                for r in self._db.query("SELECT path, size, sha256 FROM model_files WHERE "
                                        "model_id = ? ORDER BY path", (model_id,))]

    def delete(self, model_id: int) -> None:
        with self._db.write() as db:
            db.execute("DELETE FROM models WHERE id = ?", (model_id,))


__all__ = ["SqliteModels", "SqliteViews"]
