"""Recorded, seeded, stratified train/test splits for feature views on Hopsworks.

Why not hsfs's own ``FeatureView.train_test_split``? In hsfs 5.2 the in-memory split takes no
``seed`` (an unknown keyword is swallowed by its ``**kwargs``, and the split then shuffles with
fresh entropy), cannot stratify, and ``get_train_test_split(v)`` re-reads today's data and splits
it again at random. mlsys promises a seeded, stratified split that comes back exactly. So the
adapter:

1. reads the view with hsfs ``training_data()`` — Hopsworks records that as a new
   training-dataset version, so version numbers, provenance and ``create_model(...,
   training_dataset_version=...)`` work as usual;
2. sorts the rows by primary key + event time (Hopsworks returns rows in no fixed order) and
   splits them with scikit-learn's ``train_test_split(random_state=seed, stratify=labels)``,
   as the local backend does;
3. stores the split — a JSON record and the rows themselves as Parquet — through the project's
   dataset API next to Hopsworks' own training data
   (``<project>_Training_Datasets/mlsys/<view>_<version>/<td>.json`` and ``.parquet``), so
   ``get_train_test_split(v)`` returns exactly the same rows and values, in the same order,
   whatever was inserted or updated since (Hopsworks' materialised training datasets keep
   files for the same reason).
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import IntegrityError, SchemaError

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.hopsworks.context import Context

RECORD_DIR = "mlsys"
"""Directory of the records inside the project's ``<project>_Training_Datasets`` dataset."""

SIDE = "__mlsys_side"
"""Column of the stored Parquet file that says which side a row went to."""


@dataclass(frozen=True)
class SplitRecord:
    """What mlsys stores for one training-dataset version of a view (besides its rows)."""

    version: int
    kind: str  # "split" (train_test_split) or "training_data"
    key_columns: list[str]
    train_rows: int
    test_rows: int | None
    test_size: float | None
    seed: int | None
    stratify: bool
    description: str
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return self.train_rows + (self.test_rows or 0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SplitRecord:
        return cls(**json.loads(text))


def _key_value(v: Any) -> Any:
    """A key value as plain JSON data, equal for equal keys."""
    import pandas as pd

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | datetime):
        ts = pd.Timestamp(v)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.isoformat()
    item = getattr(v, "item", None)
    if callable(item):
        v = item()
    if isinstance(v, float) and v.is_integer():
        return int(v)  # Hopsworks may hand an int key back as a double, or the other way
    return v if isinstance(v, bool | int | float | str) else str(v)


def row_keys(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """One JSON text per row of ``frame`` from its ``columns`` (in order)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"the view's rows lack key column(s) {missing}; columns are "
                          f"{list(frame.columns)}")
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [json.dumps([_key_value(v) for v in row]) for row in values]


def canonical_order(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` sorted by its key, so a seeded split does not depend on read order."""
    keys = row_keys(frame, columns)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def split(frame: pd.DataFrame, labels: list[str], test_size: float, seed: int | None,
          stratify: bool, what: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows of ``frame`` (already in canonical order), as the local backend."""
    import numpy as np
    from sklearn.model_selection import train_test_split  # heavy: only when splitting

    if len(frame) < 2:
        raise SchemaError(f"{what} has {len(frame)} row(s); a split needs at least 2")
    strata = frame[labels].astype(str).agg("|".join, axis=1).to_numpy() if stratify else None
    try:
        train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=test_size,
                                               random_state=seed, stratify=strata)
    except ValueError as err:
        raise SchemaError(f"cannot split {what}: {err}") from None
    return frame.iloc[train_idx], frame.iloc[test_idx]


class SplitRecords:
    """The records of one feature view, as files in the project's dataset API."""

    def __init__(self, ctx: Context, view: str, version: int) -> None:
        self._ctx = ctx
        project = getattr(ctx.sdk_project, "name", None) or ctx.config.project
        self.directory = f"{project}_Training_Datasets/{RECORD_DIR}/{view}_{version}"

    def path(self, td_version: int, suffix: str = ".json") -> str:
        return f"{self.directory}/{td_version}{suffix}"

    def _ensure_directory(self) -> None:
        api = self._ctx.dataset_api()
        parts = self.directory.split("/")
        for i in range(2, len(parts) + 1):  # the training datasets dataset always exists
            path = "/".join(parts[:i])
            if not api.exists(path):
                api.mkdir(path)

    def save(self, record: SplitRecord, train: pd.DataFrame,
             test: pd.DataFrame | None) -> None:
        """Upload the rows first and the record last: a record always has its rows."""
        import pandas as pd

        api = self._ctx.dataset_api()
        sides = [train.assign(**{SIDE: "train"})]
        if test is not None:
            sides.append(test.assign(**{SIDE: "test"}))
        rows = pd.concat(sides, ignore_index=True)
        with self._ctx.calls.call(f"record training dataset {record.version}"), \
                tempfile.TemporaryDirectory(prefix="mlsys-split-") as tmp:
            self._ensure_directory()
            data = Path(tmp) / f"{record.version}.parquet"
            rows.to_parquet(data, index=False)
            api.upload(str(data), self.directory, overwrite=True)
            meta = Path(tmp) / f"{record.version}.json"
            meta.write_text(record.to_json())
            api.upload(str(meta), self.directory, overwrite=True)

    def load(self, td_version: int) -> SplitRecord | None:
        api = self._ctx.dataset_api()
        path = self.path(td_version)
        with self._ctx.calls.call(f"read the record of training dataset {td_version}"), \
                tempfile.TemporaryDirectory(prefix="mlsys-split-") as tmp:
            if not api.exists(path):
                return None
            local = api.download(path, tmp, overwrite=True)
            return SplitRecord.from_json(Path(local).read_text())

    def rows(self, record: SplitRecord, what: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The stored train rows and test rows (None for ``training_data``), in order."""
        import pandas as pd

        api = self._ctx.dataset_api()
        path = self.path(record.version, ".parquet")
        with self._ctx.calls.call(f"read the rows of {what}"), \
                tempfile.TemporaryDirectory(prefix="mlsys-split-") as tmp:
            if not api.exists(path):
                raise IntegrityError(f"{what}: its recorded rows {path} are missing; make a new "
                                     "split")
            frame = pd.read_parquet(api.download(path, tmp, overwrite=True))
        sides = frame.pop(SIDE)
        train = frame.loc[(sides == "train").to_numpy()].reset_index(drop=True)
        test = frame.loc[(sides == "test").to_numpy()].reset_index(drop=True)
        if len(train) != record.train_rows or len(test) != (record.test_rows or 0):
            raise IntegrityError(f"{what}: the stored rows ({len(train)} train, {len(test)} "
                                 f"test) do not match its record ({record.train_rows}, "
                                 f"{record.test_rows}); make a new split")
        return train, (test if record.test_rows is not None else None)

    def remove_all(self) -> None:
        api = self._ctx.dataset_api()
        with self._ctx.calls.call(f"remove the split records in {self.directory}"):
            if api.exists(self.directory):
                api.remove(self.directory)
