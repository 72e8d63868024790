"""The object-storage catalog's repositories of feature groups, their validation reports and
table files (see ``objects_doc`` for the document and the rules every method keeps)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog.base import Groups, Reports, TableFiles
from mlsys.store.local.catalog.objects_doc import Doc, DocRepo, Pending, take_id
from mlsys.store.local.catalog.records import (
    Column,
    GroupRecord,
    NewGroup,
    ReportRecord,
    TableFileRecord,
    dumps,
    now_iso,
)


class ObjectGroups(DocRepo, Groups):
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
            gid = str(take_id(doc, "group", doc["groups"]))
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


class ObjectReports(DocRepo, Reports):
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
            rid = take_id(doc, "report", g["reports"])
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


class ObjectTableFiles(DocRepo, TableFiles):
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


__all__ = ["ObjectGroups", "ObjectReports", "ObjectTableFiles"]
