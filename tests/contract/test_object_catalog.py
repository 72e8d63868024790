"""The object-storage catalog's own promises (``catalog.objects``), beyond the shared contract:
a transaction whose reads another writer changed is refused whole, an unrelated change is kept
beside it, large values live in side objects, and a damaged or newer document is never
overwritten. On a folder and on a real S3-compatible server (moto's)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlsys.errors import ConcurrencyError, ConfigurationError, StoreDamagedError
from mlsys.store.local.catalog import ObjectCatalog
from mlsys.store.local.catalog.objects import INLINE_MAX, KEY, SCHEMA
from mlsys.store.local.catalog.records import NewGroup, NewModel, NewTrainingDataset, RecordedKeys
from mlsys.store.local.objects import BucketObjects, FolderObjects, Objects


@pytest.fixture(params=["folder", "bucket"])
def objects(request: pytest.FixtureRequest, tmp_path: Path) -> Objects:
    if request.param == "bucket":
        return BucketObjects(request.getfixturevalue("s3_bucket"), "team/project")
    return FolderObjects(tmp_path / "store")


@pytest.fixture
def make(objects: Objects) -> Callable[[], ObjectCatalog]:
    """Another catalog on the same storage (as another machine would open it)."""
    def one() -> ObjectCatalog:
        catalog = ObjectCatalog(objects)
        catalog.open()
        return catalog
    return one


def _model(name: str = "m", version: int = 1, description: str = "") -> NewModel:
    return NewModel(name, version, "python", description, {}, None, None, None, None,
                    "2024-01-01T00:00:00+00:00")


# -- conflicts between a transaction's reads and its commit
def test_an_unrelated_write_during_a_transaction_is_kept_beside_it(
        make: Callable[[], ObjectCatalog]) -> None:
    mine, other = make(), make()
    with mine.transaction():
        versions = mine.models.versions("m")
        other.groups.add(NewGroup("items", 1, ("id",)))  # lands first: the commit is stale
        mine.models.add(_model(version=max(versions, default=0) + 1), [])
    assert [g.name for g in mine.groups.all()] == ["items"]  # not lost by the commit
    assert [(m.name, m.version) for m in other.models.all()] == [("m", 1)]


def test_a_transaction_whose_read_changed_keeps_nothing(
        make: Callable[[], ObjectCatalog]) -> None:
    mine, other = make(), make()
    with pytest.raises(ConcurrencyError, match=r"models\.versions\('m'\).*nothing of the "
                                               r"transaction was kept.*again"), mine.transaction():
        versions = mine.models.versions("m")
        mine.views.add("v", 1, {}, [], "")
        other.models.add(_model(version=1, description="theirs"), [])
        mine.models.add(_model(version=max(versions, default=0) + 1, description="mine"),
                        [])
    assert [m.description for m in mine.models.all()] == ["theirs"]
    assert mine.views.all() == []  # nothing of the refused transaction


def test_a_write_whose_answer_changed_is_refused(make: Callable[[], ObjectCatalog]) -> None:
    # the id handed out inside the transaction would not be the one stored
    mine, other = make(), make()
    with pytest.raises(ConcurrencyError, match=r"model m v1"), mine.transaction():
        made = mine.models.add(_model("m"), [])
        other.models.add(_model("other"), [])
    assert [m.name for m in mine.models.all()] == ["other"] and made.id == 1


def test_a_single_write_retries_until_it_lands(make: Callable[[], ObjectCatalog]) -> None:
    first, second = make(), make()
    group = first.groups.add(NewGroup("items", 1, ("id",)))
    seen: list[int] = []

    def body(report_id: int) -> dict[str, int]:
        seen.append(report_id)
        if len(seen) == 1:  # a writer elsewhere gets in between this read and its swap
            second.reports.add(group.id, "t", "INGESTED", True, 1, lambda i: {"id": i})
        return {"id": report_id}

    stored = first.reports.add(group.id, "t", "INGESTED", True, 2, body)
    assert seen == [1, 2] and stored.id == 2 and stored.body == {"id": 2}
    assert [(r.id, r.commit_version) for r in first.reports.latest(group.id)] == [(2, 2),
                                                                                  (1, 1)]


# -- side objects
def test_large_values_live_in_side_objects_written_first(objects: Objects,
                                                         make: Callable[[], ObjectCatalog]
                                                         ) -> None:
    catalog = make()
    big = "x" * (INLINE_MAX + 1)
    group = catalog.groups.add(NewGroup("items", 1, ("id",)))
    catalog.groups.set_suite(group.id, json.dumps({"s": big}), "STRICT", True)
    report = catalog.reports.add(group.id, "t", "INGESTED", True, 0, lambda i: {"big": big})
    view = catalog.views.add("v", 1, {}, [], "")
    keys = RecordedKeys(big.encode(), b"small")
    catalog.views.add_dataset(view.id, NewTrainingDataset(
        "", None, None, False, 1, {}, {}, ("id",), {}, keys))
    blobs = objects.keys("blobs/")
    assert len(blobs) == 3  # the suite, the report body, the train keys (one is inline)
    document = objects.read(KEY)
    assert document is not None and big not in document.data.decode()
    again = make()
    found = again.groups.by_id(group.id)
    assert found is not None and json.loads(found.suite_json or "") == {"s": big}
    assert again.reports.latest(group.id) == [report]
    dataset = again.views.dataset(view.id, 1)
    assert dataset is not None and dataset.keys == keys
    assert again.problems() == []
    train = f"blobs/{hashlib.sha256(keys.train).hexdigest()}"
    assert train in blobs
    objects.delete(train)
    assert any("train keys" in p and "missing" in p for p in again.problems())
    with pytest.raises(StoreDamagedError, match=r"blobs/.*missing.*restore"):
        make().views.dataset(view.id, 1)  # a fresh one (a catalog keeps the blobs it read)


# -- a damaged or newer document
_BROKEN_GROUP = (b'{"schema": 1, "next": {}, "views": {}, "models": {}, '
                 b'"groups": {"1": {"name": "items"}}}')


@pytest.mark.parametrize("content", [b"\x00\x00garbage", b"[]", b'{"schema": 1}',
                                     _BROKEN_GROUP])
def test_a_damaged_document_is_named_and_never_overwritten(
        objects: Objects, content: bytes) -> None:
    objects.write(KEY, content)
    catalog = ObjectCatalog(objects)
    for call in (catalog.open, catalog.groups.all, catalog.problems,
                 lambda: catalog.groups.add(NewGroup("items", 1, ("id",)))):
        with pytest.raises(StoreDamagedError, match=f"{KEY}.*damaged.*restore"):
            call()
    found = objects.read(KEY)
    assert found is not None and found.data == content


def test_a_document_of_a_newer_mlsys_is_refused(objects: Objects) -> None:
    catalog = ObjectCatalog(objects)
    catalog.open()
    catalog.groups.add(NewGroup("items", 1, ("id",)))
    found = objects.read(KEY)
    assert found is not None
    doc = json.loads(found.data)
    doc["schema"] = SCHEMA + 1
    objects.write(KEY, json.dumps(doc).encode())
    for call in (catalog.open, lambda: catalog.models.add(_model(), [])):
        with pytest.raises(ConfigurationError, match=f"schema version {SCHEMA + 1}.*upgrade"):
            call()
    after = objects.read(KEY)
    assert after is not None and json.loads(after.data) == doc  # an older mlsys wrote nothing
    reshaped = json.dumps({"schema": SCHEMA + 1, "records": []}).encode()  # a new layout too
    objects.write(KEY, reshaped)
    with pytest.raises(ConfigurationError, match="upgrade mlsys"):
        catalog.groups.all()


def test_open_creates_the_document_once(objects: Objects) -> None:
    assert objects.read(KEY) is None
    first, second = ObjectCatalog(objects), ObjectCatalog(objects)
    first.open()
    created = objects.read(KEY)
    first.groups.add(NewGroup("items", 1, ("id",)))
    second.open()  # present already: left as it is
    assert created is not None and [g.name for g in second.groups.all()] == ["items"]


def test_no_credential_in_repr_or_messages(s3_bucket: str) -> None:
    from s3_server import ACCESS_KEY, SECRET_KEY

    objects = BucketObjects(s3_bucket, "p")
    catalog = ObjectCatalog(objects, attempts=1)
    objects.write(KEY, b"not json")
    with pytest.raises(StoreDamagedError) as err:
        catalog.open()
    for text in (repr(catalog), str(err.value)):
        assert SECRET_KEY not in text and ACCESS_KEY not in text
    assert repr(catalog) == f"ObjectCatalog(BucketObjects('s3://{s3_bucket}/p'))"


# -- the callers that act on a read, when they lose a race to another machine
class RacingObjects(FolderObjects):
    """A real folder where another writer's change lands just before each of the first
    ``times`` swaps of the catalog document: a lost race at an exact point."""

    def __init__(self, root: Path, race: Callable[[], object], times: int) -> None:
        super().__init__(root)
        self.race, self.times = race, times

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        if key == KEY and self.times > 0:
            self.times -= 1
            self.race()
        return super().replace(key, data, tag)


def test_a_registry_save_that_lost_the_next_version_takes_the_one_after(
        tmp_path: Path) -> None:
    from mlsys.store.local.config import LocalConfig
    from mlsys.store.local.registry import LocalModelRegistry

    other = ObjectCatalog(FolderObjects(tmp_path / "bucket"))
    other.open()
    racing = RacingObjects(tmp_path / "bucket", lambda: other.models.add(
        _model(version=len(other.models.versions("m")) + 1, description="theirs"), []), 2)
    config = LocalConfig(tmp_path / "home", "proj")
    registry = LocalModelRegistry(config, ObjectCatalog(racing))
    source = tmp_path / "source"
    source.mkdir()
    (source / "weights.txt").write_text("mine")
    saved = registry.python.create_model("m", description="mine").save(str(source))
    assert saved.version == 3 and racing.times == 0  # v1 and v2 went to the other machine
    assert [(m.version, m.description) for m in other.models.all("m")] == [
        (1, "theirs"), (2, "theirs"), (3, "mine")]
    folders = sorted(p.name for p in (config.models_dir / "m").iterdir())
    assert folders == ["3"] and (config.models_dir / "m" / "3" / "weights.txt").read_text() == \
        "mine"


def test_a_report_whose_id_was_taken_meanwhile_is_stored_again(tmp_path: Path) -> None:
    from mlsys.store.local.config import LocalConfig
    from mlsys.store.local.context import LocalContext
    from mlsys.store.local.group_state import GroupState
    from mlsys.store.local.group_validation import GroupReports
    from mlsys.store.local.online import OnlineStores
    from mlsys.validation.types import IngestionResult, ValidationReport

    other = ObjectCatalog(FolderObjects(tmp_path / "bucket"))
    other.open()
    theirs = other.groups.add(NewGroup("theirs", 1, ("id",)))
    racing = RacingObjects(tmp_path / "bucket", lambda: other.reports.add(
        theirs.id, "t", "INGESTED", True, None, lambda i: {}), 0)
    catalog = ObjectCatalog(racing)
    mine = catalog.groups.add(NewGroup("items", 1, ("id",)))
    racing.times = 1  # the race comes at the report's transaction, not at the group's add
    config = LocalConfig(tmp_path / "home", "proj")
    ctx = LocalContext(config, catalog, OnlineStores(config))
    reports = GroupReports(GroupState(ctx, mine.id, "items", 1, ("id",), None,
                                      str(tmp_path / "table"), tmp_path / "table.lock"))
    stored = reports.store(ValidationReport(True, (), "suite"), IngestionResult.INGESTED, 0)
    assert racing.times == 0
    (kept,) = catalog.reports.latest(mine.id)
    assert stored.id == kept.id == kept.body["id"] == 2  # id 1 went to the other machine
