"""The object-storage catalog's document and what its repositories share (``objects``).

Each method is one ``read`` or ``write`` of the catalog: a function of the document (``Doc``),
run on the latest one, on a transaction's working copy, or replayed on a newer one at a commit.
So each must be deterministic (times are taken before, not inside) and check everything before
it changes the document. Records never share a dict with the document (``copy.deepcopy``).

The document (schema 1): ``next`` the id counters; ``groups`` by id, each with its ``files``
(table files by path) and ``reports`` by id; ``views`` by id with their ``datasets`` by version;
``models`` by id with their ``files``. Ids are never reused (deleted ones included).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from mlsys.store.local.catalog.records import dumps

Doc = dict[str, Any]
Pending = dict[str, bytes]  # side-object key -> content, to write before the document's swap
T = TypeVar("T")


class DocStore(Protocol):
    """What the repositories need of the catalog (``objects.ObjectCatalog``)."""

    def read(self, what: str, run: Callable[[Doc, Pending], T]) -> T: ...
    def write(self, what: str, run: Callable[[Doc, Pending], T]) -> T: ...
    def blob(self, data: bytes, pending: Pending) -> dict[str, str]: ...
    def unblob(self, slot: dict[str, str], pending: Pending) -> bytes: ...


def to_json(value: Any) -> Any:
    """``value`` as the catalog stores JSON (``dumps``: anything else as its ``str``)."""
    return json.loads(dumps(value))


def take_id(doc: Doc, kind: str, records: dict[str, Any]) -> int:
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


class DocRepo:
    """A repository over the catalog's document (``objects_groups``, ``objects_views``)."""

    def __init__(self, catalog: DocStore) -> None:
        self._c = catalog

    def _text(self, slot: dict[str, str] | None, pending: Pending) -> str | None:
        return None if slot is None else self._c.unblob(slot, pending).decode()


__all__ = ["Doc", "DocRepo", "DocStore", "Pending", "damaged_records", "referenced_blobs",
           "take_id", "to_json"]
