"""Feature groups: create/get, insert and upsert, names, dtypes, time travel, commit history."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from contract_data import frame, times

from mlsys.errors import NotFoundError
from mlsys.store.api import Project

Name = Callable[[str], str]


def by_id(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["id", "ts"]).reset_index(drop=True)


def test_get_or_create_then_get_returns_the_same_group(project: Project, name: Name) -> None:
    fs = project.get_feature_store()
    created = fs.get_or_create_feature_group(name("items"), 1, primary_key=["id"],
                                             event_time="ts", description="test items")
    again = fs.get_or_create_feature_group(name("items"), 1)
    got = fs.get_feature_group(name("items"), 1)
    for fg in (created, again, got):
        assert (fg.name, fg.version, fg.primary_key, fg.event_time) == \
            (name("items"), 1, ["id"], "ts")
        assert fg.description == "test items"
    assert got.features == []  # no schema before the first insert
    assert [g.version for g in fs.get_feature_groups(name("items"))] == [1]


def test_unknown_group_or_version_lists_what_exists(project: Project, name: Name) -> None:
    fs = project.get_feature_store()
    fs.get_or_create_feature_group(name("items"), 1, primary_key=["id"])
    with pytest.raises(NotFoundError) as err:
        fs.get_feature_group(name("items"), 2)
    assert f"{name('items')} v1" in err.value.existing
    with pytest.raises(NotFoundError, match=name("items")):
        fs.get_feature_group(name("nothing"), 1)


def test_insert_then_read_round_trips_rows_and_dtypes(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    df = frame([1, 2, 3], [0.5, 1.5, 2.5], ["2024-01-01", "2024-01-02", "2024-01-03"])
    job, report = fg.insert(df)
    assert job.state == "FINISHED" and job.rows == 3 and report is None
    got = by_id(fg.read())
    assert list(got.columns) == ["id", "ts", "x", "label"]
    assert got["id"].dtype == np.int64 and got["x"].dtype == np.float64
    assert str(got["ts"].dtype) == "datetime64[us, UTC]"
    pd.testing.assert_frame_equal(got, df.astype({"ts": "datetime64[us, UTC]"}),
                                  check_dtype=False)
    assert [(f.name, f.type, f.primary) for f in fg.features] == [
        ("id", "bigint", True), ("ts", "timestamp", False), ("x", "double", False),
        ("label", "string", False)]


def test_insert_upserts_on_primary_key_and_event_time(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1, 2], [1.0, 2.0], ["2024-01-01", "2024-01-01"]))
    # id 2 at the same time: replaced; id 2 at a later time: a second row; id 3: new
    fg.insert(frame([2, 2, 3], [20.0, 21.0, 3.0], ["2024-01-01", "2024-01-05", "2024-01-01"]))
    got = by_id(fg.read())
    assert got[["id", "x"]].to_numpy().tolist() == [[1, 1.0], [2, 20.0], [2, 21.0], [3, 3.0]]


def test_names_are_normalised_like_hopsworks(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("wine"), 1, primary_key=["Wine ID"], event_time="Event Time")
    assert fg.primary_key == ["wine_id"] and fg.event_time == "event_time"
    df = pd.DataFrame({"Wine ID": [1], "Event Time": times("2024-01-01"),
                       " Fixed Acidity ": [7.4]})
    fg.insert(df)
    assert list(fg.read().columns) == ["wine_id", "event_time", "fixed_acidity"]
    assert fg["Fixed Acidity"].name == "fixed_acidity"
    assert list(df.columns) == ["Wine ID", "Event Time", " Fixed Acidity "]  # caller's frame


def test_timestamps_naive_are_utc_and_zoned_are_converted(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    naive = pd.DataFrame({"id": [1], "ts": pd.to_datetime(["2024-01-01 12:00"]), "x": [1.0]})
    zoned = pd.DataFrame({"id": [2], "x": [2.0], "ts": pd.to_datetime(["2024-01-01 12:00"])
                          .tz_localize("Europe/Stockholm")})
    fg.insert(naive)
    fg.insert(zoned[["id", "ts", "x"]])
    got = by_id(fg.read())
    assert got["ts"].tolist() == [pd.Timestamp("2024-01-01 12:00", tz="UTC"),
                                  pd.Timestamp("2024-01-01 11:00", tz="UTC")]


def test_int_column_for_a_double_feature_is_cast(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1], [0.5]))
    fg.insert(frame([2], [3]))  # x arrives as int64
    got = by_id(fg.read())
    assert got["x"].dtype == np.float64 and got["x"].tolist() == [0.5, 3.0]


def test_empty_frame_is_a_no_op(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1], [1.0]))
    before = fg.commit_details()
    job, report = fg.insert(frame([1], [1.0]).iloc[0:0])
    assert job.rows == 0 and job.commit_version is None and report is None
    assert fg.commit_details() == before


def test_overwrite_replaces_every_row(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1, 2], [1.0, 2.0]))
    fg.insert(frame([7], [7.0]), overwrite=True)
    assert fg.read()["id"].tolist() == [7]


def test_read_as_of_a_time_shows_the_table_then(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    before_any = datetime.now(UTC)
    time.sleep(0.01)
    fg.insert(frame([1], [1.0]))
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    fg.insert(frame([1, 2], [10.0, 2.0]))
    assert by_id(fg.read(wallclock_time=between))[["id", "x"]].to_numpy().tolist() == [[1, 1.0]]
    assert by_id(fg.as_of(between).read())["x"].tolist() == [1.0]
    assert by_id(fg.read())["x"].tolist() == [10.0, 2.0]
    assert len(fg.read(wallclock_time=before_any)) == 0
    # exclude_until: only the rows written after that time
    changed = by_id(fg.as_of(datetime.now(UTC), exclude_until=between).read())
    assert changed[["id", "x"]].to_numpy().tolist() == [[1, 10.0], [2, 2.0]]


def test_commit_details_count_each_commit(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    assert fg.commit_details() == {}
    j1, _ = fg.insert(frame([1, 2], [1.0, 2.0]))
    j2, _ = fg.insert(frame([2, 3], [20.0, 3.0]))
    details = fg.commit_details()
    assert list(details) == [j2.commit_version, j1.commit_version]  # newest first
    newest = details[j2.commit_version]
    assert (newest["rows_inserted"], newest["rows_updated"]) == (1, 1)
    assert details[j1.commit_version]["rows_inserted"] == 2
    assert isinstance(newest["committed_on"], datetime)
    assert list(fg.commit_details(limit=1)) == [j2.commit_version]


def test_get_feature_groups_lists_every_version(project: Project, name: Name) -> None:
    fs = project.get_feature_store()
    for v in (1, 2):
        fs.get_or_create_feature_group(name("items"), v, primary_key=["id"])
    fs.get_or_create_feature_group(name("other"), 1, primary_key=["id"])
    assert [g.version for g in fs.get_feature_groups(name("items"))] == [1, 2]
    assert {(g.name, g.version) for g in fs.get_feature_groups()} >= {
        (name("items"), 1), (name("items"), 2), (name("other"), 1)}


def test_delete_drops_the_group_and_its_data(project: Project, name: Name) -> None:
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1], [1.0]))
    fg.delete()
    with pytest.raises(NotFoundError):
        fs.get_feature_group(name("items"), 1)
    fresh = fs.get_or_create_feature_group(name("items"), 1, primary_key=["id"],
                                           event_time="ts")
    assert len(fresh.read()) == 0 and fresh.features == []


def test_delete_takes_force_on_every_backend(project: Project, name: Name) -> None:
    # code written for the embedded store's in-use check must run unchanged on Hopsworks
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(name("forced"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1], [1.0]))
    fg.delete(force=True)
    with pytest.raises(NotFoundError):
        fs.get_feature_group(name("forced"), 1)


def test_layout_on_disk_is_findable_by_name(local_project: Project) -> None:
    fg = local_project.get_feature_store().get_or_create_feature_group(
        "items", 3, primary_key=["id"], event_time="ts", online_enabled=True)
    fg.insert(frame([1], [1.0]))
    root = local_project.config.root  # type: ignore[attr-defined]
    assert (root / "catalog.sqlite").is_file()
    assert (root / "feature_store" / "items_3" / "_delta_log").is_dir()
    assert (root / "online" / "items_3.sqlite").is_file()
