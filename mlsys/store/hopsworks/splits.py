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
   splits them with the split both backends share (:mod:`mlsys.store.rules.splits`), so the
   same seed picks the same rows as on the local backend;
3. stores the split — a JSON record and the rows themselves as Parquet — through the project's
   dataset API next to Hopsworks' own training data
   (``<project>_Training_Datasets/mlsys/<view>_<version>/<td>.json`` and ``.parquet``), so
   ``get_train_test_split(v)`` returns exactly the same rows and values, in the same order,
   whatever was inserted or updated since (Hopsworks' materialised training datasets keep
   files for the same reason).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import IntegrityError

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
