"""A local feature view: a stored query plus labels; recorded training datasets; serving.

A training-dataset version records the Delta version of every group the query read and the
keys (left primary key + event time) of the rows on each side, in order. Re-reading the
query at those versions and taking those keys gives back exactly the same frames, whatever
was inserted since.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mlsys.errors import ArgumentSchemaError, IntegrityError, NotFoundError
from mlsys.store.api import Feature, FeatureView, Filter, Logic, TimeLike, TrainingDatasetInfo
from mlsys.store.local import filters as flt
from mlsys.store.local.catalog.records import (
    NewTrainingDataset,
    RecordedKeys,
    TrainingDatasetRecord,
    ViewRecord,
)
from mlsys.store.local.context import LocalContext
from mlsys.store.local.query import LocalQuery
from mlsys.store.local.reading import ReadContext
from mlsys.store.local.vectors import VectorLookup
from mlsys.store.rules import splits, views
from mlsys.store.rules.arguments import check_dataframe_type, check_filter, serving_keys_of
from mlsys.store.rules.dataframes import from_pandas
from mlsys.store.rules.times import to_utc

_ORDER = "__mlsys_order"


_ALL_ROWS = b""  # train_keys of a training_data() record: every row the recorded read gives


def _keys_blob(df: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    table = pa.Table.from_pandas(df, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _keys_frame(blob: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(io.BytesIO(blob)).read_all().to_pandas()


_OCCURRENCE = "__mlsys_occurrence"
"""Recorded beside the keys when a key repeats (groups store repeated keys as given): which of
the rows sharing a key, counted in read order (oldest commit first), so a split re-reads
exactly its rows."""


def _recorded_keys(side: pd.DataFrame, keys: list[str]) -> list[str]:
    return [*keys, _OCCURRENCE] if _OCCURRENCE in side.columns else keys


def _with_occurrence(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` with the occurrence column when some key repeats (else unchanged)."""
    if not frame.duplicated(keys).any():
        return frame
    return frame.assign(**{_OCCURRENCE: frame.groupby(keys, sort=False).cumcount().to_numpy()})


class LocalFeatureView(FeatureView):
    """A feature view of the local backend (see :class:`mlsys.store.api.FeatureView`)."""

    def __init__(self, ctx: LocalContext, record: ViewRecord,
                 make_query: Callable[[dict[str, Any]], LocalQuery]) -> None:
        # make_query builds the stored query from its spec (the store looks its groups up);
        # it runs on first use, so listing views does not open their groups.
        self._ctx = ctx
        self._make_query = make_query
        self.id = record.id
        self.name = record.name
        self.version = record.version
        self.labels = list(record.labels)
        self.description = record.description
        self._spec = record.query
        self._query: LocalQuery | None = None
        self._last_td: int | None = None
        self._serving: VectorLookup | None = None

    def __repr__(self) -> str:
        return f"LocalFeatureView({self.name!r}, version={self.version})"

    @property
    def _where(self) -> str:
        return f"feature view {self.name} v{self.version}"

    @property
    def query(self) -> LocalQuery:
        if self._query is None:
            self._query = self._make_query(self._spec)
        return self._query

    @property
    def features(self) -> list[Feature]:
        """The chosen features of the query (labels included); key columns that ``select``
        kept only for joins are not among them, as in hsfs."""
        return self.query.view_features()

    @property
    def primary_keys(self) -> list[str]:
        return self.query.key_outputs()[0]

    def _keys(self) -> list[str]:
        pk, et = self.query.key_outputs()
        return [*pk, *et]

    # -- shaping
    def _x_columns(self, primary_key: bool, event_time: bool) -> list[str]:
        pk, et = self.query.key_outputs()
        return views.x_columns([f.name for f in self.features], self.labels, pk, et,
                               primary_key, event_time)

    def _xy(self, frame: pd.DataFrame, primary_key: bool, event_time: bool
            ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        return views.xy(frame, self._x_columns(primary_key, event_time), self.labels)

    def _frame(self, extra_filter: Filter | Logic | None = None, start: TimeLike = None,
               end: TimeLike = None, versions: dict[str, int | None] | None = None,
               ids: dict[str, str] | None = None,
               ) -> tuple[pd.DataFrame, ReadContext]:
        """The view's rows (with key columns), and what was read: the Delta version (and the
        table identity) of each group; pinned ``versions`` are checked against ``ids``."""
        ctx = ReadContext(versions=versions, expected_ids=ids)
        lo, hi = to_utc(start, "start_time"), to_utc(end, "end_time")
        et = self.query.key_outputs()[1]
        if (lo is not None or hi is not None) and not et:
            raise ArgumentSchemaError(f"feature view {self.name} v{self.version} has no "
                                      "event time, so start_time/end_time cannot filter it")
        extra = check_filter(extra_filter) if extra_filter is not None else None
        # the window and the filter are pushed into the Delta scan, then applied exactly
        frame = self.query.run(ctx, (lo, hi), extra)
        if extra is not None:
            frame = frame.loc[flt.mask(frame, extra)]
        if lo is not None or hi is not None:
            t = frame[et[0]]
            keep = np.ones(len(frame), dtype=bool)
            if lo is not None:
                keep &= (t >= lo).to_numpy()
            if hi is not None:
                keep &= (t < hi).to_numpy()
            if not keep.all():  # the scan kept a superset only at sub-microsecond bounds
                frame = frame.loc[keep]
        return frame.reset_index(drop=True), ctx

    # -- training datasets
    def _record(self, description: str, test_size: float | None, seed: int | None,
                stratify: bool, train: pd.DataFrame, test: pd.DataFrame | None,
                read: ReadContext, extra: dict[str, Any]) -> int:
        keys = self._keys()
        recorded = RecordedKeys(
            # training_data() takes every row of the pinned versions through the recorded
            # filters, so re-reading reproduces it and its keys need not be stored
            _keys_blob(train[_recorded_keys(train, keys)]) if test is not None else _ALL_ROWS,
            _keys_blob(test[_recorded_keys(test, keys)]) if test is not None else None)
        version = self._ctx.catalog.views.add_dataset(self.id, NewTrainingDataset(
            description, test_size, seed, stratify,
            len(train) + (len(test) if test is not None else 0), extra, dict(read.read),
            tuple(keys), dict(read.ids), recorded))
        self._last_td = version
        return version

    def train_test_split(self, test_size: float | None = None, description: str = "",
                         extra_filter: Filter | Logic | None = None,
                         read_options: dict[str, Any] | None = None,
                         primary_key: bool = False, event_time: bool = False,
                         seed: int | None = None, stratify: bool = False, **kwargs: Any,
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        kind = check_dataframe_type(kwargs.get("dataframe_type", "default"))
        fraction = splits.split_arguments(test_size, self.labels, kwargs, self._where)
        frame, read = self._frame(extra_filter)
        train, test = self._split(frame, fraction, seed, stratify)
        self._record(description, fraction, seed, stratify, train, test, read,
                     {"extra_filter": flt.to_spec(extra_filter) if extra_filter else None})
        return views.as_kind(views.split_xy(train, test, self._x_columns(primary_key,
                                                                         event_time),
                                            self.labels), kind)

    def _split(self, frame: pd.DataFrame, test_size: float, seed: int | None,
               stratify: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
        # the one canonical order and split of both backends (see mlsys.store.rules.splits)
        frame = _with_occurrence(splits.canonical_order(frame, self._keys(), self._where),
                                 self._keys())
        return splits.split(frame, self.labels, test_size, seed, stratify, self._where)

    def _pinned(self, record: TrainingDatasetRecord) -> dict[str, Any]:
        """The read a training dataset recorded: pinned versions, and the tables' identities
        (None for a dataset recorded by an older mlsys, which is not checked)."""
        return {"versions": dict(record.table_versions), "ids": record.table_ids}

    def _recorded(self, version: int) -> TrainingDatasetRecord:
        row = self._ctx.catalog.views.dataset(self.id, version)
        if row is None:
            raise NotFoundError(f"training dataset of feature view {self.name} v{self.version}",
                                str(version),
                                [str(t.version) for t in self.get_training_datasets()])
        self._last_td = version
        return row

    def _rows_by_keys(self, frame: pd.DataFrame, record: TrainingDatasetRecord,
                      side: bytes | None) -> pd.DataFrame:
        keys, version = list(record.key_columns), record.version
        assert side is not None  # the caller checked the record is a split
        wanted = _keys_frame(side)
        wanted[_ORDER] = np.arange(len(wanted))
        if _OCCURRENCE in wanted.columns:
            frame = _with_occurrence(frame.sort_values(keys, kind="stable"), keys)
            keys = [*keys, _OCCURRENCE]
        got = wanted.merge(frame, on=keys, how="left", indicator=True)
        missing = int((got["_merge"] != "both").sum())
        if missing:
            raise IntegrityError(
                f"training dataset {version} of feature view {self.name} v{self.version}: "
                f"{missing} recorded row(s) are no longer in the feature groups' history "
                "(were old table versions vacuumed, or a group deleted?)"
            )
        got = got.sort_values(_ORDER, kind="stable")
        return got.drop(columns=[c for c in (_ORDER, "_merge", _OCCURRENCE) if c in got])

    def get_train_test_split(self, training_dataset_version: int,
                             read_options: dict[str, Any] | None = None,
                             primary_key: bool = False, event_time: bool = False,
                             dataframe_type: str = "default",
                             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        kind = check_dataframe_type(dataframe_type)
        v = training_dataset_version
        row = self._recorded(v)
        assert row.keys is not None  # dataset() reads the keys
        if row.keys.test is None:
            raise splits.not_a_split(v, self._where)
        frame, _ = self._frame(**self._pinned(row))
        train = self._rows_by_keys(frame, row, row.keys.train)
        test = self._rows_by_keys(frame, row, row.keys.test)
        return views.as_kind(views.split_xy(train, test, self._x_columns(primary_key,
                                                                         event_time),
                                            self.labels), kind)

    def training_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                      description: str = "", extra_filter: Filter | Logic | None = None,
                      read_options: dict[str, Any] | None = None,
                      primary_key: bool = False, event_time: bool = False,
                      dataframe_type: str = "default",
                      ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        kind = check_dataframe_type(dataframe_type)
        frame, read = self._frame(extra_filter, start_time, end_time)
        self._record(description, None, None, False, frame, None, read,
                     {"extra_filter": flt.to_spec(extra_filter) if extra_filter else None,
                      "start_time": str(to_utc(start_time)) if start_time else None,
                      "end_time": str(to_utc(end_time)) if end_time else None})
        return views.as_kind(self._xy(frame, primary_key, event_time), kind)

    def get_training_data(self, training_dataset_version: int,
                          primary_key: bool = False, event_time: bool = False,
                          ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Exactly the rows a ``training_data()`` (or a split's train side) recorded."""
        row = self._recorded(training_dataset_version)
        assert row.keys is not None  # dataset() reads the keys
        if row.keys.train == _ALL_ROWS:
            extra = row.extra
            spec = extra.get("extra_filter")
            rows, _ = self._frame(flt.from_spec(spec) if spec else None, extra.get("start_time"),
                                  extra.get("end_time"), **self._pinned(row))
        else:
            frame, _ = self._frame(**self._pinned(row))
            rows = self._rows_by_keys(frame, row, row.keys.train)
        return self._xy(rows, primary_key, event_time)

    def get_last_accessed_training_dataset(self) -> int | None:
        return self._last_td

    def get_training_datasets(self) -> list[TrainingDatasetInfo]:
        return [TrainingDatasetInfo(r.version, r.description, r.test_size, r.seed, r.stratify,
                                    r.row_count, datetime.fromisoformat(r.created), r.extra)
                for r in self._ctx.catalog.views.datasets(self.id)]

    # -- batch and online serving
    def get_batch_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                       read_options: dict[str, Any] | None = None,
                       primary_key: bool = False, event_time: bool = False,
                       dataframe_type: str = "default",
                       ) -> pd.DataFrame:
        kind = check_dataframe_type(dataframe_type)
        frame, _ = self._frame(start=start_time, end=end_time)
        return from_pandas(frame[self._x_columns(primary_key, event_time)]
                           .reset_index(drop=True), kind)

    def init_serving(self, training_dataset_version: int | None = None,
                     **kwargs: Any) -> None:
        self._serving = VectorLookup(self.query, self._x_columns(False, False))

    def _server(self) -> VectorLookup:
        if self._serving is None:
            self.init_serving()
        assert self._serving is not None
        return self._serving

    def get_feature_vector(self, serving_keys: dict[str, Any] | None = None,
                           return_type: str = "list", *, entry: dict[str, Any] | None = None,
                           **kwargs: Any) -> list[Any] | pd.DataFrame:
        return self._server().vector(serving_keys_of(serving_keys, entry), return_type,
                                     bool(kwargs.get("allow_missing")))

    def get_feature_vectors(self, serving_keys: list[dict[str, Any]] | None = None,
                            return_type: str = "list", *,
                            entry: list[dict[str, Any]] | None = None,
                            **kwargs: Any) -> list[list[Any]] | pd.DataFrame:
        return self._server().vectors(serving_keys_of(serving_keys, entry), return_type,
                                      bool(kwargs.get("allow_missing")))

    def delete(self) -> None:
        self._ctx.catalog.views.delete(self.id)
