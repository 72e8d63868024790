"""A feature view on Hopsworks: ``hsfs.feature_view.FeatureView`` behind the mlsys contract.

Splits are made by mlsys on top of hsfs ``training_data()`` and recorded in the dataset API
(see :mod:`mlsys.store.hopsworks.splits` for why). Batch data, online serving and the
training-dataset bookkeeping are hsfs's own.
"""

from __future__ import annotations

import functools
import inspect
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlsys.errors import ArgumentSchemaError, MlsysError, NotFoundError
from mlsys.names import feature_name
from mlsys.store.api import (
    Feature,
    FeatureView,
    Filter,
    Logic,
    Query,
    TimeLike,
    TrainingDatasetInfo,
)
from mlsys.store.hopsworks import splits
from mlsys.store.hopsworks.query import HopsworksQuery, Recipe, feature_from_sdk, to_sdk_filter
from mlsys.store.rules import splits as split_rules
from mlsys.store.rules import views
from mlsys.store.rules.arguments import check_dataframe_type, serving_keys_of
from mlsys.store.rules.dataframes import from_pandas
from mlsys.store.rules.times import utc

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.hopsworks.context import Context

_MISSING_VECTOR = "is missing from vector"


@functools.cache
def _serving_keys_name(method: Any) -> str:
    """hsfs 5 calls the entry argument ``serving_keys`` (``entry`` is deprecated); 4.x ``entry``."""
    return "serving_keys" if "serving_keys" in inspect.signature(method).parameters else "entry"


class HopsworksFeatureView(FeatureView):
    """See the module docstring; ``sdk`` is the wrapped hsfs object (an escape hatch)."""

    def __init__(self, sdk: Any, ctx: Context) -> None:
        self.sdk = sdk
        self._ctx = ctx
        self._records = splits.SplitRecords(ctx, self.name, self.version)

    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.sdk.name)

    @property
    def version(self) -> int:  # type: ignore[override]
        return int(self.sdk.version)

    @property
    def labels(self) -> list[str]:  # type: ignore[override]
        return [str(x) for x in (self.sdk.labels or [])]

    @property
    def description(self) -> str:  # type: ignore[override]
        return str(self.sdk.description or "")

    @property
    def _where(self) -> str:
        return f"feature view {self.name} v{self.version}"

    def __repr__(self) -> str:
        return f"HopsworksFeatureView({self.name!r}, version={self.version})"

    @property
    def query(self) -> Query:
        return HopsworksQuery(Recipe(self.sdk.query, ""), self._ctx)

    @property
    def features(self) -> list[Feature]:
        return [feature_from_sdk(f) for f in (self.sdk.features or [])]

    def _left_group(self) -> Any:
        # the left group carries the view's key; hsfs's public ``featuregroups`` is unordered
        return self.sdk.query._left_feature_group

    @property
    def primary_keys(self) -> list[str]:
        return [str(k) for k in (self._left_group().primary_key or [])]

    def _key_columns(self) -> tuple[list[str], list[str]]:
        et = self._left_group().event_time
        return self.primary_keys, [str(et)] if et else []

    # ------------------------------------------------------------------ shaping
    def _x_columns(self, primary_key: bool, event_time: bool) -> list[str]:
        pk, et = self._key_columns()
        return views.x_columns([f.name for f in self.features], self.labels, pk, et,
                               primary_key, event_time)

    def _plain_keys(self, frame: pd.DataFrame) -> pd.DataFrame:
        """hsfs names a key that is not a feature of the view ``<project>_<group>_<version>_
        <key>``; give it back its own name."""
        pk, et = self._key_columns()
        left = self._left_group()
        renames = {}
        for key in [*pk, *et]:
            if key in frame.columns:
                continue
            suffix = f"_{left.name}_{left.version}_{key}"
            found = [c for c in frame.columns if str(c).endswith(suffix)]
            if len(found) == 1:
                renames[found[0]] = key
        return frame.rename(columns=renames) if renames else frame

    def _xy(self, frame: pd.DataFrame, primary_key: bool, event_time: bool,
            ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        return views.xy(frame, self._x_columns(primary_key, event_time), self.labels)

    def _frame(self, x: pd.DataFrame, y: pd.DataFrame | None) -> pd.DataFrame:
        import pandas as pd

        if y is None or len(y.columns) == 0:
            return self._plain_keys(x.reset_index(drop=True))
        frame = pd.concat([x.reset_index(drop=True), y.reset_index(drop=True)], axis=1)
        return self._plain_keys(frame)

    def _sdk_filter(self, f: Filter | Logic | None) -> Any:
        if f is None:
            return None
        with self._ctx.calls.call(f"filter {self._where}"):
            return to_sdk_filter(self.sdk.query, f)

    def _read_all(self, what: str, **kwargs: Any) -> tuple[pd.DataFrame, int]:
        """hsfs ``training_data`` with key columns: the rows and the new dataset version."""
        x, y = self._ctx.calls.run(what, self.sdk.training_data, primary_key=True,
                                   event_time=True, **kwargs)
        version = self._ctx.calls.run(what, self.sdk.get_last_accessed_training_dataset)
        return self._frame(x, y), int(version)

    # ------------------------------------------------------------------ training data
    def train_test_split(self, test_size: float | None = None, description: str = "",
                         extra_filter: Filter | Logic | None = None,
                         read_options: dict[str, Any] | None = None,
                         primary_key: bool = False, event_time: bool = False,
                         seed: int | None = None, stratify: bool = False, **kwargs: Any,
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        kind = check_dataframe_type(kwargs.get("dataframe_type", "default"))
        fraction = split_rules.split_arguments(
            test_size, self.labels, kwargs, self._where,
            " (for a time-based split call fv.sdk.train_test_split directly)")
        pk, et = self._key_columns()
        keys = [*pk, *et]
        frame, version = self._read_all(
            f"read {self._where} for a split", description=description,
            extra_filter=self._sdk_filter(extra_filter), read_options=read_options)
        frame = split_rules.canonical_order(frame, keys, self._where)
        train, test = split_rules.split(frame, self.labels, fraction, seed, stratify,
                                        self._where)
        self._records.save(splits.SplitRecord(
            version=version, kind="split", key_columns=keys, train_rows=len(train),
            test_rows=len(test), test_size=fraction, seed=seed,
            stratify=bool(stratify), description=description), train, test)
        return views.as_kind(views.split_xy(train, test, self._x_columns(primary_key,
                                                                         event_time),
                                            self.labels), kind)

    def _recorded(self, version: int) -> splits.SplitRecord | None:
        return self._records.load(version)

    def get_train_test_split(self, training_dataset_version: int,
                             read_options: dict[str, Any] | None = None,
                             primary_key: bool = False, event_time: bool = False,
                             dataframe_type: str = "default",
                             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        kind = check_dataframe_type(dataframe_type)
        v = int(training_dataset_version)
        record = self._recorded(v)
        if record is None:  # made outside mlsys: hsfs's own split of that version
            return views.as_kind(self._ctx.calls.run(
                f"read training dataset {v} of {self._where}", self.sdk.get_train_test_split, v,
                read_options=read_options, primary_key=primary_key, event_time=event_time),
                kind)
        if record.kind != "split":
            raise split_rules.not_a_split(v, self._where)
        train, test = self._records.rows(record, f"training dataset {v} of {self._where}")
        assert test is not None  # a split has a test side
        self.sdk.update_last_accessed_training_dataset(v)  # provenance, as hsfs does
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
        pk, et = self._key_columns()
        frame, version = self._read_all(
            f"read {self._where}", start_time=utc(start_time, "start_time"),
            end_time=utc(end_time, "end_time"),
            description=description, extra_filter=self._sdk_filter(extra_filter),
            read_options=read_options)
        frame = split_rules.canonical_order(frame, [*pk, *et], self._where)
        self._records.save(splits.SplitRecord(
            version=version, kind="training_data", key_columns=[*pk, *et],
            train_rows=len(frame), test_rows=None, test_size=None, seed=None, stratify=False,
            description=description,
            extra={"start_time": str(start_time) if start_time else None,
                   "end_time": str(end_time) if end_time else None}), frame, None)
        return views.as_kind(self._xy(frame, primary_key, event_time), kind)

    def get_training_data(self, training_dataset_version: int,
                          primary_key: bool = False, event_time: bool = False,
                          ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Exactly the rows a ``training_data()`` (or a split's train side) recorded."""
        v = int(training_dataset_version)
        record = self._recorded(v)
        if record is None:  # made outside mlsys
            x, y = self._ctx.calls.run(f"read training dataset {v} of {self._where}",
                                       self.sdk.get_training_data, v, primary_key=True,
                                       event_time=True)
            return self._xy(self._frame(x, y), primary_key, event_time)
        rows, _ = self._records.rows(record, f"training dataset {v} of {self._where}")
        self.sdk.update_last_accessed_training_dataset(v)
        return self._xy(rows, primary_key, event_time)

    def get_last_accessed_training_dataset(self) -> int | None:
        found = self.sdk.get_last_accessed_training_dataset()
        return None if found is None else int(found)

    def get_training_datasets(self) -> list[TrainingDatasetInfo]:
        found = self._ctx.calls.run(f"list the training datasets of {self._where}",
                                    self.sdk.get_training_datasets)
        out = []
        for td in sorted(found or [], key=lambda t: int(t.version)):
            record = self._recorded(int(td.version))
            if record is not None:
                out.append(TrainingDatasetInfo(
                    int(td.version), record.description, record.test_size, record.seed,
                    record.stratify, record.row_count, datetime.fromisoformat(record.created),
                    dict(record.extra)))
            else:
                out.append(TrainingDatasetInfo(
                    int(td.version), str(td.description or ""), td.test_size, td.seed, False,
                    0, datetime.fromtimestamp(0, UTC), {"recorded_by": "hopsworks"}))
        return out

    # ------------------------------------------------------------------ serving
    def get_batch_data(self, start_time: TimeLike = None, end_time: TimeLike = None,
                       read_options: dict[str, Any] | None = None,
                       primary_key: bool = False, event_time: bool = False,
                       dataframe_type: str = "default",
                       ) -> pd.DataFrame:
        kind = check_dataframe_type(dataframe_type)
        batch = self._ctx.calls.run(f"read batch data of {self._where}", self.sdk.get_batch_data,
                                    start_time=utc(start_time, "start_time"),
                                    end_time=utc(end_time, "end_time"),
                                    read_options=read_options, primary_key=primary_key,
                                    event_time=event_time)
        batch = self._plain_keys(batch)
        return from_pandas(batch[self._x_columns(primary_key, event_time)]
                           .reset_index(drop=True), kind)

    def init_serving(self, training_dataset_version: int | None = None,
                     **kwargs: Any) -> None:
        self._ctx.calls.run(f"prepare online serving of {self._where}", self.sdk.init_serving,
                            training_dataset_version=training_dataset_version, **kwargs)

    def _vector(self, method: Any, entry: Any, return_type: str, kwargs: dict[str, Any]) -> Any:
        key = _serving_keys_name(getattr(method, "__func__", method))  # cache per function
        try:
            found = self._ctx.calls.run(f"look up features of {self._where}", method,
                                        **{key: entry}, return_type=return_type, **kwargs)
        except MlsysError as err:
            if _MISSING_VECTOR not in str(err):
                raise
            raise NotFoundError("feature vector for primary key", repr(entry), []) from None
        if found is None:
            raise NotFoundError("feature vector for primary key", repr(entry), [])
        return found

    def _entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Normalised key names; a missing primary key is refused as on the local backend."""
        if not isinstance(entry, dict):
            raise ArgumentSchemaError(f"entry {entry!r} must be a dict of primary key -> value, "
                                      f"e.g. { {k: 1 for k in self.primary_keys} }")
        out = {feature_name(k): v for k, v in entry.items()}
        missing = [k for k in self.primary_keys if k not in out]
        if missing:
            raise ArgumentSchemaError(f"entry {entry!r} lacks primary key(s) {missing}; give "
                                      f"{ {k: '...' for k in self.primary_keys} }",
                                      column=missing[0])
        return out

    def get_feature_vector(self, serving_keys: dict[str, Any] | None = None,
                           return_type: str = "list", *, entry: dict[str, Any] | None = None,
                           **kwargs: Any) -> list[Any] | pd.DataFrame:
        keys = self._entry(serving_keys_of(serving_keys, entry))
        return self._vector(self.sdk.get_feature_vector, keys, return_type, kwargs)

    def get_feature_vectors(self, serving_keys: list[dict[str, Any]] | None = None,
                            return_type: str = "list", *,
                            entry: list[dict[str, Any]] | None = None,
                            **kwargs: Any) -> list[list[Any]] | pd.DataFrame:
        entries = [self._entry(e) for e in serving_keys_of(serving_keys, entry)]
        return self._vector(self.sdk.get_feature_vectors, entries, return_type, kwargs)

    def delete(self) -> None:
        self._ctx.calls.run(f"delete {self._where}", self.sdk.delete)
        self._records.remove_all()
