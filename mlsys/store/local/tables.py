"""Delta Lake I/O of feature-group tables: create, merge (upsert), overwrite, read, time travel.

Every write is one Delta commit: readers see the table before or after it. Files of a write
that dies before its commit are never referenced by the log, so they are invisible.
Callers serialise writers of one table (``locks.file_lock``), so a MERGE never conflicts.

Row order: Delta returns rows in file order, and a MERGE rewrites files, so a plain read shows
the newest commit first. Tables made by mlsys carry a hidden column ``ORDER`` (the commit's
version in the high bits, the row's position in its insert in the low ones) and reads sort by
it: oldest commit first, the rows of one insert in insert order, an updated row at the place
of the commit that last wrote it. That order is a convenience for code that takes "the newest
row" as the last one (as the Hopsworks course code does); Hopsworks itself promises no order.
Tables written before the column existed are read in Delta's file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

# DeltaError, TableNotFoundError: callers catch them by these names
__all__ = ["ORDER", "DeltaError", "TableNotFoundError"]

ORDER = "_mlsys_order"  # hidden ordering column, never shown to users (see the module doc)
_ROW_BITS = 32  # rows of one insert; 2**31 versions above them fit an int64


def exists(path: Path) -> bool:
    """Whether a committed Delta table is at ``path``."""
    return DeltaTable.is_deltatable(str(path))


def open_table(path: Path, version: int | None = None) -> DeltaTable:
    return DeltaTable(str(path), version=version)


def current_version(path: Path) -> int | None:
    """The latest committed version, or None when no table exists yet."""
    return open_table(path).version() if exists(path) else None


def _names(table: DeltaTable) -> list[str]:
    return [f.name for f in table.schema().fields]


def has_order(path: Path) -> bool:
    """Whether the table at ``path`` carries the hidden ORDER column (True for a new table)."""
    return not exists(path) or ORDER in _names(open_table(path))


def with_order(data: pa.Table, version: int) -> pa.Table:
    """``data`` plus its ORDER column for the commit that will be ``version``."""
    import numpy as np

    order = (np.int64(version) << _ROW_BITS) + np.arange(len(data), dtype="int64")
    return data.append_column(ORDER, pa.array(order, type=pa.int64()))


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
    """Upsert ``data`` on ``keys``: matching rows are replaced, the others appended.

    Rows of ``data`` that repeat a key are all appended when the key is new. When such a key is
    already stored, the Hopsworks SDK's deltalake build replaces the stored row by all of them;
    stock deltalake refuses that MERGE, raising :class:`RepeatedMatchError` (nothing written),
    and :func:`replace_keys` then gives the same result.
    """
    table = open_table(path)
    predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    try:
        metrics = (
            table.merge(data, predicate, source_alias="s", target_alias="t",
                        commit_properties=_props(metadata))
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    except DeltaError as err:
        if "multiple source rows" in str(err):
            raise RepeatedMatchError(str(err)) from None
        raise
    return table.version(), metrics


class RepeatedMatchError(ValueError):
    """A MERGE met several rows of the frame for one stored row (see :func:`merge`)."""


def replace_keys(path: Path, data: pa.Table, keys: Sequence[str],
                 metadata: dict[str, str] | None = None) -> int:
    """What :func:`merge` does, for a ``data`` that repeats stored keys: every stored row whose
    key is in ``data`` goes, every row of ``data`` lands, in one (overwrite) commit.

    The table is rewritten, so this is only for the rare insert that MERGE cannot take; the
    commit records the upsert's counts for :func:`commit_summary`.
    """
    current = open_table(path).to_pyarrow_table()
    incoming = data.select(list(keys)).to_pandas().drop_duplicates()
    stored = current.select(list(keys)).to_pandas()
    hit = stored.merge(incoming.assign(__hit=True), on=list(keys), how="left")["__hit"]
    replaced = hit.notna().to_numpy()
    kept = current.filter(pa.array(~replaced))
    known = incoming.merge(stored.drop_duplicates(), on=list(keys), how="inner")
    matched = data.select(list(keys)).to_pandas().merge(known, on=list(keys), how="inner")
    counts = {"mlsys.operation": "UPSERT", "mlsys.rows_updated": str(len(matched)),
              "mlsys.rows_inserted": str(len(data) - len(matched)),
              "mlsys.rows_deleted": "0"}
    new = pa.concat_tables([kept, data.select(current.column_names).cast(current.schema)])
    write_deltalake(str(path), new, mode="overwrite",
                    commit_properties=_props({**(metadata or {}), **counts}))
    return open_table(path).version()


def read(path: Path, version: int | None = None,
         columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The table (at ``version`` if given) as pandas, from one consistent snapshot, oldest
    commit first (see the module doc); the hidden ORDER column is not returned."""
    table = open_table(path, version)
    if ORDER not in _names(table):
        return table.to_pandas(columns=list(columns) if columns else None)
    wanted = [*columns, ORDER] if columns else None
    df = table.to_pandas(columns=wanted)
    df = df.sort_values(ORDER, kind="stable").drop(columns=ORDER)
    return df.reset_index(drop=True)


def read_arrow(path: Path, version: int | None = None) -> pa.Table:
    """The table as Arrow in the order of :func:`read`, without the ORDER column."""
    import pyarrow.compute as pc

    data = open_table(path, version).to_pyarrow_table()
    if ORDER not in data.column_names:
        return data
    data = data.take(pc.sort_indices(data, [(ORDER, "ascending")]))
    return data.drop_columns([ORDER])


def schema(path: Path) -> pa.Schema:
    """The table's schema as users see it (without the ORDER column)."""
    full = pa.schema(open_table(path).schema().to_arrow())
    return pa.schema([f for f in full if f.name != ORDER])


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
    if "mlsys.operation" in info:  # an upsert written as an overwrite (see replace_keys)
        name = str(info["mlsys.operation"])
        ins, upd, dele = (info.get(f"mlsys.rows_{k}", 0) for k in ("inserted", "updated",
                                                                  "deleted"))
    elif op == "MERGE":
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


def read_page(path: Path, version: int | None, offset: int, limit: int,
              ) -> tuple[pd.DataFrame, int]:
    """Rows ``offset`` to ``offset + limit`` of :func:`read` at ``version`` and the table's row
    count, without reading the whole table: only the ORDER column is scanned to find the page,
    then the page's rows are fetched by it (row groups outside it are skipped on their statistics).
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    table = open_table(path, version)
    data = table.to_pyarrow_dataset()
    total = data.count_rows()
    end = min(total, offset + limit)
    if offset >= end:
        return data.schema.empty_table().drop_columns(
            [c for c in data.schema.names if c == ORDER]).to_pandas(), total
    if ORDER not in data.schema.names:  # an old table: Delta's file order, as read() has it
        return data.take(pa.array(range(offset, end), type=pa.int64())).to_pandas(), total
    order = data.to_table(columns=[ORDER])
    # the end smallest ORDER values (a partial sort), of which the page is the last ones
    first = order.take(pc.select_k_unstable(order, k=end, sort_keys=[(ORDER, "ascending")]))
    wanted = pc.sort_indices(first.column(ORDER))[offset:end]
    keys = first.column(ORDER).take(wanted)
    rows = data.to_table(filter=pads.field(ORDER).isin(keys))
    rows = rows.take(pc.sort_indices(rows, [(ORDER, "ascending")])).drop_columns([ORDER])
    return rows.to_pandas(), total
