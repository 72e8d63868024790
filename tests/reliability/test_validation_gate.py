"""The validation gate: what STRICT and ALWAYS do with every kind of failing frame.

The groups carry the Iris system's real expectation suite (``expectations/iris.json``); the STRICT
one is made by the pipelines' own ``feature_group()``. Bad frames are real flowers with one
defect each. STRICT: DataValidationError, nothing written, a REJECTED report stored. ALWAYS: the
rows land and an INGESTED report lists the failure. Frames that do not fit the group's schema
(wrong type, missing column, bad key) are refused by the schema check before validation:
SchemaError, nothing written (the store contract).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsys
from mlsys.errors import DataValidationError, MlsysError, SchemaError
from mlsys.pipelines.common import feature_group
from mlsys.store.api import FeatureGroup, Project
from mlsys.systems import get_system
from mlsys.validation.suite_io import load_suite_file

IRIS = get_system("iris")
Mutation = Callable[[pd.DataFrame], pd.DataFrame]


def _set(column: str, value: object) -> Mutation:
    """Set ``column`` of the last row to ``value`` (the column's dtype follows the values)."""
    def mutate(df: pd.DataFrame) -> pd.DataFrame:
        values = df[column].tolist()
        values[-1] = value
        return df.assign(**{column: pd.Series(values, index=df.index)})
    return mutate


def _same_id_twice(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[out.index[-1], "flower_id"] = out["flower_id"].iloc[0]
    out.loc[out.index[-1], "event_time"] = out["event_time"].iloc[0] + timedelta(days=1)
    return out


@dataclass(frozen=True)
class Defect:
    name: str
    mutate: Mutation
    expectation: str  # the expectation type that must fail
    column: str


DEFECTS = [
    Defect("negative size", _set("sepal_length", -1.0), "expect_column_values_to_be_between",
           "sepal_length"),
    Defect("zero size", _set("petal_width", 0.0), "expect_column_values_to_be_between",
           "petal_width"),
    Defect("absurd size", _set("petal_length", 100.0), "expect_column_values_to_be_between",
           "petal_length"),
    Defect("infinite size", _set("sepal_width", np.inf), "expect_column_values_to_be_between",
           "sepal_width"),
    Defect("null measurement", _set("petal_width", np.nan),
           "expect_column_values_to_not_be_null", "petal_width"),
    Defect("null label", _set("variety", None), "expect_column_values_to_not_be_null",
           "variety"),
    Defect("unknown class", _set("variety", "Rose"), "expect_column_values_to_be_in_set",
           "variety"),
    Defect("class in the wrong case", _set("variety", "setosa"),
           "expect_column_values_to_be_in_set", "variety"),
    Defect("negative id", _set("flower_id", -5), "expect_column_values_to_be_between",
           "flower_id"),
    Defect("id past the last day", _set("flower_id", 99991232),
           "expect_column_values_to_be_between", "flower_id"),
    Defect("one flower twice at two times", _same_id_twice,
           "expect_column_values_to_be_unique", "flower_id"),
]

SCHEMA_DEFECTS: dict[str, Mutation] = {
    "text in a number column": _set("sepal_length", "5.1"),
    "fractional id": _set("flower_id", 1.5),
    "number in the label column": lambda df: df.assign(variety=1),
    "missing column": lambda df: df.drop(columns=["petal_width"]),
    "extra column": lambda df: df.assign(colour="blue"),
    "duplicate key": lambda df: pd.concat([df, df.tail(1)], ignore_index=True),
    "null key": _set("flower_id", np.nan),
    "null event time": _set("event_time", pd.NaT),
}


def flowers(case: int, n: int = 8) -> pd.DataFrame:
    """``n`` real flowers under fresh ids (one block per case, so cases never share keys)."""
    real = IRIS.load().sample(n, random_state=case).reset_index(drop=True)
    return real.assign(flower_id=np.arange(1000 + 100 * case, 1000 + 100 * case + n))


@dataclass
class Store:
    project: Project
    strict: FeatureGroup
    always: FeatureGroup


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    project = mlsys.login(home=tmp_path_factory.mktemp("gate"))
    strict = feature_group(project, IRIS)  # the pipelines' group: suite attached STRICT
    strict.insert(IRIS.load().head(20))
    # strict keys as the pipelines' groups have them: a repeated key is a schema defect here
    always = project.get_feature_store().get_or_create_feature_group(
        "iris_always", 1, primary_key=[IRIS.primary_key[0]], event_time=IRIS.event_time,
        reject_duplicate_keys=True)
    always.save_expectation_suite(load_suite_file(IRIS.suite_file),
                                  validation_ingestion_policy="always")
    always.insert(IRIS.load().head(20))
    yield Store(project, strict, always)
    project.close()


def _state(fg: FeatureGroup) -> tuple[int, pd.DataFrame]:
    rows = fg.read().sort_values("flower_id").reset_index(drop=True)
    return len(fg.commit_details()), rows


def _failed(report: object, d: Defect) -> bool:
    return any(r.expectation_type == d.expectation and r.column == d.column
               for r in report.failures)  # type: ignore[attr-defined]


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_strict_rejects_and_stores_a_rejected_report(store: Store, defect: Defect) -> None:
    fg = store.strict
    before = _state(fg)
    bad = defect.mutate(flowers(DEFECTS.index(defect)))
    with pytest.raises(DataValidationError) as info:
        fg.insert(bad)
    commits, rows = _state(fg)
    assert commits == before[0], "a rejected insert made a commit"
    pd.testing.assert_frame_equal(rows, before[1])
    assert defect.column in str(info.value) and "STRICT" in str(info.value)

    report = info.value.report
    latest = fg.get_latest_validation_report()
    assert latest is not None and report is not None
    assert latest.id == report.id and latest.ingestion_result == "REJECTED"
    assert not latest.success and latest.row_count == len(bad)
    assert _failed(latest, defect), latest.describe_failures()


def test_strict_rejects_a_whole_frame_for_one_bad_row(store: Store) -> None:
    fg = store.strict
    before = _state(fg)
    bad = _set("petal_length", -3.0)(flowers(50, n=40))
    with pytest.raises(DataValidationError):
        fg.insert(bad)
    assert _state(fg)[0] == before[0]
    assert not set(bad["flower_id"]) & set(fg.read()["flower_id"])


@pytest.mark.parametrize("defect", DEFECTS, ids=[d.name for d in DEFECTS])
def test_always_writes_and_reports_the_failure(store: Store, defect: Defect) -> None:
    fg = store.always
    commits = len(fg.commit_details())
    bad = defect.mutate(flowers(DEFECTS.index(defect)))
    job, report = fg.insert(bad)
    assert job.rows == len(bad) and len(fg.commit_details()) == commits + 1
    assert report is not None and not report.success and report.ingestion_result == "INGESTED"
    assert _failed(report, defect)
    latest = fg.get_latest_validation_report()
    assert latest is not None and latest.id == report.id and latest.ingestion_result == "INGESTED"
    keys = set(zip(bad["flower_id"], pd.to_datetime(bad["event_time"], utc=True), strict=True))
    rows = fg.read()
    stored = set(zip(rows["flower_id"], pd.to_datetime(rows["event_time"], utc=True),
                     strict=True))
    assert keys <= stored, "ALWAYS did not write every row"


@pytest.mark.parametrize("policy", ["strict", "always"])
@pytest.mark.parametrize("name", list(SCHEMA_DEFECTS))
def test_frames_off_the_schema_are_refused_under_both_policies(store: Store, name: str,
                                                               policy: str) -> None:
    fg = store.strict if policy == "strict" else store.always
    before = _state(fg)
    reports = len(fg.get_all_validation_reports())
    with pytest.raises(SchemaError) as info:
        fg.insert(SCHEMA_DEFECTS[name](flowers(60 + list(SCHEMA_DEFECTS).index(name))))
    assert "feature group" in str(info.value)
    commits, rows = _state(fg)
    assert commits == before[0]
    pd.testing.assert_frame_equal(rows, before[1])
    assert len(fg.get_all_validation_reports()) == reports  # refused before validation


@pytest.mark.parametrize("name", ["text in a number column", "number in the label column"])
def test_rejected_first_insert_fixes_no_schema(tmp_path: Path, name: str) -> None:
    """On an empty STRICT group a wrongly typed frame fails the suite and fixes no schema."""
    project = mlsys.login(home=tmp_path)
    fg = feature_group(project, IRIS)
    with pytest.raises(MlsysError):
        fg.insert(SCHEMA_DEFECTS[name](flowers(0)))
    assert fg.features == [] and fg.read().empty and fg.commit_details() == {}
    good = flowers(1)
    fg.insert(good)  # the schema comes from the first frame that is written
    assert [f.name for f in fg.features] == list(good.columns)
    assert {f.name: f.type for f in fg.features}["sepal_length"] == "double"
