"""Pandas, Arrow, Polars and Parquet frames in, pandas, Arrow and Polars frames out (issue 18).

Every input format lands as the same stored rows, and every read of groups, queries and feature
views returns the format asked for with the same rows as the pandas read.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from contract_data import X_IN_RANGE, frame

from mlsys.errors import DataValidationError, DuplicateKeyWarning, MissingExtraError, SchemaError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]
KINDS = {"pandas": pd.DataFrame, "pyarrow": pa.Table, "polars": pl.DataFrame}


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name("formats"), version=1, primary_key=["id"], event_time="ts")


def _pandas(result: Any) -> pd.DataFrame:
    """Any read result as pandas, for comparing formats."""
    if isinstance(result, pd.DataFrame):
        return result
    return result.to_pandas()


def _same(a: Any, b: Any) -> None:
    left, right = _pandas(a), _pandas(b)
    assert list(left.columns) == list(right.columns)
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                  check_dtype=False)


def _inputs(tmp_path: Path) -> dict[str, Any]:
    """One new row per input format (ids 10..), each built without pandas where it can be."""
    def table(i: int) -> pa.Table:
        return pa.table({"id": [i], "ts": pa.array([pd.Timestamp("2024-01-02", tz="UTC")]),
                         "x": [float(i)], "label": [f"c{i % 2}"]})

    pq.write_table(table(14), tmp_path / "one.parquet")
    pq.write_table(table(15), tmp_path / "a.parquet")
    pq.write_table(table(16), tmp_path / "b.parquet")
    t17 = table(17)
    return {
        "pandas": frame([10], [10.0], ["2024-01-02"]),
        "pyarrow.Table": table(11),
        "polars.DataFrame": pl.from_arrow(table(12)),
        "polars.LazyFrame": pl.from_arrow(table(13)).lazy(),  # type: ignore[union-attr]
        "parquet path": str(tmp_path / "one.parquet"),
        "parquet paths": [tmp_path / "a.parquet", tmp_path / "b.parquet"],
        "RecordBatchReader": pa.RecordBatchReader.from_batches(t17.schema, t17.to_batches()),
    }


def test_every_input_format_inserts_the_same_rows(fg: FeatureGroup, tmp_path: Path) -> None:
    for what, data in _inputs(tmp_path).items():
        job, _ = fg.insert(data)
        assert job.rows == (2 if what == "parquet paths" else 1), what
    got = fg.read().sort_values("id").reset_index(drop=True)
    assert got["id"].tolist() == list(range(10, 18))
    assert got["x"].tolist() == [float(i) for i in range(10, 18)]
    assert {str(t) for t in got.dtypes} >= {"int64", "float64"}
    assert str(got["ts"].dtype).startswith("datetime64") and got["ts"].dt.tz is not None


def test_arrow_first_insert_fixes_the_same_schema_as_pandas(project: Project, name: Name,
                                                            fg: FeatureGroup) -> None:
    fg.insert(pa.Table.from_pandas(frame([1, 2], [1.0, 2.0]), preserve_index=False))
    other = project.get_feature_store().get_or_create_feature_group(
        name("formats_pandas"), version=1, primary_key=["id"], event_time="ts")
    other.insert(frame([1, 2], [1.0, 2.0]))
    assert fg.features == other.features
    # narrower Arrow types are cast to the group's types, as pandas dtypes are
    fg.insert(pa.table({"id": pa.array([3], pa.int32()), "ts": pa.array(
        [pd.Timestamp("2024-01-03")]), "x": pa.array([3], pa.int16()), "label": ["c1"]}))
    _same(fg.read(dataframe_type="pyarrow").schema.empty_table(),
          other.read(dataframe_type="pyarrow").schema.empty_table())
    assert fg.read()["x"].tolist()[-1] == 3.0


def test_every_read_returns_the_format_asked_for(project: Project, name: Name,
                                                 fg: FeatureGroup) -> None:
    fg.insert(frame([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0]))
    fv = project.get_feature_store().get_or_create_feature_view(
        name("formats_view"), 1, fg.select(["x", "label"]), labels=["label"])
    reads: dict[str, Callable[[str], Any]] = {
        "fg.read": lambda k: fg.read(dataframe_type=k),
        "query.read": lambda k: fg.select(["x"]).read(dataframe_type=k),
        "get_batch_data": lambda k: fv.get_batch_data(dataframe_type=k),
        "training_data": lambda k: fv.training_data(dataframe_type=k),
        "train_test_split": lambda k: fv.train_test_split(test_size=0.5, seed=1,
                                                          dataframe_type=k),
        "get_train_test_split": lambda k: fv.get_train_test_split(
            fv.get_last_accessed_training_dataset() or 1, dataframe_type=k),
    }
    for what, read in reads.items():
        want = read("pandas")
        for kind, cls in KINDS.items():
            got = read(kind)
            if isinstance(want, tuple):
                assert len(got) == len(want), what
                for g, w in zip(got, want, strict=True):
                    assert isinstance(g, cls), (what, kind, type(g))
                    _same(g, w)
            else:
                assert isinstance(got, cls), (what, kind, type(got))
                _same(got, want)


def test_empty_group_reads_empty_frames_of_each_format(fg: FeatureGroup) -> None:
    for kind, cls in KINDS.items():
        got = fg.read(dataframe_type=kind)
        assert isinstance(got, cls) and len(got) == 0, kind


def test_a_rejected_arrow_insert_writes_nothing(fg: FeatureGroup) -> None:
    fg.insert(frame([1, 2], [1.0, 2.0]))
    good = pa.table({"id": [3], "ts": pa.array([pd.Timestamp("2024-01-01", tz="UTC")]),
                     "x": [3.0], "label": ["c1"]})
    misfits = [
        (good.set_column(2, "x", pa.array(["three"])), "x", SchemaError.WRONG_TYPE),
        (good.set_column(0, "id", pa.array([None], pa.int64())), "id", SchemaError.NULL_KEY),
        (good.set_column(2, "x", pa.array([float("nan")])).drop_columns(["label"]), "label",
         SchemaError.MISSING_COLUMN),
        (good.append_column("colour", pa.array(["red"])), "colour", SchemaError.EXTRA_COLUMN),
    ]
    for bad, column, reason in misfits:
        with pytest.raises(SchemaError) as info:
            fg.insert(bad)
        assert (info.value.column, info.value.reason) == (column, reason), str(info.value)
    twice = pa.concat_tables([good, good])
    with pytest.raises(SchemaError) as info:
        fg.insert(twice, write_options={"reject_duplicate_keys": True})
    assert info.value.reason == SchemaError.DUPLICATE_KEY
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="strict")
    with pytest.raises(DataValidationError):
        fg.insert(pl.from_arrow(good.set_column(2, "x", pa.array([99.0]))))
    assert sorted(fg.read()["id"]) == [1, 2]  # nothing was written
    assert len(fg.commit_details()) == 1


def test_a_suite_validates_arrow_and_polars_inserts(fg: FeatureGroup) -> None:
    fg.insert(frame([1], [1.0]))
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="always")
    t = pa.table({"id": [2, 3], "ts": pa.array([pd.Timestamp("2024-01-01", tz="UTC")] * 2),
                  "x": [2.0, 42.0], "label": ["c0", "c1"]})
    _, report = fg.insert(t)
    assert report is not None and not report.success  # 42 is out of range: counted, written
    _, report = fg.insert(pl.from_arrow(t.slice(0, 1)))
    assert report is not None and report.success
    assert sorted(fg.read()["id"]) == [1, 2, 3]


def test_bad_parquet_paths_are_schema_errors_naming_them(fg: FeatureGroup,
                                                         tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    not_parquet = tmp_path / "text.parquet"
    not_parquet.write_text("not parquet", encoding="utf-8")
    for bad in (str(missing), [missing], str(not_parquet)):
        with pytest.raises(SchemaError) as info:
            fg.insert(bad)
        assert info.value.reason == SchemaError.NOT_A_FRAME
        assert "parquet" in str(info.value).lower()
    with pytest.raises(SchemaError, match="expects a pandas DataFrame"):
        fg.insert(42)  # type: ignore[arg-type]
    assert len(fg.read()) == 0


def test_polars_read_without_polars_names_the_extra(fg: FeatureGroup,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fg.insert(frame([1], [1.0]))
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars now fails
    with pytest.raises(MissingExtraError, match=r"mlsys\[polars\]"):
        fg.read(dataframe_type="polars")
    assert isinstance(fg.read(dataframe_type="pyarrow"), pa.Table)  # Arrow needs no polars


def test_repeated_keys_of_arrow_frames_are_counted_as_for_pandas(fg: FeatureGroup) -> None:
    ts = pd.Timestamp("2024-01-01", tz="UTC")
    # ids rise strictly in the first, so no key can repeat; the second repeats (2, ts) once
    rising = pa.table({"id": [1, 2, 3], "ts": pa.array([ts] * 3), "x": [1.0, 2.0, 3.0],
                       "label": ["c1", "c0", "c1"]})
    fg.insert(rising)
    again = pa.table({"id": [5, 2, 2], "ts": pa.array([ts] * 3), "x": [5.0, 6.0, 7.0],
                      "label": ["c1", "c0", "c0"]})
    with pytest.warns(DuplicateKeyWarning, match=r"\b1 row\(s\) repeat"):
        fg.insert(again)
    assert sorted(fg.read()["id"]) == [1, 2, 2, 3, 5]
