"""Streamed inserts (issue 18 item 2): a RecordBatchReader, a Polars LazyFrame or Parquet files
land as the same rows as the whole frame, in one commit, and a bad batch anywhere in the stream
(or a key repeated across batches under the strict check) writes nothing."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from contract_data import X_IN_RANGE

from mlsys.errors import DataValidationError, DuplicateKeyWarning, SchemaError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]
BATCH = 500


def _group(project: Project, name: Name, what: str, **kwargs: object) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name(what), version=1, primary_key=["id"], event_time="ts", **kwargs)


def _table(n: int, start: int = 0, seed: int = 0) -> pa.Table:
    """``n`` rows with shuffled ids (so no key column is ordered and the hash check runs)."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(n) + start
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 90, n), "D")
    return pa.table({"id": ids, "ts": pa.array(ts), "x": rng.normal(size=n),
                     "label": [f"c{i % 3}" for i in ids]})


def _reader(table: pa.Table, last: pa.Table | None = None) -> pa.RecordBatchReader:
    """``table`` as a reader of BATCH-row batches, then ``last`` (a bad batch) if given."""
    def batches() -> Iterator[pa.RecordBatch]:
        yield from table.to_batches(max_chunksize=BATCH)
        if last is not None:
            yield from last.to_batches()
    schema = table.schema
    return pa.RecordBatchReader.from_batches(schema, batches())


def _files(table: pa.Table, folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i, batch in enumerate(table.to_batches(max_chunksize=BATCH)):
        paths.append(folder / f"part-{i}.parquet")
        pq.write_table(pa.Table.from_batches([batch]), paths[-1])
    return paths


def _rows(fg: FeatureGroup) -> pd.DataFrame:
    rows = fg.read()
    return rows.sort_values("id").reset_index(drop=True) if len(rows) else rows


def test_a_streamed_insert_equals_the_whole_frame_insert(project: Project, name: Name,
                                                         tmp_path: Path) -> None:
    data = _table(3000)
    whole = _group(project, name, "whole")
    whole.insert(data)
    sources = {"reader": _reader(data), "parquet": _files(data, tmp_path / "p"),
               "lazy": pl.from_arrow(data).lazy()}  # type: ignore[union-attr]
    for what, source in sources.items():
        fg = _group(project, name, f"streamed_{what}")
        job, report = fg.insert(source)
        assert (job.rows, report) == (3000, None), what
        assert len(fg.commit_details()) == 1, what  # one commit for all batches
        assert fg.features == whole.features, what
        pd.testing.assert_frame_equal(fg.read(), whole.read())  # row for row, in insert order
    # a second streamed insert upserts as a frame does: stored keys updated, new ones appended
    update = pa.concat_tables([_table(100, seed=1), _table(100, start=5000, seed=2)])
    for fg in (whole, _group(project, name, "streamed_reader")):
        fg.insert(update if fg is whole else _reader(update))
    pd.testing.assert_frame_equal(_rows(_group(project, name, "streamed_reader")), _rows(whole))


def test_a_bad_batch_late_in_the_stream_writes_nothing(project: Project, name: Name) -> None:
    data = _table(2000)
    fresh, used = _group(project, name, "fresh"), _group(project, name, "used")
    used.insert(_table(10, start=10_000))
    null_key = data.slice(0, 3).set_column(0, "id", pa.array([1, None, 2], pa.int64()))
    # ids as doubles are stored as bigint while they are whole numbers; 0.5 is not
    as_double = data.set_column(0, "id", data.column("id").cast(pa.float64()))
    half = as_double.slice(0, 3).set_column(0, "id", pa.array([0.5, 1.0, 2.0]))
    cases = [(fresh, _reader(data, null_key), "id", SchemaError.NULL_KEY),
             (used, _reader(data, null_key), "id", SchemaError.NULL_KEY),
             (used, _reader(as_double, half), "id", SchemaError.WRONG_TYPE)]
    before = {fg.name: (fg.features, fg.commit_details(), _rows(fg)) for fg in (fresh, used)}
    for fg, source, column, reason in cases:
        with pytest.raises(SchemaError) as info:
            fg.insert(source)
        assert (info.value.column, info.value.reason) == (column, reason), str(info.value)
    used.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="strict")
    in_range = data.set_column(2, "x", pa.array(np.zeros(2000)))
    out_of_range = data.slice(0, 1).set_column(2, "x", pa.array([99.0]))
    with pytest.raises(DataValidationError):  # a suite sees the whole frame (read whole)
        used.insert(_reader(in_range, out_of_range))
    with pytest.raises(DataValidationError):
        used.insert(pl.from_arrow(pa.concat_tables([in_range, out_of_range])).lazy())  # type: ignore[union-attr]
    for fg in (fresh, used):
        features, commits, rows = before[fg.name]
        assert fg.features == features  # the catalog's schema: still unset for the new group
        assert fg.commit_details() == commits  # no new commit
        pd.testing.assert_frame_equal(_rows(fg), rows)
    used.insert(pl.from_arrow(in_range.slice(0, 10)).lazy())  # type: ignore[union-attr]
    assert len(used.commit_details()) == 2  # a good LazyFrame still lands (read whole)


def test_a_key_repeated_across_batches_is_found(project: Project, name: Name,
                                                tmp_path: Path) -> None:
    data = _table(2000)
    repeat = data.slice(1500, 1).set_column(2, "x", pa.array([99.0]))  # row 1500's key again
    twice = pa.concat_tables([data.slice(0, 100), data.slice(100), repeat])  # in the last batch
    files = _files(twice, tmp_path / "p")
    for what, source in (("reader", lambda: _reader(twice)), ("parquet", lambda: files)):
        strict = _group(project, name, f"strict_{what}", reject_duplicate_keys=True)
        with pytest.raises(SchemaError) as info:
            strict.insert(source())
        assert info.value.reason == SchemaError.DUPLICATE_KEY, what
        assert strict.commit_details() == {} and strict.features == [], what
        lenient = _group(project, name, f"lenient_{what}")
        with pytest.warns(DuplicateKeyWarning) as caught:
            job, _ = lenient.insert(source())
        assert len(caught) == 1 and "1 row(s) repeat" in str(caught[0].message), what
        assert job.rows == len(lenient.read()) == 2001, what  # every row, as a frame's
        with warnings.catch_warnings():  # a warnings filter of "error" refuses before the commit
            warnings.simplefilter("error", DuplicateKeyWarning)
            refused = _group(project, name, f"refused_{what}")
            with pytest.raises(DuplicateKeyWarning):
                refused.insert(source())
            assert refused.commit_details() == {}, what


def test_repeated_stream_keys_matching_stored_rows(project: Project, name: Name,
                                                   tmp_path: Path) -> None:
    stored = _table(50)
    repeated = pa.concat_tables([stored.slice(0, 2), stored.slice(0, 1)]).set_column(
        2, "x", pa.array([7.0, 8.0, 9.0]))
    whole, files, reader = (_group(project, name, w) for w in ("whole", "files", "reader"))
    for fg in (whole, files, reader):
        fg.insert(stored)
    with pytest.warns(DuplicateKeyWarning):
        whole.insert(repeated)
    with pytest.warns(DuplicateKeyWarning):  # Parquet is read again, as the whole frame
        files.insert(_files(repeated, tmp_path / "p"))
    pd.testing.assert_frame_equal(_rows(files), _rows(whole))
    before = reader.commit_details()
    if _merge_takes_repeated_matches(tmp_path / "probe"):  # the Hopsworks SDK's deltalake
        with pytest.warns(DuplicateKeyWarning):
            reader.insert(_reader(repeated))  # one MERGE takes them: the reader is read once
        pd.testing.assert_frame_equal(_rows(reader), _rows(whole))
        return
    with pytest.warns(DuplicateKeyWarning), pytest.raises(SchemaError) as info:
        reader.insert(_reader(repeated))  # a one-shot reader cannot be read twice
    assert info.value.reason == SchemaError.DUPLICATE_KEY and "Nothing was written" in str(
        info.value)
    assert reader.commit_details() == before


def _merge_takes_repeated_matches(path: Path) -> bool:
    """Whether this deltalake's MERGE takes several source rows for one stored row (the
    Hopsworks SDK's build, hops-deltalake, does; stock deltalake refuses), asked of deltalake
    itself: which build is installed decides which outcome is right."""
    from deltalake import DeltaTable, write_deltalake
    from deltalake.exceptions import DeltaError

    write_deltalake(str(path), pa.table({"k": [1], "v": [0]}))
    try:
        (DeltaTable(str(path)).merge(pa.table({"k": [1, 1], "v": [1, 2]}), "t.k = s.k",
                                     source_alias="s", target_alias="t")
         .when_matched_update_all().when_not_matched_insert_all().execute())
    except DeltaError as err:
        assert "multiple source rows" in str(err), err
        return False
    return True


def test_an_empty_stream_is_a_no_op(project: Project, name: Name) -> None:
    fg = _group(project, name, "empty")
    empty = _table(0)
    job, _ = fg.insert(pa.RecordBatchReader.from_batches(empty.schema, iter([])))
    assert job.rows == 0 and fg.commit_details() == {}
