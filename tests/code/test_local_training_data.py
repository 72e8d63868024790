"""Local store: a ``training_data()`` record reproduces its rows without storing their keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import mlsys


def _frame(ids: list[int], days: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "x": [float(i) for i in ids],
                         "ts": pd.to_datetime(days, utc=True),
                         "label": ["a" if i % 2 else "b" for i in ids]})


def test_training_data_is_reproduced_after_later_writes(tmp_path: Path) -> None:
    project = mlsys.login(backend="local", home=tmp_path)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("items", 1, primary_key=["id"], event_time="ts")
    fg.insert(_frame(list(range(20)), [f"2024-01-{1 + i:02d}" for i in range(20)]))
    fv = fs.get_or_create_feature_view("items", 1, fg.select(["x", "label"]), labels=["label"])
    x, y = fv.training_data(start_time="2024-01-05", end_time="2024-01-15",
                            extra_filter=fg.get_feature("x") >= 6.0)
    version = fv.get_last_accessed_training_dataset()
    assert version is not None
    assert sorted(x["x"]) == [float(i) for i in range(6, 14)]
    # later writes (an update inside the window, a new row in it) must not change the record
    fg.insert(_frame([7, 100], ["2024-01-08", "2024-01-10"]).assign(x=[70.0, 100.0]))
    x2, y2 = fv.get_training_data(version)
    pd.testing.assert_frame_equal(x, x2)
    assert y is not None and y2 is not None
    pd.testing.assert_frame_equal(y, y2)
    # the live data did change, so the equality above is not trivial
    x3, _ = fv.training_data(start_time="2024-01-05", end_time="2024-01-15",
                             extra_filter=fg.get_feature("x") >= 6.0)
    assert sorted(x3["x"]) != sorted(x["x"])


def test_an_event_time_window_is_pushed_into_the_delta_scan(tmp_path: Path) -> None:
    """A read with start/end time does not open files outside the window: with the first
    day's file gone, the windowed reads still work, while a full read finds the damage."""
    from mlsys.errors import StoreDamagedError
    from mlsys.store.local import table_log

    project = mlsys.login(backend="local", home=tmp_path)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("daily", 1, primary_key=["id"], event_time="ts")
    days = ["2024-01-01", "2024-01-02", "2024-01-03"]
    for d, day in enumerate(days):  # one commit (one file) per day
        fg.insert(_frame([10 * d + i for i in range(5)], [day] * 5))
    fv = fs.get_or_create_feature_view("daily", 1, fg.select(["x", "label"]), labels=["label"])
    whole = fv.get_batch_data(start_time="2024-01-02", end_time="2024-01-03 12:00",
                              primary_key=True)
    path = getattr(fg, "_path")  # noqa: B009 (the test deletes the table's first file)
    (first,) = table_log.added_files(path, 0)
    (path / first).unlink()
    got = fv.get_batch_data(start_time="2024-01-02", end_time="2024-01-03 12:00",
                            primary_key=True)
    pd.testing.assert_frame_equal(got, whole)
    assert sorted(got["id"]) == [10, 11, 12, 13, 14, 20, 21, 22, 23, 24]
    x, _ = fv.training_data(start_time="2024-01-02")
    assert len(x) == 10
    with pytest.raises(StoreDamagedError):  # the file is really gone: a full read fails
        fv.get_batch_data()
