"""Feature views: recorded, reproducible splits; training data; batch data; online vectors."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from contract_data import frame

from mlsys.errors import NotFoundError, SchemaError
from mlsys.store.api import FeatureGroup, FeatureView, Project

Name = Callable[[str], str]
N = 40


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts", online_enabled=True)
    days = [f"2024-01-{1 + i % 28:02d}" for i in range(N)]
    labels = ["a" if i % 4 else "b" for i in range(N)]  # 3:1 label imbalance
    fg.insert(frame(list(range(N)), [float(i) for i in range(N)], days, labels))
    return fg


@pytest.fixture
def fv(project: Project, name: Name, fg: FeatureGroup) -> FeatureView:
    return project.get_feature_store().get_or_create_feature_view(
        name("items_view"), 1, fg.select(["x", "label"]), labels=["label"])


def test_view_is_found_again_with_its_query(project: Project, name: Name,
                                            fv: FeatureView) -> None:
    fs = project.get_feature_store()
    got = fs.get_feature_view(name("items_view"), 1)
    assert got.labels == ["label"] and got.primary_keys == ["id"]
    assert [f.name for f in got.features] == ["x", "label"]  # select() kept id, ts for joins
    assert [v.version for v in fs.get_feature_views(name("items_view"))] == [1]
    with pytest.raises(NotFoundError) as err:
        fs.get_feature_view(name("items_view"), 2)
    assert f"{name('items_view')} v1" in err.value.existing


def test_a_view_over_select_except_leaves_out_the_excluded_keys(project: Project, name: Name,
                                                               fg: FeatureGroup) -> None:
    """As in hsfs: excluding the key and event time keeps them out of the model inputs, while
    the view still keys its rows and serves by the primary key."""
    fv = project.get_feature_store().get_or_create_feature_view(
        name("items_except"), 1, fg.select_except(["id", "ts"]), labels=["label"])
    assert [f.name for f in fv.features] == ["x", "label"]
    x_train, _, y_train, _ = fv.train_test_split(test_size=0.25, seed=1)
    assert list(x_train.columns) == ["x"] and list(y_train.columns) == ["label"]
    assert list(fv.get_batch_data().columns) == ["x"]
    fv.init_serving()
    assert fv.get_feature_vector({"id": 3}) == [3.0]


def test_split_is_recorded_and_reproduced_exactly(fv: FeatureView, fg: FeatureGroup) -> None:
    x_train, x_test, y_train, y_test = fv.train_test_split(test_size=0.25, seed=7)
    assert (len(x_train), len(x_test)) == (30, 10)
    assert list(x_train.columns) == ["x"] and list(y_train.columns) == ["label"]
    assert set(x_train["x"]).isdisjoint(set(x_test["x"]))
    version = fv.get_last_accessed_training_dataset()
    assert version is not None
    fg.insert(frame([0, 1000], [-5.0, 1000.0]))  # later data must not change the split
    again = fv.get_train_test_split(version)
    for before, after in zip((x_train, x_test, y_train, y_test), again, strict=True):
        pd.testing.assert_frame_equal(before, after)
    info = fv.get_training_datasets()[-1]
    assert (info.version, info.test_size, info.seed, info.row_count) == (version, 0.25, 7, 40)


def test_seed_makes_splits_repeatable_and_versions_increase(fv: FeatureView) -> None:
    a = fv.train_test_split(test_size=0.25, seed=1)
    va = fv.get_last_accessed_training_dataset()
    b = fv.train_test_split(test_size=0.25, seed=1)
    vb = fv.get_last_accessed_training_dataset()
    c = fv.train_test_split(test_size=0.25, seed=2)
    assert va is not None and vb == va + 1
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[1]["x"].tolist() != c[1]["x"].tolist()


def test_stratify_keeps_label_proportions(fv: FeatureView) -> None:
    _, _, y_train, y_test = fv.train_test_split(test_size=0.25, seed=3, stratify=True)
    in_test = int((y_test["label"] == "b").sum())
    assert in_test in (2, 3)  # 25% of the 10 "b" rows, rounded either way
    assert int((y_train["label"] == "b").sum()) == 10 - in_test


def test_keys_only_on_request(fv: FeatureView) -> None:
    x_train, *_ = fv.train_test_split(test_size=0.5, seed=0, primary_key=True,
                                      event_time=True)
    assert list(x_train.columns) == ["id", "ts", "x"]
    version = fv.get_last_accessed_training_dataset()
    assert version is not None
    assert list(fv.get_train_test_split(version)[0].columns) == ["x"]


def test_keys_chosen_as_features_stay_in_x(project: Project, name: Name,
                                           fg: FeatureGroup) -> None:
    # e.g. wine: the measurements are the primary key and also the model's inputs
    fv = project.get_feature_store().get_or_create_feature_view(
        name("keyed"), 1, fg.select(["id", "x", "label"]), labels=["label"])
    assert [f.name for f in fv.features] == ["id", "x", "label"]
    x_train, *_ = fv.train_test_split(test_size=0.5, seed=0)
    assert list(x_train.columns) == ["id", "x"]
    assert list(fv.get_batch_data(primary_key=True, event_time=True).columns) == \
        ["ts", "id", "x"]
    assert fv.get_feature_vector({"id": 3}) == [3, 3.0]


def test_training_data_and_batch_data_filter_on_event_time(fv: FeatureView) -> None:
    x, y = fv.training_data()
    assert len(x) == N and y is not None and list(y.columns) == ["label"]
    batch = fv.get_batch_data(start_time="2024-01-10", end_time="2024-01-20",
                              primary_key=True, event_time=True)
    days = batch["ts"].dt.day
    assert len(batch) > 0 and days.min() >= 10 and days.max() < 20  # [start, end)
    assert "label" not in batch.columns
    expected = sum(10 <= 1 + i % 28 < 20 for i in range(N))
    assert len(batch) == expected


def test_feature_vectors_come_from_the_online_store(fv: FeatureView,
                                                    fg: FeatureGroup) -> None:
    fv.init_serving()
    assert fv.get_feature_vector({"id": 5}) == [5.0]
    fg.insert(frame([5], [55.0], ["2024-02-01"]))  # a newer row for id 5
    assert fv.get_feature_vector({"id": 5}) == [55.0]
    assert fv.get_feature_vectors([{"id": 2}, {"id": 5}]) == [[2.0], [55.0]]
    df = fv.get_feature_vectors([{"id": 2}], return_type="pandas")
    assert isinstance(df, pd.DataFrame) and df.to_dict("records") == [{"x": 2.0}]
    with pytest.raises(NotFoundError):
        fv.get_feature_vector({"id": 12345})
    with pytest.raises(SchemaError, match="id"):
        fv.get_feature_vector({"wrong": 1})


def test_serving_joins_online_groups(project: Project, name: Name, fg: FeatureGroup) -> None:
    fs = project.get_feature_store()
    extra = fs.get_or_create_feature_group(name("extra"), 1, primary_key=["id"],
                                           online_enabled=True)
    extra.insert(pd.DataFrame({"id": [1, 2], "w": [10.0, 20.0]}))
    fv = fs.get_or_create_feature_view(name("joined"), 1,
                                       fg.select(["x"]).join(extra.select(["w"])))
    assert fv.get_feature_vector({"id": 2}) == [2.0, 20.0]
    assert fv.get_feature_vector({"id": 3}) == [3.0, None]  # left join: no extra row


def test_delete_view(project: Project, name: Name, fv: FeatureView) -> None:
    fv.delete()
    with pytest.raises(NotFoundError):
        project.get_feature_store().get_feature_view(name("items_view"), 1)


def test_split_needs_a_fraction_and_labels(project: Project, name: Name,
                                           fg: FeatureGroup, fv: FeatureView) -> None:
    with pytest.raises(SchemaError, match="test_size"):
        fv.train_test_split(test_size=2)
    unlabeled = project.get_feature_store().get_or_create_feature_view(
        name("nolabel"), 1, fg.select(["x"]))
    with pytest.raises(SchemaError, match="labels"):
        unlabeled.train_test_split(test_size=0.2)
    with pytest.raises(NotFoundError):
        project.get_feature_store().get_or_create_feature_view(
            name("badlabel"), 1, fg.select(["x"]), labels=["nope"])


def test_a_seeded_split_does_not_depend_on_how_the_rows_were_written(
        project: Project, name: Name) -> None:
    """The same rows, written in another order and in other batches, split the same way."""
    fs = project.get_feature_store()
    rows = frame(list(range(N)), [float(i) for i in range(N)],
                 [f"2024-02-{1 + i % 28:02d}" for i in range(N)],
                 ["a" if i % 3 else "b" for i in range(N)])
    splits = []
    for tag, batches in (("one", [rows]), ("many", [rows.iloc[::-1].iloc[i::3] for i in range(3)])):
        fg = fs.get_or_create_feature_group(name(f"order_{tag}"), 1, primary_key=["id"],
                                            event_time="ts")
        for batch in batches:
            fg.insert(batch.reset_index(drop=True))
        fv = fs.get_or_create_feature_view(name(f"order_{tag}_view"), 1,
                                           fg.select(["x", "label"]), labels=["label"])
        _, x_test, _, _ = fv.train_test_split(test_size=0.25, seed=3, stratify=True)
        splits.append(sorted(x_test["x"]))
    assert splits[0] == splits[1]
