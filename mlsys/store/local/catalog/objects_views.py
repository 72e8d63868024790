"""The object-storage catalog's repositories of feature views, training datasets and models
(see ``objects_doc`` for the document and the rules every method keeps)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog.base import Models, Views
from mlsys.store.local.catalog.objects_doc import Doc, DocRepo, Pending, take_id, to_json
from mlsys.store.local.catalog.records import (
    DatasetRead,
    FileRecord,
    ModelRecord,
    NewModel,
    NewTrainingDataset,
    RecordedKeys,
    TrainingDatasetRecord,
    ViewRecord,
    now_iso,
)


class ObjectViews(DocRepo, Views):
    """``views`` of the document, with their ``datasets``."""

    @staticmethod
    def _record(vid: str, v: dict[str, Any]) -> ViewRecord:
        return ViewRecord(int(vid), v["name"], int(v["version"]), copy.deepcopy(v["query"]),
                          tuple(v["labels"]), v["description"], v["created"])

    def _find(self, doc: Doc, keep: Callable[[dict[str, Any]], bool]) -> list[ViewRecord]:
        found = [self._record(k, v) for k, v in doc["views"].items() if keep(v)]
        return sorted(found, key=lambda r: (r.name, r.version))

    def get(self, name: str, version: int) -> ViewRecord | None:
        found = self._c.read(f"views.get({name!r}, {version})", lambda d, p: self._find(
            d, lambda v: v["name"] == name and v["version"] == version))
        return found[0] if found else None

    def all(self, name: str | None = None) -> list[ViewRecord]:
        return self._c.read(f"views.all({name!r})", lambda d, p: self._find(
            d, lambda v: name is None or v["name"] == name))

    def add(self, name: str, version: int, query: dict[str, Any], labels: Sequence[str],
            description: str) -> ViewRecord:
        created, spec, names = now_iso(), to_json(query), [str(x) for x in labels]

        def run(doc: Doc, pending: Pending) -> ViewRecord:
            for vid, v in doc["views"].items():
                if v["name"] == name and v["version"] == version:
                    return self._record(vid, v)
            vid = str(take_id(doc, "view", doc["views"]))
            doc["views"][vid] = {"name": name, "version": int(version), "query": spec,
                                 "labels": names, "description": description or "",
                                 "created": created, "datasets": {}}
            return self._record(vid, doc["views"][vid])
        return self._c.write(f"feature view {name} v{version}", run)

    def delete(self, view_id: int) -> None:
        self._c.write(f"the deletion of feature view id {view_id}",
                      lambda d, p: d["views"].pop(str(view_id), None) and None)

    def add_dataset(self, view_id: int, dataset: NewTrainingDataset) -> int:
        t = dataset
        fields = {"description": t.description, "test_size": t.test_size, "seed": t.seed,
                  "stratify": bool(t.stratify), "row_count": int(t.row_count),
                  "created": now_iso(), "extra": to_json(t.extra),
                  "table_versions": to_json(t.table_versions),
                  "key_columns": list(t.key_columns), "table_ids": to_json(t.table_ids)}

        def run(doc: Doc, pending: Pending) -> int:
            v = doc["views"].get(str(view_id))
            if v is None:
                raise NotFoundError("feature view id", str(view_id))
            number = max((int(k) for k in v["datasets"]), default=0) + 1
            v["datasets"][str(number)] = {
                **copy.deepcopy(fields), "train": self._c.blob(t.keys.train, pending),
                "test": None if t.keys.test is None else self._c.blob(t.keys.test, pending)}
            return number
        return self._c.write(f"a training dataset of feature view id {view_id}", run)

    def _dataset(self, vid: str, number: str, d: dict[str, Any], pending: Pending | None
                 ) -> TrainingDatasetRecord:
        keys = None if pending is None else RecordedKeys(
            self._c.unblob(d["train"], pending),
            None if d["test"] is None else self._c.unblob(d["test"], pending))
        return TrainingDatasetRecord(
            view_id=int(vid), version=int(number), description=d["description"],
            test_size=d["test_size"], seed=d["seed"], stratify=bool(d["stratify"]),
            row_count=int(d["row_count"]), created=d["created"],
            extra=copy.deepcopy(d["extra"]), table_versions=copy.deepcopy(d["table_versions"]),
            key_columns=tuple(d["key_columns"]), table_ids=copy.deepcopy(d["table_ids"]),
            keys=keys)

    def dataset(self, view_id: int, version: int) -> TrainingDatasetRecord | None:
        def run(doc: Doc, pending: Pending) -> TrainingDatasetRecord | None:
            v = doc["views"].get(str(view_id))
            d = None if v is None else v["datasets"].get(str(version))
            return None if d is None else self._dataset(str(view_id), str(version), d, pending)
        return self._c.read(f"views.dataset({view_id}, {version})", run)

    def datasets(self, view_id: int) -> list[TrainingDatasetRecord]:
        def run(doc: Doc, pending: Pending) -> list[TrainingDatasetRecord]:
            v = doc["views"].get(str(view_id))
            found = {} if v is None else v["datasets"]
            return [self._dataset(str(view_id), n, found[n], None) for n in sorted(found, key=int)]
        return self._c.read(f"views.datasets({view_id})", run)

    def dataset_reads(self) -> list[DatasetRead]:
        return self._c.read("views.dataset_reads()", lambda d, p: [
            DatasetRead(v["name"], int(v["version"]), int(n),
                        copy.deepcopy(t["table_versions"]))
            for v in d["views"].values() for n, t in v["datasets"].items()])


class ObjectModels(DocRepo, Models):
    """``models`` of the document, with their ``files``."""

    @staticmethod
    def _record(mid: str, m: dict[str, Any]) -> ModelRecord:
        fv = m["feature_view"]
        return ModelRecord(int(mid), m["name"], int(m["version"]), m["framework"],
                           m["description"], copy.deepcopy(m["metrics"]),
                           copy.deepcopy(m["model_schema"]), copy.deepcopy(m["input_example"]),
                           m["training_dataset_version"],
                           None if fv is None else (fv[0], int(fv[1])), m["created"])

    def _find(self, doc: Doc, keep: Callable[[dict[str, Any]], bool]) -> list[ModelRecord]:
        found = [self._record(k, m) for k, m in doc["models"].items() if keep(m)]
        return sorted(found, key=lambda r: (r.name, r.version))

    def get(self, name: str, version: int) -> ModelRecord | None:
        found = self._c.read(f"models.get({name!r}, {version})", lambda d, p: self._find(
            d, lambda m: m["name"] == name and m["version"] == version))
        return found[0] if found else None

    def all(self, name: str | None = None) -> list[ModelRecord]:
        return self._c.read(f"models.all({name!r})", lambda d, p: self._find(
            d, lambda m: name is None or m["name"] == name))

    def versions(self, name: str) -> list[int]:
        return self._c.read(f"models.versions({name!r})", lambda d, p: sorted(
            int(m["version"]) for m in d["models"].values() if m["name"] == name))

    def add(self, model: NewModel, files: Sequence[FileRecord]) -> ModelRecord:
        m = model
        stored = {"name": m.name, "version": int(m.version), "framework": m.framework,
                  "description": m.description, "metrics": to_json(m.metrics),
                  "model_schema": to_json(m.model_schema),
                  "input_example": to_json(m.input_example),
                  "training_dataset_version": m.training_dataset_version,
                  "feature_view": None if m.feature_view is None else list(m.feature_view),
                  "created": m.created,
                  "files": sorted([f.path, int(f.size), f.sha256] for f in files)}

        def run(doc: Doc, pending: Pending) -> ModelRecord:
            if any(x["name"] == m.name and x["version"] == m.version
                   for x in doc["models"].values()):
                raise AlreadyExistsError(f"model {m.name} v{m.version} exists; leave "
                                         "version=None for the next one")
            mid = str(take_id(doc, "model", doc["models"]))
            doc["models"][mid] = copy.deepcopy(stored)
            return self._record(mid, doc["models"][mid])
        return self._c.write(f"model {m.name} v{m.version}", run)

    def files(self, model_id: int) -> list[FileRecord]:
        def run(doc: Doc, pending: Pending) -> list[FileRecord]:
            m = doc["models"].get(str(model_id))
            return [] if m is None else [FileRecord(p, s, h) for p, s, h in m["files"]]
        return self._c.read(f"models.files({model_id})", run)

    def delete(self, model_id: int) -> None:
        self._c.write(f"the deletion of model id {model_id}",
                      lambda d, p: d["models"].pop(str(model_id), None) and None)


__all__ = ["ObjectModels", "ObjectViews"]
