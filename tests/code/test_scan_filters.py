"""Filters pushed into the Delta scan (mlsys.store.local.scan_filters) keep exactly the rows the
filter keeps on the whole frame, and let a read skip files the filter excludes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsys
from mlsys.errors import StoreDamagedError
from mlsys.store.api import Filter
from mlsys.store.local import filters as flt
from mlsys.store.local import table_log


def _frame(day: int) -> pd.DataFrame:
    ids = [10 * day + i for i in range(5)]
    x = [float(i) if i % 10 != 3 else np.nan for i in ids]  # one null per file
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        [day * 86400 + i * 60 for i in range(5)], unit="s")
    return pd.DataFrame({"id": ids, "ts": ts, "x": x, "label": [f"c{i % 3}" for i in ids],
                         "flag": [i % 2 == 0 for i in ids]})


@pytest.fixture
def fg(tmp_path: Path):  # type: ignore[no-untyped-def]
    fs = mlsys.login(backend="local", home=tmp_path).get_feature_store()
    group = fs.get_or_create_feature_group("f", 1, primary_key=["id"], event_time="ts")
    for day in range(3):  # one file per day, disjoint id, x and ts ranges
        group.insert(_frame(day))
    return group


FILTERS = [
    Filter("x", ">=", 10), Filter("x", "<", 12.5), Filter("x", "!=", 11.0),
    Filter("x", "==", 21.0), Filter("id", "in", [1, 12, 25]), Filter("id", ">", 3),
    Filter("label", "==", "c1"), Filter("label", "in", ["c0", "c2"]),
    Filter("label", "like", "c%"), Filter("flag", "==", True),
    Filter("ts", ">=", "2024-01-02"), Filter("ts", "<", "2024-01-02 00:01:00.0000005"),
    Filter("ts", "==", "2024-01-03 00:02:00"), Filter("ts", ">", "2024-01-02 00:02:00.0000001"),
    Filter("x", ">", 2) & Filter("label", "!=", "c0"),
    Filter("x", "<", 2) | Filter("ts", ">=", "2024-01-03"),
    Filter("x", "<", 2) | Filter("label", "like", "%2"),
]


@pytest.mark.parametrize("f", FILTERS, ids=[str(flt.to_spec(f)) for f in FILTERS])
def test_a_pushed_filter_keeps_the_rows_of_the_exact_filter(fg, f) -> None:  # type: ignore[no-untyped-def]
    whole = fg.read()
    expected = whole.loc[flt.mask(whole, f)].reset_index(drop=True)
    got = fg.select_all().filter(f).read()
    pd.testing.assert_frame_equal(got, expected)


def test_a_pushed_filter_skips_the_files_it_excludes(fg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fs = mlsys.login(backend="local", home=tmp_path).get_feature_store()
    fv = fs.get_or_create_feature_view("f", 1, fg.select(["x", "label"]))
    path = getattr(fg, "_path")  # noqa: B009 (the test deletes the table's first file)
    (first,) = table_log.added_files(path, 0)
    (path / first).unlink()
    rows = fg.select_all().filter(fg.get_feature("x") >= 10).read()
    assert sorted(rows["id"]) == [10, 11, 12, 14, 20, 21, 22, 24]  # 13 and 23: null x
    x, _ = fv.training_data(extra_filter=fg.get_feature("id") >= 20)
    assert len(x) == 5
    with pytest.raises(StoreDamagedError):  # the file is really gone: an unfiltered read fails
        fg.select_all().filter(fg.get_feature("x") >= 0).read()
