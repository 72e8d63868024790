"""Delta Lake I/O of feature-group tables: create, merge (upsert), overwrite, read, time travel.

Every write is one Delta commit: readers see the table before or after it. Files of a write
that dies before its commit are never referenced by the log, so they are invisible.
Callers serialise writers of one table (``locks.file_lock``), so a MERGE never conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

__all__ = ["TableNotFoundError"]  # re-exported: callers catch a missing table by this name


def exists(path: Path) -> bool:
    """Whether a committed Delta table is at ``path``."""
    return DeltaTable.is_deltatable(str(path))


def open_table(path: Path, version: int | None = None) -> DeltaTable:
    return DeltaTable(str(path), version=version)


def current_version(path: Path) -> int | None:
    """The latest committed version, or None when no table exists yet."""
    return open_table(path).version() if exists(path) else None


def _props(metadata: dict[str, str] | None) -> CommitProperties | None:
    """Metadata written into the commit itself, so it lands (or not) with the rows."""
    return CommitProperties(custom_metadata=metadata) if metadata else None


def create(path: Path, data: pa.Table, name: str,
           metadata: dict[str, str] | None = None) -> int:
    """The first commit: writes ``data`` and fixes the table's schema."""
    write_deltalake(str(path), data, mode="append", name=name, commit_properties=_props(metadata))
    return open_table(path).version()


def overwrite(path: Path, data: pa.Table, metadata: dict[str, str] | None = None) -> int:
    """Replace every row with ``data`` in one commit."""
    write_deltalake(str(path), data, mode="overwrite", commit_properties=_props(metadata))
    return open_table(path).version()


def merge(path: Path, data: pa.Table, keys: Sequence[str],
          metadata: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Upsert ``data`` on ``keys``: matching rows are replaced, the others appended."""
    table = open_table(path)
    predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    metrics = (
        table.merge(data, predicate, source_alias="s", target_alias="t",
                    commit_properties=_props(metadata))
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return table.version(), metrics


def read(path: Path, version: int | None = None,
         columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The table (at ``version`` if given) as pandas, from one consistent snapshot."""
    return open_table(path, version).to_pandas(columns=list(columns) if columns else None)


def read_arrow(path: Path, version: int | None = None) -> pa.Table:
    return open_table(path, version).to_pyarrow_table()


def schema(path: Path) -> pa.Schema:
    return pa.schema(open_table(path).schema().to_arrow())


def history(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Commit infos, newest first."""
    return open_table(path).history(limit)


def version_at(path: Path, when: datetime) -> int | None:
    """The newest version committed at or before ``when``; None if the table is younger.

    (deltalake's ``load_as_version(datetime)`` returns version 0 for times before the table
    existed, which would show rows that were not there yet, so the log is searched here.)
    """
    if not exists(path):
        return None
    cutoff_ms = int(when.astimezone(UTC).timestamp() * 1000)
    versions = [h["version"] for h in history(path) if int(h["timestamp"]) <= cutoff_ms]
    return max(versions) if versions else None


def commit_summary(info: dict[str, Any]) -> dict[str, Any]:
    """One history entry in the shape of hsfs's ``commit_details``."""
    op = str(info.get("operation", ""))
    metrics = info.get("operationMetrics") or {}
    mode = str((info.get("operationParameters") or {}).get("mode", ""))
    if op == "MERGE":
        name = "UPSERT"
        ins = metrics.get("num_target_rows_inserted", 0)
        upd = metrics.get("num_target_rows_updated", 0)
        dele = metrics.get("num_target_rows_deleted", 0)
    elif op == "WRITE":
        name = "OVERWRITE" if mode == "Overwrite" else "INSERT"
        ins, upd = metrics.get("num_added_rows", 0), 0
        dele = metrics.get("num_removed_rows", 0) if mode == "Overwrite" else 0
    else:
        name, ins, upd, dele = op, 0, 0, 0
    return {
        "committed_on": datetime.fromtimestamp(int(info["timestamp"]) / 1000, tz=UTC),
        "rows_inserted": int(ins),
        "rows_updated": int(upd),
        "rows_deleted": int(dele),
        "operation": name,
    }
