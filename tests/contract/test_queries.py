"""Queries: select, select_except, filter, joins (point-in-time correct), as_of."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from contract_data import frame, times

from mlsys.errors import NotFoundError, SchemaError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]


@pytest.fixture
def items(project: Project, name: Name) -> FeatureGroup:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1, 2, 3, 4], [1.0, 5.0, 7.0, 9.0],
                    ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"],
                    ["a", "b", "a", "b"]))
    return fg


def test_select_keeps_keys_and_the_named_features(items: FeatureGroup) -> None:
    got = items.select(["X"]).read()
    assert list(got.columns) == ["id", "ts", "x"]
    assert sorted(got["x"]) == [1.0, 5.0, 7.0, 9.0]
    assert [f.name for f in items.select(["label"]).features] == ["id", "ts", "label"]


def test_select_except_and_select_all_flags(items: FeatureGroup) -> None:
    assert list(items.select_except(["label"]).read().columns) == ["id", "ts", "x"]
    assert list(items.select_all(include_primary_key=False, include_event_time=False)
                .read().columns) == ["x", "label"]


def test_select_of_an_unknown_feature_lists_the_known(items: FeatureGroup) -> None:
    with pytest.raises(NotFoundError) as err:
        items.select(["nope"])
    assert "label" in err.value.existing


def test_filters_combine_with_and_or(items: FeatureGroup) -> None:
    got = items.filter((items["x"] > 2) & (items["label"] == "a")).read()
    assert got["id"].tolist() == [3]
    got = items.select_all().filter((items["x"] < 2) | (items["x"] >= 9)).read()
    assert sorted(got["id"]) == [1, 4]
    assert sorted(items.filter(items["id"].isin([2, 3])).read()["id"]) == [2, 3]
    assert sorted(items.filter(items["ts"] >= "2024-01-03").read()["id"]) == [3, 4]
    assert sorted(items.filter(items["label"].like("b%")).read()["id"]) == [2, 4]
    assert sorted(items.filter(items["x"] != 5.0).read()["id"]) == [1, 3, 4]


def test_point_in_time_join_takes_the_latest_right_row_not_after_the_left(
        project: Project, name: Name, items: FeatureGroup) -> None:
    weather = project.get_feature_store().get_or_create_feature_group(
        name("weather"), 1, primary_key=["id"], event_time="ts")
    weather.insert(pd.DataFrame({
        "id": [1, 1, 2, 3, 3],
        "ts": times("2023-12-31", "2024-01-02", "2024-01-02 00:00", "2024-01-04",
                    "2024-01-01"),
        "temp": [10.0, 99.0, 20.0, 88.0, 30.0],
    }))
    got = items.select(["x"]).join(weather.select(["temp"])).read().sort_values("id")
    # id 1 @01-01: 12-31 (10), not 01-02 (future). id 2 @01-02: exact time counts (20).
    # id 3 @01-03: 01-01 (30), not 01-04. id 4: no weather row -> missing (left join).
    assert got["temp"].tolist()[:3] == [10.0, 20.0, 30.0]
    assert pd.isna(got["temp"].tolist()[3])
    assert list(got.columns) == ["id", "ts", "x", "temp"]
    inner = items.select(["x"]).join(weather.select(["temp"]), join_type="inner").read()
    assert sorted(inner["id"]) == [1, 2, 3]


def test_join_without_event_time_on_the_left_uses_the_latest_right_row(
        project: Project, name: Name) -> None:
    fs = project.get_feature_store()
    users = fs.get_or_create_feature_group(name("users"), 1, primary_key=["uid"])
    users.insert(pd.DataFrame({"uid": [1, 2], "country": ["se", "no"]}))
    scores = fs.get_or_create_feature_group(name("scores"), 1, primary_key=["uid"],
                                            event_time="ts")
    scores.insert(pd.DataFrame({"uid": [1, 1, 2], "ts": times("2024-01-01", "2024-02-01",
                                                                "2024-01-15"),
                                "score": [1.0, 2.0, 3.0]}))
    got = users.select_all().join(scores.select(["score"])).read().sort_values("uid")
    assert got[["uid", "country", "score"]].to_numpy().tolist() == [[1, "se", 2.0],
                                                                    [2, "no", 3.0]]


def test_join_on_named_keys_and_prefix_on_clash(project: Project, name: Name,
                                                items: FeatureGroup) -> None:
    other = project.get_feature_store().get_or_create_feature_group(
        name("other"), 1, primary_key=["item_id"])
    other.insert(pd.DataFrame({"item_id": [1, 2], "x": [100.0, 200.0]}))
    with pytest.raises(SchemaError, match="prefix"):
        items.select(["x"]).join(other.select_all(), left_on=["id"], right_on=["item_id"])
    got = items.select(["x"]).join(other.select_all(), left_on=["id"], right_on=["item_id"],
                                   prefix="o_").read().sort_values("id")
    assert got["o_x"].tolist()[:2] == [100.0, 200.0]
    assert got["x"].tolist()[:2] == [1.0, 5.0]


def test_query_as_of_reads_every_group_at_that_time(project: Project, name: Name,
                                                    items: FeatureGroup) -> None:
    import time
    from datetime import UTC, datetime

    time.sleep(0.01)
    then = datetime.now(UTC)
    time.sleep(0.01)
    items.insert(frame([1], [111.0], ["2024-01-01"], ["a"]))
    q = items.select(["x"])
    assert sorted(q.as_of(then).read()["x"]) == [1.0, 5.0, 7.0, 9.0]
    assert sorted(q.read()["x"]) == [5.0, 7.0, 9.0, 111.0]


def test_online_read_holds_the_latest_row_per_key(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("live"), 1, primary_key=["id"], event_time="ts", online_enabled=True)
    fg.insert(frame([1, 1, 2], [1.0, 2.0, 3.0], ["2024-01-01", "2024-01-03", "2024-01-01"]))
    fg.insert(frame([1], [0.5], ["2024-01-02"]))  # older than the stored 01-03 row
    online = fg.read(online=True).sort_values("id")
    assert online[["id", "x"]].to_numpy().tolist() == [[1, 2.0], [2, 3.0]]
    assert str(online["ts"].dtype) == "datetime64[us, UTC]"
    assert len(fg.read()) == 4  # offline keeps every event
    assert sorted(fg.select(["x"]).read(online=True)["x"]) == [2.0, 3.0]
