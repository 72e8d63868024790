"""The repositories of the object-storage catalog (``objects``): records to and from its document.

Each method is one ``read`` or ``write`` of the catalog: a function of the document (``Doc``),
run on the latest one, on a transaction's working copy, or replayed on a newer one at a commit.
So each must be deterministic (times are taken before, not inside) and check everything before
it changes the document. Records never share a dict with the document (``copy.deepcopy``).

The document (schema 1): ``next`` the id counters; ``groups`` by id, each with its ``files``
(table files by path) and ``reports`` by id; ``views`` by id with their ``datasets`` by version;
``models`` by id with their ``files``. Ids are never reused (deleted ones included).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog.base import Groups, Models, Reports, TableFiles, Views
from mlsys.store.local.catalog.records import (
    Column,
    DatasetRead,
    FileRecord,
    GroupRecord,
    ModelRecord,
    NewGroup,
    NewModel,
    NewTrainingDataset,
    RecordedKeys,
    ReportRecord,
    TableFileRecord,
    TrainingDatasetRecord,
    ViewRecord,
    dumps,
    now_iso,
)

Doc = dict[str, Any]
Pending = dict[str, bytes]  # side-object key -> content, to write before the document's swap
T = TypeVar("T")


class DocStore(Protocol):
    """What the repositories need of the catalog (``objects.ObjectCatalog``)."""

    def read(self, what: str, run: Callable[[Doc, Pending], T]) -> T: ...
    def write(self, what: str, run: Callable[[Doc, Pending], T]) -> T: ...
    def blob(self, data: bytes, pending: Pending) -> dict[str, str]: ...
    def unblob(self, slot: dict[str, str], pending: Pending) -> bytes: ...


def _json(value: Any) -> Any:
    """``value`` as the catalog stores JSON (``dumps``: anything else as its ``str``)."""
    return json.loads(dumps(value))


def _take(doc: Doc, kind: str, records: dict[str, Any]) -> int:
    """The next id of ``kind``, counted on (ids are never reused); never one of ``records``,
    even if the counter was set back (a restored document)."""
    number = int(doc["next"].get(kind, 1))
    while str(number) in records:
        number += 1
    doc["next"][kind] = number + 1
    return number


_FIELDS: dict[str, frozenset[str]] = {
    "feature group": frozenset({
        "name", "version", "primary_key", "event_time", "description", "online_enabled",
        "reject_duplicate_keys", "features", "suite", "ingestion_policy", "run_validation",
        "created", "table_id", "files", "reports"}),
    "validation report": frozenset({"time", "result", "success", "commit", "body"}),
    "feature view": frozenset({"name", "version", "query", "labels", "description", "created",
                               "datasets"}),
    "training dataset": frozenset({
        "description", "test_size", "seed", "stratify", "row_count", "created", "extra",
        "table_versions", "key_columns", "table_ids", "train", "test"}),
    "model": frozenset({
        "name", "version", "framework", "description", "metrics", "model_schema",
        "input_example", "training_dataset_version", "feature_view", "created", "files"}),
}


def damaged_records(doc: Doc) -> list[str]:
    """What in the document is not a record these repositories can read (empty: all are)."""
    found: list[str] = []

    def check(kind: str, key: str, record: Any, nested: tuple[str, ...] = ()) -> bool:
        missing = _FIELDS[kind] - set(record) if isinstance(record, dict) else _FIELDS[kind]
        if not key.isdigit() or missing or any(not isinstance(record[n], dict) for n in nested):
            found.append(f"{kind} {key!r} is not a readable record (missing or wrong: "
                         f"{', '.join(sorted(missing)) or ', '.join(nested)})")
            return False
        return True

    for gid, g in doc["groups"].items():
        if check("feature group", gid, g, ("files", "reports")):
            for rid, r in g["reports"].items():
                check("validation report", rid, r)
    for vid, v in doc["views"].items():
        if check("feature view", vid, v, ("datasets",)):
            for number, d in v["datasets"].items():
                check("training dataset", number, d)
    for mid, m in doc["models"].items():
        check("model", mid, m)
    return found


def referenced_blobs(doc: Doc) -> Iterator[tuple[str, str]]:
    """(what, sha256) of every side object the document names."""
    for gid, g in doc["groups"].items():
        if "blob" in (g.get("suite") or {}):
            yield f"the suite of feature group id {gid}", g["suite"]["blob"]
        for rid, r in g.get("reports", {}).items():
            if "blob" in r["body"]:
                yield f"validation report {rid}", r["body"]["blob"]
    for vid, v in doc["views"].items():
        for number, d in v.get("datasets", {}).items():
            for part in ("train", "test"):
                if "blob" in (d.get(part) or {}):
                    yield (f"the {part} keys of training dataset {number} of feature view id "
                           f"{vid}"), d[part]["blob"]


class _Repo:
    def __init__(self, catalog: DocStore) -> None:
        self._c = catalog

    def _text(self, slot: dict[str, str] | None, pending: Pending) -> str | None:
        return None if slot is None else self._c.unblob(slot, pending).decode()


class ObjectGroups(_Repo, Groups):
    """``groups`` of the document."""

    def _record(self, gid: str, g: dict[str, Any], pending: Pending) -> GroupRecord:
        features = g["features"]
        return GroupRecord(
            id=int(gid), name=g["name"], version=int(g["version"]),
            primary_key=tuple(g["primary_key"]), event_time=g["event_time"],
            description=g["description"], online_enabled=bool(g["online_enabled"]),
            reject_duplicate_keys=bool(g["reject_duplicate_keys"]),
            features=None if features is None else tuple(Column(c["name"], c["type"])
                                                         for c in features),
            suite_json=self._text(g["suite"], pending), ingestion_policy=g["ingestion_policy"],
            run_validation=bool(g["run_validation"]), created=g["created"],
            table_id=g["table_id"])

    def _find(self, doc: Doc, pending: Pending, keep: Callable[[dict[str, Any]], bool]
              ) -> list[GroupRecord]:
        found = [self._record(k, g, pending) for k, g in doc["groups"].items() if keep(g)]
        return sorted(found, key=lambda r: (r.name, r.version))

    def get(self, name: str, version: int) -> GroupRecord | None:
        found = self._c.read(f"groups.get({name!r}, {version})", lambda d, p: self._find(
            d, p, lambda g: g["name"] == name and g["version"] == version))
        return found[0] if found else None

    def by_id(self, group_id: int) -> GroupRecord | None:
        def run(doc: Doc, pending: Pending) -> GroupRecord | None:
            g = doc["groups"].get(str(group_id))
            return None if g is None else self._record(str(group_id), g, pending)
        return self._c.read(f"groups.by_id({group_id})", run)

    def all(self, name: str | None = None) -> list[GroupRecord]:
        return self._c.read(f"groups.all({name!r})", lambda d, p: self._find(
            d, p, lambda g: name is None or g["name"] == name))

    def add(self, group: NewGroup) -> GroupRecord:
        created = now_iso()

        def run(doc: Doc, pending: Pending) -> GroupRecord:
            for gid, g in doc["groups"].items():
                if g["name"] == group.name and g["version"] == group.version:
                    return self._record(gid, g, pending)
            gid = str(_take(doc, "group", doc["groups"]))
            doc["groups"][gid] = {
                "name": group.name, "version": int(group.version),
                "primary_key": list(group.primary_key), "event_time": group.event_time,
                "description": group.description or "",
                "online_enabled": bool(group.online_enabled),
                "reject_duplicate_keys": bool(group.reject_duplicate_keys), "features": None,
                "suite": None, "ingestion_policy": None, "run_validation": True,
                "created": created, "table_id": None, "files": {}, "reports": {}}
            return self._record(gid, doc["groups"][gid], pending)
        return self._c.write(f"feature group {group.name} v{group.version}", run)

    def _change(self, group_id: int, what: str, change: Callable[[dict[str, Any], Pending], None]
                ) -> None:
        def run(doc: Doc, pending: Pending) -> None:
            g = doc["groups"].get(str(group_id))
            if g is not None:
                change(g, pending)
        self._c.write(f"{what} of feature group id {group_id}", run)

    def set_reject_duplicate_keys(self, group_id: int, value: bool) -> None:
        self._change(group_id, "the duplicate-key setting",
                     lambda g, p: g.update(reject_duplicate_keys=bool(value)))

    def set_features(self, group_id: int, features: Sequence[Column]) -> None:
        columns = [{"name": c.name, "type": c.type} for c in features]

        def change(g: dict[str, Any], pending: Pending) -> None:
            if g["features"] is None:  # the first writer's schema stays
                g["features"] = columns
        self._change(group_id, "the schema", change)

    def set_suite(self, group_id: int, suite_json: str, ingestion_policy: str,
                  run_validation: bool) -> None:
        self._change(group_id, "the expectation suite", lambda g, p: g.update(
            suite=self._c.blob(suite_json.encode(), p), ingestion_policy=ingestion_policy,
            run_validation=bool(run_validation)))

    def clear_suite(self, group_id: int) -> None:
        self._change(group_id, "the expectation suite",
                     lambda g, p: g.update(suite=None, ingestion_policy=None))

    def delete(self, group_id: int) -> None:
        self._c.write(f"the deletion of feature group id {group_id}",
                      lambda d, p: d["groups"].pop(str(group_id), None) and None)


class ObjectReports(_Repo, Reports):
    """The ``reports`` of each group."""

    def _record(self, gid: str, rid: str, r: dict[str, Any], pending: Pending) -> ReportRecord:
        body = self._text(r["body"], pending)
        return ReportRecord(int(rid), int(gid), r["time"], r["result"], bool(r["success"]),
                            r["commit"], json.loads(body or "{}"))

    def _of(self, doc: Doc, group_id: int) -> dict[str, Any]:
        g = doc["groups"].get(str(group_id))
        return {} if g is None else g["reports"]

    def add(self, group_id: int, validation_time: str, ingestion_result: str, success: bool,
            commit_version: int | None, body: Callable[[int], dict[str, Any]]) -> ReportRecord:
        bodies: dict[int, str] = {}  # a replay at the same id asks for the body only once

        def run(doc: Doc, pending: Pending) -> ReportRecord:
            g = doc["groups"].get(str(group_id))
            if g is None:
                raise NotFoundError("feature group id", str(group_id))
            if commit_version is not None and any(
                    r["commit"] == commit_version for r in g["reports"].values()):
                raise AlreadyExistsError(
                    f"a validation report of commit {commit_version} of feature group id "
                    f"{group_id} is already stored; read it with by_commit()")
            rid = _take(doc, "report", g["reports"])
            if rid not in bodies:
                bodies[rid] = dumps(body(rid))
            g["reports"][str(rid)] = {
                "time": validation_time, "result": ingestion_result, "success": bool(success),
                "commit": None if commit_version is None else int(commit_version),
                "body": self._c.blob(bodies[rid].encode(), pending)}
            return self._record(str(group_id), str(rid), g["reports"][str(rid)], pending)
        return self._c.write(f"a validation report of feature group id {group_id}", run)

    def by_commit(self, group_id: int, commit_version: int) -> ReportRecord | None:
        def run(doc: Doc, pending: Pending) -> ReportRecord | None:
            for rid, r in self._of(doc, group_id).items():
                if r["commit"] == commit_version:
                    return self._record(str(group_id), rid, r, pending)
            return None
        return self._c.read(f"reports.by_commit({group_id}, {commit_version})", run)

    def latest(self, group_id: int, limit: int | None = None) -> list[ReportRecord]:
        def run(doc: Doc, pending: Pending) -> list[ReportRecord]:
            reports = self._of(doc, group_id)
            newest = sorted(reports, key=int, reverse=True)[:limit]
            return [self._record(str(group_id), rid, reports[rid], pending) for rid in newest]
        return self._c.read(f"reports.latest({group_id}, {limit})", run)

    def newest_commit(self, group_id: int) -> int | None:
        return max(self.commits(group_id), default=None)

    def commits(self, group_id: int) -> list[int]:
        return self._c.read(f"reports.commits({group_id})", lambda d, p: [
            int(r["commit"]) for r in self._of(d, group_id).values() if r["commit"] is not None])


class ObjectTableFiles(_Repo, TableFiles):
    """The ``files`` of each group, and its ``table_id``."""

    def record(self, group_id: int, files: Sequence[TableFileRecord], table_id: str) -> None:
        rows = {f.path: [int(f.commit_version), int(f.size), f.sha256] for f in files}

        def run(doc: Doc, pending: Pending) -> None:
            g = doc["groups"].get(str(group_id))
            if g is None:
                return  # deleted: nothing left to record the files of
            g["files"].update(rows)
            if g["table_id"] is None:
                g["table_id"] = table_id
        self._c.write(f"the table files of feature group id {group_id}", run)

    def _files(self, doc: Doc, group_id: int) -> list[TableFileRecord]:
        g = doc["groups"].get(str(group_id))
        return [] if g is None else [TableFileRecord(p, c, s, h)
                                     for p, (c, s, h) in g["files"].items()]

    def of_group(self, group_id: int) -> list[TableFileRecord]:
        return self._c.read(f"table_files.of_group({group_id})",
                            lambda d, p: self._files(d, group_id))

    def newest_commit(self, group_id: int) -> int | None:
        return max((f.commit_version for f in self.of_group(group_id)), default=None)


class ObjectViews(_Repo, Views):
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
        created, spec, names = now_iso(), _json(query), [str(x) for x in labels]

        def run(doc: Doc, pending: Pending) -> ViewRecord:
            for vid, v in doc["views"].items():
                if v["name"] == name and v["version"] == version:
                    return self._record(vid, v)
            vid = str(_take(doc, "view", doc["views"]))
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
                  "created": now_iso(), "extra": _json(t.extra),
                  "table_versions": _json(t.table_versions),
                  "key_columns": list(t.key_columns), "table_ids": _json(t.table_ids)}

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


class ObjectModels(_Repo, Models):
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
                  "description": m.description, "metrics": _json(m.metrics),
                  "model_schema": _json(m.model_schema), "input_example": _json(m.input_example),
                  "training_dataset_version": m.training_dataset_version,
                  "feature_view": None if m.feature_view is None else list(m.feature_view),
                  "created": m.created,
                  "files": sorted([f.path, int(f.size), f.sha256] for f in files)}

        def run(doc: Doc, pending: Pending) -> ModelRecord:
            if any(x["name"] == m.name and x["version"] == m.version
                   for x in doc["models"].values()):
                raise AlreadyExistsError(f"model {m.name} v{m.version} exists; leave "
                                         "version=None for the next one")
            mid = str(_take(doc, "model", doc["models"]))
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


__all__ = ["Doc", "DocStore", "ObjectGroups", "ObjectModels", "ObjectReports",
           "ObjectTableFiles", "ObjectViews", "Pending", "damaged_records", "referenced_blobs"]
