"""The catalog's records: small frozen values in and out of every repository (no SQL types).

JSON-shaped fields (a view's query, a model's metrics, a dataset's recorded read) are the
decoded values; a suite stays the JSON text its validation layer wrote, since the catalog
stores it without knowing its format. Times are the ISO text the catalog stores (a group's
``created`` also names its delete folder, so it must round-trip exactly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlsys.store.local.artefacts import FileRecord
from mlsys.store.rules.frames import Column


def now_iso() -> str:
    """The current UTC time as stored in the catalog."""
    return datetime.now(UTC).isoformat()


def dumps(obj: Any) -> str:
    """JSON text as the catalog stores it: sorted keys, anything else as its ``str``."""
    return json.dumps(obj, sort_keys=True, default=str)


@dataclass(frozen=True)
class GroupRecord:
    """One feature-group version."""

    id: int
    name: str
    version: int
    primary_key: tuple[str, ...]
    event_time: str | None
    description: str
    online_enabled: bool
    reject_duplicate_keys: bool
    features: tuple[Column, ...] | None  # None until the first insert fixes the schema
    suite_json: str | None               # the attached suite, as its JSON text
    ingestion_policy: str | None          # ALWAYS / STRICT, with a suite
    run_validation: bool
    created: str
    table_id: str | None                  # the Delta table's metadata id, once recorded


@dataclass(frozen=True)
class NewGroup:
    """What creating a group stores (the catalog adds the id and the creation time)."""

    name: str
    version: int
    primary_key: tuple[str, ...]
    event_time: str | None = None
    description: str = ""
    online_enabled: bool = False
    reject_duplicate_keys: bool = False


@dataclass(frozen=True)
class ReportRecord:
    """One stored validation report of a group; ``body`` is ``ValidationReport.to_dict()``."""

    id: int
    group_id: int
    validation_time: str
    ingestion_result: str
    success: bool
    commit_version: int | None  # the Delta commit an INGESTED report's rows went into
    body: dict[str, Any]


@dataclass(frozen=True)
class TableFileRecord:
    """One data file a commit of a group's table added, as recorded at that commit."""

    path: str  # relative to the table folder
    commit_version: int
    size: int
    sha256: str


@dataclass(frozen=True)
class ViewRecord:
    """One feature-view version."""

    id: int
    name: str
    version: int
    query: dict[str, Any]  # LocalQuery.to_spec()
    labels: tuple[str, ...]
    description: str
    created: str


@dataclass(frozen=True)
class RecordedKeys:
    """The keys of a training dataset's rows, as Arrow IPC bytes, in order."""

    train: bytes          # empty: every row the recorded read gives (training_data())
    test: bytes | None    # None: not a split


@dataclass(frozen=True)
class TrainingDatasetRecord:
    """One training-dataset version of a view; ``keys`` only where a method says so."""

    view_id: int
    version: int
    description: str
    test_size: float | None
    seed: int | None
    stratify: bool
    row_count: int
    created: str
    extra: dict[str, Any]
    table_versions: dict[str, int | None]  # "<fg>_<v>" -> Delta version read
    key_columns: tuple[str, ...]
    table_ids: dict[str, str] | None        # None: recorded by an older mlsys
    keys: RecordedKeys | None = None


@dataclass(frozen=True)
class NewTrainingDataset:
    """What recording a training dataset stores (the catalog picks the version)."""

    description: str
    test_size: float | None
    seed: int | None
    stratify: bool
    row_count: int
    extra: dict[str, Any]
    table_versions: dict[str, int | None]
    key_columns: tuple[str, ...]
    table_ids: dict[str, str]
    keys: RecordedKeys


@dataclass(frozen=True)
class DatasetRead:
    """What one recorded training dataset read, with the view it belongs to."""

    view_name: str
    view_version: int
    version: int
    table_versions: dict[str, int | None]


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version."""

    id: int
    name: str
    version: int
    framework: str
    description: str
    metrics: dict[str, float]
    model_schema: Any
    input_example: Any
    training_dataset_version: int | None
    feature_view: tuple[str, int] | None
    created: str


@dataclass(frozen=True)
class NewModel:
    """What registering a model version stores (the catalog adds the id)."""

    name: str
    version: int
    framework: str
    description: str
    metrics: dict[str, float]
    model_schema: Any
    input_example: Any
    training_dataset_version: int | None
    feature_view: tuple[str, int] | None
    created: str


__all__ = [
    "Column",
    "DatasetRead",
    "FileRecord",
    "GroupRecord",
    "ModelRecord",
    "NewGroup",
    "NewModel",
    "NewTrainingDataset",
    "RecordedKeys",
    "ReportRecord",
    "TableFileRecord",
    "TrainingDatasetRecord",
    "ViewRecord",
    "dumps",
    "now_iso",
]
