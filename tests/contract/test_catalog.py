"""The local store's catalog interface (``mlsys.store.local.catalog.base``), per implementation.

Each test runs on every entry of ``IMPLEMENTATIONS`` (SQLite; the object-storage catalog on a
folder and on a real S3-compatible server) through the interface only: records in, records
out, transactions that keep all or nothing, and the errors each method's docstring names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.store.local.catalog import Catalog, ObjectCatalog, SqliteCatalog
from mlsys.store.local.catalog.records import (
    Column,
    DatasetRead,
    FileRecord,
    GroupRecord,
    NewGroup,
    NewModel,
    NewTrainingDataset,
    RecordedKeys,
    TableFileRecord,
)
from mlsys.store.local.objects import BucketObjects, FolderObjects


def _bucket(request: pytest.FixtureRequest, root: Path) -> Catalog:
    # the test's one fresh bucket: a fixture's value is the same for every call in one test
    return ObjectCatalog(BucketObjects(request.getfixturevalue("s3_bucket"), "team/project"))


IMPLEMENTATIONS: list[tuple[str, Callable[[pytest.FixtureRequest, Path], Catalog]]] = [
    ("sqlite", lambda request, root: SqliteCatalog(root / "catalog.sqlite")),
    ("objects-folder", lambda request, root: ObjectCatalog(FolderObjects(root / "store"))),
    ("objects-bucket", _bucket),
]
"""Each catalog implementation, made fresh for a test: from the test's request (for fixtures
such as the S3 server) and a folder of its own; made again, the same store (another process's
view)."""


@pytest.fixture(params=[make for _, make in IMPLEMENTATIONS],
                ids=[name for name, _ in IMPLEMENTATIONS])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Catalog]]:
    """Opens catalogs on one store (a second one is another process's view)."""
    opened: list[Catalog] = []

    def open_one() -> Catalog:
        catalog = request.param(request, tmp_path)
        catalog.open()
        opened.append(catalog)
        return catalog

    yield open_one
    for c in opened:
        c.close()


@pytest.fixture
def catalog(make: Callable[[], Catalog]) -> Catalog:
    return make()


class BoomError(Exception):
    """Raised inside a transaction to see it undone."""


def _group(catalog: Catalog, name: str = "items", version: int = 1, **kw: object) -> GroupRecord:
    return catalog.groups.add(NewGroup(name, version, ("id",), **kw))  # type: ignore[arg-type]


def _model(name: str = "m", version: int = 1) -> NewModel:
    return NewModel(name, version, "python", "a model", {"accuracy": 0.9},
                    {"input_schema": None}, [{"x": 1.0}], 2, ("view", 1),
                    "2024-01-01T00:00:00+00:00")


def _dataset(test: bytes | None = b"test") -> NewTrainingDataset:
    return NewTrainingDataset("d", 0.2 if test else None, 7 if test else None, False, 10,
                              {"extra_filter": None}, {"items_1": 3, "empty_1": None},
                              ("id",), {"items_1": "abc"}, RecordedKeys(b"train", test))


# -- groups
def test_a_group_round_trips(catalog: Catalog) -> None:
    made = _group(catalog, event_time="ts", description="things", online_enabled=True,
                  reject_duplicate_keys=True)
    assert (made.name, made.version, made.primary_key, made.event_time) == \
        ("items", 1, ("id",), "ts")
    assert made.description == "things" and made.online_enabled and made.reject_duplicate_keys
    assert made.features is None and made.suite_json is None and made.table_id is None
    assert made.run_validation and made.created
    assert catalog.groups.get("items", 1) == made == catalog.groups.by_id(made.id)
    assert catalog.groups.get("items", 2) is None and catalog.groups.by_id(made.id + 99) is None


def test_adding_an_existing_group_keeps_the_first(catalog: Catalog) -> None:
    first = _group(catalog, description="first")
    again = catalog.groups.add(NewGroup("items", 1, ("other",), description="second"))
    assert again == first


def test_groups_are_listed_by_name_and_version(catalog: Catalog) -> None:
    for name, version in [("b", 2), ("a", 1), ("b", 1)]:
        _group(catalog, name, version)
    assert [(g.name, g.version) for g in catalog.groups.all()] == [("a", 1), ("b", 1), ("b", 2)]
    assert [g.version for g in catalog.groups.all("b")] == [1, 2]
    assert catalog.groups.all("none") == []


def test_group_settings_schema_and_suite(catalog: Catalog) -> None:
    g = _group(catalog)
    catalog.groups.set_reject_duplicate_keys(g.id, True)
    catalog.groups.set_features(g.id, [Column("id", "bigint"), Column("x", "double")])
    catalog.groups.set_features(g.id, [Column("other", "string")])  # the first schema stays
    catalog.groups.set_suite(g.id, '{"name": "s", "expectations": []}', "STRICT", False)
    got = catalog.groups.by_id(g.id)
    assert got is not None and got.reject_duplicate_keys
    assert got.features == (Column("id", "bigint"), Column("x", "double"))
    assert (got.suite_json, got.ingestion_policy, got.run_validation) == \
        ('{"name": "s", "expectations": []}', "STRICT", False)
    catalog.groups.clear_suite(g.id)
    got = catalog.groups.by_id(g.id)
    assert got is not None and got.suite_json is None and got.ingestion_policy is None
    assert got.run_validation is False  # clearing the suite leaves the switch


def test_deleting_a_group_drops_its_reports_and_files(catalog: Catalog) -> None:
    g = _group(catalog)
    catalog.reports.add(g.id, "2024-01-01T00:00:00+00:00", "INGESTED", True, 0, lambda i: {})
    catalog.table_files.record(g.id, [TableFileRecord("a.parquet", 0, 3, "ff")], "table-1")
    catalog.groups.delete(g.id)
    catalog.groups.delete(g.id)  # missing: a no-op
    assert catalog.groups.by_id(g.id) is None
    assert catalog.reports.latest(g.id) == [] and catalog.table_files.of_group(g.id) == []


# -- reports
def test_reports_round_trip_newest_first(catalog: Catalog) -> None:
    g = _group(catalog)
    first = catalog.reports.add(g.id, "2024-01-01T00:00:00+00:00", "INGESTED", True, 0,
                                lambda i: {"id": i, "n": 1})
    second = catalog.reports.add(g.id, "2024-01-02T00:00:00+00:00", "REJECTED", False, None,
                                 lambda i: {"id": i, "n": 2})
    assert first.body == {"id": first.id, "n": 1} and second.commit_version is None
    assert catalog.reports.latest(g.id) == [second, first]
    assert catalog.reports.latest(g.id, limit=1) == [second]
    assert catalog.reports.by_commit(g.id, 0) == first
    assert catalog.reports.by_commit(g.id, 1) is None
    assert catalog.reports.newest_commit(g.id) == 0 and catalog.reports.commits(g.id) == [0]


def test_a_second_report_of_one_commit_is_refused(catalog: Catalog) -> None:
    g = _group(catalog)
    catalog.reports.add(g.id, "t", "INGESTED", True, 4, lambda i: {})
    with pytest.raises(AlreadyExistsError, match="commit 4"):
        catalog.reports.add(g.id, "t", "INGESTED", True, 4, lambda i: {})
    assert len(catalog.reports.latest(g.id)) == 1


def test_a_report_of_a_missing_group_is_refused(catalog: Catalog) -> None:
    with pytest.raises(NotFoundError):
        catalog.reports.add(12345, "t", "UNKNOWN", True, None, lambda i: {})


def test_no_reports_no_commit(catalog: Catalog) -> None:
    g = _group(catalog)
    assert catalog.reports.newest_commit(g.id) is None and catalog.reports.commits(g.id) == []


# -- table files
def test_table_files_round_trip_and_replace_by_path(catalog: Catalog) -> None:
    g = _group(catalog)
    assert catalog.table_files.newest_commit(g.id) is None
    catalog.table_files.record(g.id, [TableFileRecord("a.parquet", 0, 3, "aa"),
                                      TableFileRecord("b.parquet", 1, 4, "bb")], "table-1")
    catalog.table_files.record(g.id, [TableFileRecord("a.parquet", 2, 5, "cc")], "table-2")
    assert sorted(catalog.table_files.of_group(g.id), key=lambda f: f.path) == [
        TableFileRecord("a.parquet", 2, 5, "cc"), TableFileRecord("b.parquet", 1, 4, "bb")]
    assert catalog.table_files.newest_commit(g.id) == 2
    got = catalog.groups.by_id(g.id)
    assert got is not None and got.table_id == "table-1"  # the first identity stays


# -- views and training datasets
def test_a_view_round_trips(catalog: Catalog) -> None:
    spec = {"feature_group": ["items", 1], "joins": [], "columns": None}
    v = catalog.views.add("v", 1, spec, ["label"], "a view")
    assert (v.name, v.version, v.query, v.labels, v.description) == \
        ("v", 1, spec, ("label",), "a view")
    assert catalog.views.add("v", 1, {}, [], "other") == v  # the first one stays
    catalog.views.add("a", 2, spec, [], "")
    assert catalog.views.get("v", 1) == v and catalog.views.get("v", 2) is None
    assert [(x.name, x.version) for x in catalog.views.all()] == [("a", 2), ("v", 1)]
    assert catalog.views.all("v") == [v]


def test_training_datasets_take_the_next_version_and_round_trip(catalog: Catalog) -> None:
    v = catalog.views.add("v", 1, {}, [], "")
    assert catalog.views.add_dataset(v.id, _dataset()) == 1
    assert catalog.views.add_dataset(v.id, _dataset(test=None)) == 2
    one = catalog.views.dataset(v.id, 1)
    assert one is not None and one.keys == RecordedKeys(b"train", b"test")
    assert (one.test_size, one.seed, one.row_count, one.extra) == \
        (0.2, 7, 10, {"extra_filter": None})
    assert one.table_versions == {"items_1": 3, "empty_1": None}
    assert one.key_columns == ("id",) and one.table_ids == {"items_1": "abc"}
    two = catalog.views.dataset(v.id, 2)
    assert two is not None and two.keys == RecordedKeys(b"train", None)
    assert catalog.views.dataset(v.id, 3) is None
    listed = catalog.views.datasets(v.id)
    assert [d.version for d in listed] == [1, 2] and all(d.keys is None for d in listed)
    assert catalog.views.dataset_reads() == [
        DatasetRead("v", 1, 1, {"items_1": 3, "empty_1": None}),
        DatasetRead("v", 1, 2, {"items_1": 3, "empty_1": None})]


def test_a_dataset_of_a_missing_view_is_refused(catalog: Catalog) -> None:
    with pytest.raises(NotFoundError):
        catalog.views.add_dataset(999, _dataset())


def test_deleting_a_view_drops_its_datasets(catalog: Catalog) -> None:
    v = catalog.views.add("v", 1, {}, [], "")
    catalog.views.add_dataset(v.id, _dataset())
    catalog.views.delete(v.id)
    catalog.views.delete(v.id)  # missing: a no-op
    assert catalog.views.get("v", 1) is None and catalog.views.dataset_reads() == []


def test_concurrent_datasets_each_get_their_own_version(make: Callable[[], Catalog]) -> None:
    catalogs = [make() for _ in range(4)]
    view = catalogs[0].views.add("v", 1, {}, [], "")
    got: list[int] = []
    threads = [threading.Thread(target=lambda c=c: got.extend(
        c.views.add_dataset(view.id, _dataset()) for _ in range(5))) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 21))


# -- models
def test_a_model_round_trips_with_its_files(catalog: Catalog) -> None:
    files = [FileRecord("model.pkl", 10, "aa"), FileRecord("a/b.json", 2, "bb")]
    stored = catalog.models.add(_model(), files)
    assert catalog.models.get("m", 1) == stored
    assert (stored.metrics, stored.model_schema, stored.input_example) == \
        ({"accuracy": 0.9}, {"input_schema": None}, [{"x": 1.0}])
    assert stored.feature_view == ("view", 1) and stored.training_dataset_version == 2
    assert catalog.models.files(stored.id) == sorted(files, key=lambda f: f.path)
    assert catalog.models.get("m", 2) is None


def test_models_are_listed_and_versions_known(catalog: Catalog) -> None:
    for name, version in [("b", 1), ("a", 2), ("a", 1)]:
        catalog.models.add(_model(name, version), [])
    assert [(m.name, m.version) for m in catalog.models.all()] == [("a", 1), ("a", 2), ("b", 1)]
    assert [m.version for m in catalog.models.all("a")] == [1, 2]
    assert sorted(catalog.models.versions("a")) == [1, 2] and catalog.models.versions("z") == []


def test_an_existing_model_version_is_refused(catalog: Catalog) -> None:
    catalog.models.add(_model(), [FileRecord("f", 1, "aa")])
    with pytest.raises(AlreadyExistsError, match="m v1"):
        catalog.models.add(_model(), [FileRecord("g", 1, "bb")])
    (only,) = catalog.models.all()
    assert catalog.models.files(only.id) == [FileRecord("f", 1, "aa")]


def test_deleting_a_model_drops_its_files(catalog: Catalog) -> None:
    stored = catalog.models.add(_model(), [FileRecord("f", 1, "aa")])
    catalog.models.delete(stored.id)
    catalog.models.delete(stored.id)  # missing: a no-op
    assert catalog.models.get("m", 1) is None and catalog.models.files(stored.id) == []


# -- transactions
def test_a_failed_transaction_keeps_nothing(catalog: Catalog) -> None:
    g = _group(catalog)
    with pytest.raises(BoomError), catalog.transaction():
        catalog.groups.set_features(g.id, [Column("id", "bigint")])
        catalog.models.add(_model(), [FileRecord("f", 1, "aa")])
        catalog.reports.add(g.id, "t", "INGESTED", True, 0, lambda i: {})
        with catalog.transaction():  # a nested one is part of the outer one
            catalog.views.add("v", 1, {}, [], "")
        raise BoomError
    got = catalog.groups.by_id(g.id)
    assert got is not None and got.features is None
    assert catalog.models.all() == [] and catalog.reports.latest(g.id) == []
    assert catalog.views.all() == []


def test_a_transaction_keeps_everything_and_reads_its_own_writes(catalog: Catalog) -> None:
    with catalog.transaction():
        versions = catalog.models.versions("m")
        catalog.models.add(_model(version=max(versions, default=0) + 1), [])
        assert catalog.models.versions("m") == [1]
        catalog.models.add(_model(version=2), [])
    assert sorted(catalog.models.versions("m")) == [1, 2]


def test_next_version_in_transactions_is_serialised(make: Callable[[], Catalog]) -> None:
    # the registry's "next model version": read the versions, add max + 1, in one transaction
    catalogs = [make() for _ in range(4)]
    errors: list[BaseException] = []

    def save(c: Catalog) -> None:
        try:
            for _ in range(5):
                with c.transaction():
                    c.models.add(_model(version=max(c.models.versions("m"), default=0) + 1), [])
        except BaseException as err:  # reported below, not lost in the thread
            errors.append(err)

    threads = [threading.Thread(target=save, args=(c,)) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(catalogs[0].models.versions("m")) == list(range(1, 21))


def test_a_write_is_seen_by_another_catalog_on_the_same_store(
        make: Callable[[], Catalog]) -> None:
    first, second = make(), make()
    g = _group(first)
    assert second.groups.by_id(g.id) == g


def test_a_sound_catalog_has_no_problems_and_reopens_after_close(catalog: Catalog) -> None:
    assert catalog.problems() == []
    g = _group(catalog)
    catalog.close()
    catalog.close()  # closing twice is a no-op
    assert catalog.groups.by_id(g.id) == g  # opened again on use
