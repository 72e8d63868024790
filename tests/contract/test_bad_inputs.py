"""Bad input: a clear MlsysError naming the bad value and the fix, and nothing written."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from contract_data import frame, times

import mlsys
from mlsys.errors import ConfigurationError, InvalidNameError, SchemaError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("items"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame([1], [1.0]))
    return fg


def _unchanged(fg: FeatureGroup) -> None:
    assert fg.read()[["id", "x"]].to_numpy().tolist() == [[1, 1.0]]


def test_missing_feature(fg: FeatureGroup) -> None:
    with pytest.raises(SchemaError, match=r"missing feature\(s\) \['label'\]"):
        fg.insert(frame([2], [2.0]).drop(columns=["label"]))
    _unchanged(fg)


def test_extra_feature(fg: FeatureGroup) -> None:
    with pytest.raises(SchemaError, match=r"extra feature\(s\) \['colour'\]"):
        fg.insert(frame([2], [2.0]).assign(colour="red"))
    _unchanged(fg)


def test_wrong_dtype(fg: FeatureGroup) -> None:
    with pytest.raises(SchemaError, match=r"'x'.*double"):
        fg.insert(frame([2], [2.0]).assign(x="two"))
    with pytest.raises(SchemaError, match="'x'"):
        fg.insert(frame([2], [2.0]).assign(x=[True]))
    with pytest.raises(SchemaError, match="'id'"):
        fg.insert(frame([2], [2.0]).assign(id=[2.5]))  # a fractional primary key
    _unchanged(fg)


def test_null_primary_key(fg: FeatureGroup) -> None:
    df = pd.DataFrame({"id": [2, None], "ts": times("2024-01-01", "2024-01-01"),
                       "x": [1.0, 2.0], "label": ["a", "b"]})
    with pytest.raises(SchemaError, match="'id' has 1 null"):
        fg.insert(df)
    _unchanged(fg)


def test_duplicate_primary_key_within_one_insert_under_the_strict_check(
        fg: FeatureGroup) -> None:
    # Repeated keys are stored by default (tests/contract/test_duplicate_keys.py); the strict
    # opt-in refuses them with the bad keys and the fix, and writes nothing.
    with pytest.raises(SchemaError, match=r"2 rows share.*'id': 2.*drop_duplicates"):
        fg.insert(frame([2, 2], [2.0, 3.0]), write_options={"reject_duplicate_keys": True})
    _unchanged(fg)


def test_not_a_dataframe(fg: FeatureGroup) -> None:
    with pytest.raises(SchemaError, match="DataFrame"):
        fg.insert([{"id": 2, "x": 1.0}])  # type: ignore[arg-type]
    _unchanged(fg)


def test_first_insert_with_untyped_or_bad_time_columns(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("fresh"), 1, primary_key=["id"], event_time="ts")
    with pytest.raises(SchemaError, match="only nulls"):
        fg.insert(frame([1], [1.0]).assign(x=[None]))
    with pytest.raises(SchemaError, match="to_datetime"):
        fg.insert(frame([1], [1.0]).assign(ts=["2024-01-01"]))
    assert fg.features == [] and len(fg.read()) == 0


@pytest.mark.parametrize("bad", ["", "has/slash", "../up", "UPPER", "a b", "x" * 64])
def test_bad_group_names(project: Project, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        project.get_feature_store().get_or_create_feature_group(bad, 1, primary_key=["id"])


@pytest.mark.parametrize("bad", ["", "a/b", "..", "with space"])
def test_bad_model_names(project: Project, bad: str) -> None:
    with pytest.raises(InvalidNameError):
        project.get_model_registry().python.create_model(bad)


@pytest.mark.parametrize("bad", [0, -1, "1", None, True, 1.0])
def test_version_is_required_and_positive(project: Project, name: Name, bad: object) -> None:
    with pytest.raises(InvalidNameError, match="version"):
        project.get_feature_store().get_or_create_feature_group(
            name("items"), bad, primary_key=["id"])  # type: ignore[arg-type]


def test_creating_needs_a_primary_key(project: Project, name: Name) -> None:
    with pytest.raises(SchemaError, match="primary key"):
        project.get_feature_store().get_or_create_feature_group(name("items"), 1)


def test_existing_group_with_another_key_is_refused(fg: FeatureGroup,
                                                    project: Project) -> None:
    with pytest.raises(SchemaError, match="new version"):
        project.get_feature_store().get_or_create_feature_group(fg.name, 1,
                                                                primary_key=["other"])


def test_bad_feature_name_in_frame(fg: FeatureGroup) -> None:
    with pytest.raises(InvalidNameError, match="x/y"):
        fg.insert(frame([2], [2.0]).rename(columns={"x": "x/y"}))
    _unchanged(fg)


def test_unknown_backend_lists_the_known(tmp_path: object) -> None:
    with pytest.raises(ConfigurationError, match="local"):
        mlsys.login(backend="nosuch")


def test_bad_time_value(fg: FeatureGroup) -> None:
    with pytest.raises(SchemaError, match="not a date"):
        fg.read(wallclock_time="yesterday-ish")

