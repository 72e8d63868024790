"""Repeated primary keys in one insert: stored as given with one warning (Hopsworks 5.2), refused
under the strict opt-in, never dropped silently; and the offline row order reads rely on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from contract_data import frame

import mlsys
from mlsys.errors import DuplicateKeyWarning, InvalidArgumentError, SchemaError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]


def _group(project: Project, name: Name, **kwargs: object) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name("dups"), 1, primary_key=["id"], online_enabled=True, **kwargs)


def _rows(ids: list[int], x: list[float]) -> pd.DataFrame:
    return frame(ids, x).drop(columns=["ts"])


def test_repeated_keys_are_stored_as_given_with_one_warning(project: Project,
                                                            name: Name) -> None:
    fg = _group(project, name)
    with pytest.warns(DuplicateKeyWarning) as caught:
        fg.insert(_rows([3, 1, 3, 2, 3], [1.0, 2.0, 3.0, 4.0, 5.0]))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "2 row(s) repeat the primary key ['id']" in message  # two rows beyond the first 3
    assert "reject_duplicate_keys" in message  # how to opt out
    offline = fg.read()
    assert offline[["id", "x"]].to_numpy().tolist() == [  # every row, in insert order
        [3, 1.0], [1, 2.0], [3, 3.0], [2, 4.0], [3, 5.0]]
    online = fg.read(online=True).sort_values("id")
    assert online[["id", "x"]].to_numpy().tolist() == [[1, 2.0], [2, 4.0], [3, 5.0]]  # last wins


def test_a_later_insert_of_new_repeated_keys_appends_them_all(project: Project,
                                                              name: Name) -> None:
    fg = _group(project, name)
    fg.insert(_rows([1], [1.0]))
    with pytest.warns(DuplicateKeyWarning, match="1 row"):
        fg.insert(_rows([2, 2, 1], [2.0, 3.0, 9.0]))
    assert fg.read()[["id", "x"]].to_numpy().tolist() == [[2, 2.0], [2, 3.0], [1, 9.0]]


def test_repeated_keys_matching_a_stored_row_replace_it_by_all_of_them(project: Project,
                                                                      name: Name) -> None:
    # What Hopsworks 5.2's MERGE (the SDK's deltalake build) does with such a frame.
    fg = _group(project, name)
    fg.insert(_rows([1, 2, 3], [1.0, 2.0, 3.0]))
    with pytest.warns(DuplicateKeyWarning, match="1 row"):
        job, _ = fg.insert(_rows([2, 5, 2], [7.0, 9.0, 8.0]))
    assert fg.read()[["id", "x"]].to_numpy().tolist() == [
        [1, 1.0], [3, 3.0], [2, 7.0], [5, 9.0], [2, 8.0]]
    assert fg.read(online=True).set_index("id")["x"].to_dict() == {1: 1.0, 2: 8.0, 3: 3.0,
                                                                  5: 9.0}
    details = fg.commit_details()[job.commit_version]
    assert (details["operation"], details["rows_inserted"], details["rows_updated"]) == (
        "UPSERT", 1, 2)
    fg.insert(_rows([3], [30.0]))  # and plain upserts go on as before
    assert fg.read()["x"].tolist() == [1.0, 7.0, 9.0, 8.0, 30.0]


def test_the_strict_write_option_refuses_and_writes_nothing(project: Project,
                                                            name: Name) -> None:
    fg = _group(project, name)
    with pytest.raises(SchemaError, match=r"rows share a primary key.*drop_duplicates"):
        fg.insert(_rows([1, 1], [1.0, 2.0]), write_options={"reject_duplicate_keys": True})
    assert fg.read().empty and fg.features == []
    with pytest.raises(InvalidArgumentError, match="reject_duplicate_keys"):
        fg.insert(_rows([1], [1.0]), write_options={"reject_duplicate_keys": "yes"})


def test_the_strict_group_setting_is_stored_and_can_be_overridden_per_insert(
        tmp_path: Path) -> None:
    home = tmp_path / "store"
    with mlsys.login(backend="local", home=home) as project:
        fg = project.get_feature_store().get_or_create_feature_group(
            "strict", 1, primary_key=["id"], reject_duplicate_keys=True)
        assert fg.reject_duplicate_keys
    with mlsys.login(backend="local", home=home) as project:  # a new process would see it too
        fg = project.get_feature_store().get_feature_group("strict", 1)
        assert fg.reject_duplicate_keys
        with pytest.raises(SchemaError, match="rejects duplicate keys"):
            fg.insert(_rows([1, 1], [1.0, 2.0]))
        assert fg.read().empty
        with pytest.warns(DuplicateKeyWarning):  # an explicit False for this one insert
            fg.insert(_rows([1, 1], [1.0, 2.0]), write_options={"reject_duplicate_keys": False})
        assert len(fg.read()) == 2


def test_mlsys_own_groups_use_the_strict_check(tmp_path: Path) -> None:
    from mlsys.pipelines.common import feature_group, predictions_group
    from mlsys.systems import get_system

    with mlsys.login(backend="local", home=tmp_path / "store") as project:
        for system in (get_system("iris"), get_system("wine")):
            assert feature_group(project, system).reject_duplicate_keys
            assert predictions_group(project.get_feature_store(), system).reject_duplicate_keys


def test_reads_return_the_oldest_commit_first(project: Project, name: Name) -> None:
    fg = _group(project, name)
    fg.insert(_rows([5, 1, 3], [1.0, 1.0, 1.0]))
    fg.insert(_rows([4, 2], [2.0, 2.0]))
    fg.insert(_rows([1], [3.0]))  # an update: the row now belongs to the newest commit
    assert fg.read()["id"].tolist() == [5, 3, 4, 2, 1]
    assert fg.read()["x"].iloc[-1] == 3.0  # "the newest row is the last one"
    assert fg.select_all().read()["id"].tolist() == [5, 3, 4, 2, 1]
    assert "_mlsys_order" not in fg.read().columns
    assert [f.name for f in fg.features] == ["id", "x", "label"]


def test_a_recorded_split_of_repeated_keys_reads_back_exactly(project: Project,
                                                              name: Name) -> None:
    fg = _group(project, name)
    ids = [1, 1, 2, 3, 3, 3, 4, 5, 6, 7]
    with pytest.warns(DuplicateKeyWarning):
        fg.insert(_rows(ids, [float(i) for i in range(len(ids))]))
    fv = project.get_feature_store().get_or_create_feature_view(
        name("dups_view"), 1, query=fg.select_all(), labels=["label"])
    x_train, x_test, _, _ = fv.train_test_split(0.3, seed=1)
    assert len(x_train) + len(x_test) == len(ids)  # every stored row, each on one side
    version = fv.get_last_accessed_training_dataset()
    assert version is not None
    again_train, again_test, _, _ = fv.get_train_test_split(version)
    assert sorted(again_train["x"]) == sorted(x_train["x"])
    assert sorted(again_test["x"]) == sorted(x_test["x"])
