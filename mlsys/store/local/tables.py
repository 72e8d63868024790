"""Delta Lake I/O of feature-group tables: create, merge (upsert), overwrite, read, time travel.

Every write is one Delta commit: readers see the table before or after it. Files of a write
that dies before its commit are never referenced by the log, so they are invisible.
In a folder, callers serialise writers of one table (``locks.file_lock``), so a MERGE never
conflicts; writers on machines sharing a bucket do not, and ``commits.retrying`` redoes a
commit that met another's.

Row order: Delta returns rows in file order, and a MERGE rewrites files, so a plain read shows
the newest commit first. Tables made by mlsys carry a hidden column ``ORDER`` (the commit's
version in the high bits, the row's position in its insert in the low ones) and reads sort by
it: oldest commit first, the rows of one insert in insert order, an updated row at the place
of the commit that last wrote it. That order is a convenience for code that takes "the newest
row" as the last one (as the Hopsworks course code does); Hopsworks itself promises no order.
Tables written before the column existed are read in Delta's file order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd
import pyarrow as pa
from deltalake import (
    ColumnProperties,
    CommitProperties,
    DeltaTable,
    WriterProperties,
    write_deltalake,
)
from deltalake.exceptions import DeltaError, TableNotFoundError

if TYPE_CHECKING:
    import pyarrow.dataset as pads

    from mlsys.store.local.objects import Objects

# DeltaError, TableNotFoundError: callers catch them by these names
__all__ = ["ORDER", "DeltaError", "TableNotFoundError", "TablePath"]

TablePath: TypeAlias = Path | str  # a folder, or the s3:// URL of a table in a bucket
ORDER = "_mlsys_order"  # hidden ordering column, never shown to users (see the module doc)
_ROW_BITS = 32  # rows of one insert; 2**31 versions above them fit an int64


def _options(path: TablePath) -> dict[str, str] | None:
    """delta-rs's storage options for a table in a bucket (credentials come from the
    environment, which delta-rs reads itself); None for a folder."""
    if isinstance(path, str):
        from mlsys.store.local.objects import storage_options

        return storage_options()
    return None


def exists(path: TablePath) -> bool:
    """Whether a committed Delta table is at ``path``."""
    return DeltaTable.is_deltatable(str(path), storage_options=_options(path))


def open_table(path: TablePath, version: int | None = None) -> DeltaTable:
    """The table at ``path`` at ``version`` (None: the latest); DeltaError when there is no
    such version."""
    if version is None or isinstance(path, Path):
        return DeltaTable(str(path), version=version, storage_options=_options(path))
    # in a bucket, delta-rs asked for a version past the latest waits forever (it keeps
    # looking for the log entry), so the latest is opened and the version checked first
    table = DeltaTable(path, storage_options=_options(path))
    if not 0 <= version <= table.version():
        raise DeltaError(f"{path} has no version {version} (the latest is {table.version()})")
    if version != table.version():
        table.load_as_version(version)
    return table


_CHUNK = 1 << 20


def file_sha256(path: Path) -> tuple[int, str]:
    """Size and sha256 of one file, read a chunk at a time."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def file_digest(path: TablePath, rel: str) -> tuple[int, str] | None:
    """Size and sha256 of the table's data file ``rel`` (a relative path), None if absent."""
    if isinstance(path, Path):
        f = path / rel
        return file_sha256(f) if f.is_file() else None
    found = objects_of(path).read(rel)
    if found is None:
        return None
    return len(found.data), hashlib.sha256(found.data).hexdigest()


def objects_of(url: str) -> Objects:
    """The objects of the table at the bucket URL ``url``."""
    from mlsys.store.local.bucket import objects_at

    return objects_at(url)


def open_latest(path: TablePath) -> DeltaTable | None:
    """The table at its latest version, or None when there is none yet (one open: asking
    :func:`exists` first would cost a bucket its requests twice)."""
    try:
        return open_table(path)
    except TableNotFoundError:
        return None


def current_version(path: TablePath) -> int | None:
    """The latest committed version, or None when no table exists yet."""
    table = open_latest(path)
    return None if table is None else table.version()


def table_id(table: DeltaTable) -> str:
    """The table's identity (its Delta metadata id): fixed at creation, kept by every later
    commit, new when a table is deleted and created again under the same path."""
    return str(table.metadata().id)


def recorded_snapshot(path: TablePath, where: str, version: int,
                      expected_id: str | None) -> DeltaTable:
    """The table at a version a training dataset recorded; IntegrityError when that version is
    gone from the log or the table is not the one recorded (the group was deleted and created
    again under the same name and version)."""
    from mlsys.errors import IntegrityError
    from mlsys.store.local.damage import RESTORE, table_read_errors

    try:
        table = open_table(path, version)
    except table_read_errors() as err:
        raise IntegrityError(
            f"{where}: version {version}, which a training dataset recorded, can no longer be "
            f"read ({type(err).__name__}: {str(err).splitlines()[0][:200]}); its commit or "
            f"files were lost. {RESTORE}, or make a new training dataset") from None
    found = table_id(table)
    if expected_id is not None and found != expected_id:
        raise IntegrityError(
            f"{where} is not the table the training dataset read (table id {found}, recorded "
            f"{expected_id}): the group was deleted and created again under the same name and "
            "version, so its version numbers name other rows. Make a new training dataset "
            "from the new group")
    return table


def data_files(table: DeltaTable) -> list[str]:
    """The data files (relative paths) of the table's version."""
    return [str(p) for p in pa.table(table.get_add_actions(flatten=True)).column("path")
            .to_pylist()]


def _names(table: DeltaTable) -> list[str]:
    return [f.name for f in table.schema().fields]


def has_order(table: DeltaTable | None) -> bool:
    """Whether the open ``table`` carries the hidden ORDER column (None, a table not made
    yet: True, a new table gets one)."""
    return table is None or ORDER in _names(table)


def with_order(data: pa.Table, version: int, start: int = 0) -> pa.Table:
    """``data`` plus its ORDER column for the commit that will be ``version``; ``start`` is
    the position of its first row in the insert (a later batch of a streamed insert)."""
    import numpy as np

    order = (np.int64(version) << _ROW_BITS) + np.arange(start, start + len(data),
                                                         dtype="int64")
    return data.append_column(ORDER, pa.array(order, type=pa.int64()))


def writer_properties() -> WriterProperties:
    """Delta's default Parquet settings (snappy), with the ORDER column delta-encoded.

    An insert's ORDER values rise by one, which delta encoding stores in a few bytes a page;
    Delta's default (a dictionary, abandoned as every value is new) costs 4.3 MB and 56 ms of a
    1M-row write, this 5 kB and about 35 ms."""
    return WriterProperties(compression="SNAPPY", column_properties={
        ORDER: ColumnProperties(dictionary_enabled=False, encoding="DELTA_BINARY_PACKED")})


def _props(metadata: dict[str, str] | None) -> CommitProperties | None:
    """Metadata written into the commit itself, so it lands (or not) with the rows."""
    return CommitProperties(custom_metadata=metadata) if metadata else None


Rows: TypeAlias = pa.Table | pa.RecordBatchReader
"""What a write takes: a table, or a stream of batches (written as it is read, one commit)."""


def create(path: TablePath, data: Rows, name: str,
           metadata: dict[str, str] | None = None) -> DeltaTable:
    """The first commit: writes ``data`` and fixes the table's schema; the table after it.

    (Every write returns the table at its commit, for what follows the commit to use
    without opening it again: a bucket pays each open in requests.)"""
    write_deltalake(str(path), data, mode="append", name=name, commit_properties=_props(metadata),
                    storage_options=_options(path), writer_properties=writer_properties())
    return open_table(path)


def overwrite(path: TablePath, data: Rows, metadata: dict[str, str] | None = None,
              table: DeltaTable | None = None) -> DeltaTable:
    """Replace every row with ``data`` in one commit (on ``table``, the latest snapshot the
    caller has open, if given)."""
    # written through the table object, whose version is then this commit's (re-opening
    # could see a later commit of another machine sharing the bucket)
    table = open_table(path) if table is None else table
    write_deltalake(table, data, mode="overwrite", commit_properties=_props(metadata),
                    writer_properties=writer_properties())
    return table


def merge(path: TablePath, data: Rows, keys: Sequence[str],
          metadata: dict[str, str] | None = None, table: DeltaTable | None = None,
          ) -> tuple[DeltaTable, dict[str, Any]]:
    """Upsert ``data`` on ``keys`` (into ``table``, the latest snapshot the caller has open,
    if given): matching rows are replaced, the others appended.

    Rows of ``data`` that repeat a key are all appended when the key is new. When such a key is
    already stored, the Hopsworks SDK's deltalake build replaces the stored row by all of them;
    stock deltalake refuses that MERGE, raising :class:`RepeatedMatchError` (nothing written),
    and :func:`replace_keys` then gives the same result.
    """
    table = open_table(path) if table is None else table
    predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
    try:
        metrics = (
            table.merge(data, predicate, source_alias="s", target_alias="t",
                        commit_properties=_props(metadata),
                        writer_properties=writer_properties())
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    except DeltaError as err:
        if "multiple source rows" in str(err):
            raise RepeatedMatchError(str(err)) from None
        raise
    return table, metrics


class RepeatedMatchError(ValueError):
    """A MERGE met several rows of the frame for one stored row (see :func:`merge`)."""


def replace_keys(path: TablePath, data: pa.Table, keys: Sequence[str],
                 metadata: dict[str, str] | None = None) -> DeltaTable:
    """What :func:`merge` does, for a ``data`` that repeats stored keys: every stored row whose
    key is in ``data`` goes, every row of ``data`` lands, in one (overwrite) commit.

    The table is rewritten, so this is only for the rare insert that MERGE cannot take; the
    commit records the upsert's counts for :func:`commit_summary`.
    """
    table = open_table(path)
    current = table.to_pyarrow_table()
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
    write_deltalake(table, new, mode="overwrite",
                    commit_properties=_props({**(metadata or {}), **counts}),
                    writer_properties=writer_properties())
    return table


def read(path: TablePath, version: int | None = None,
         columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The table (at ``version`` if given) as pandas, from one consistent snapshot, oldest
    commit first (see the module doc); the hidden ORDER column is not returned."""
    return read_snapshot(open_table(path, version), columns)


def read_snapshot(table: DeltaTable, columns: Sequence[str] | None = None,
                  rows: pads.Expression | None = None) -> pd.DataFrame:
    """:func:`read` of a table already opened at the wanted version; ``rows`` (a pyarrow
    dataset filter, see :func:`time_window`) is applied in the scan, so files and row groups
    whose statistics fall outside it are skipped."""
    if ORDER not in _names(table):
        return table.to_pandas(columns=list(columns) if columns else None, filters=rows)
    wanted = [*columns, ORDER] if columns else None
    df = _scan_in_order(table, wanted, rows).to_pandas()
    order = df[ORDER].to_numpy()
    # files are read oldest rows first (see ``_scan_in_order``), so an appended or compacted
    # group needs no sort, a copy of every column; rows an upsert rewrote do
    if not (order[1:] >= order[:-1]).all():
        df = df.sort_values(ORDER, kind="stable")
    return df.drop(columns=ORDER).reset_index(drop=True)


def _scan_in_order(table: DeltaTable, columns: Sequence[str] | None = None,
                   rows: pads.Expression | None = None) -> pa.Table:
    """The table's rows, its files read in the order of their smallest ORDER value.

    delta-rs lists a table's files newest first, so a plain scan of a group grown by
    appends comes out newest first and every read would sort it. The log records each file's
    ORDER range, so its files are put back in commit order here, without reading any; a file
    without the statistics leaves deltalake's order (the caller's check then sorts)."""
    import pyarrow.dataset as pads

    dataset = table.to_pyarrow_dataset()
    fragments = list(dataset.get_fragments())
    lows = _first_orders(table) if len(fragments) > 1 else None
    if lows is not None:
        found = [lows.get(f.path.rsplit("/", 1)[-1]) for f in fragments]
        keys = [k for k in found if k is not None]
        if len(keys) == len(fragments):
            ranked = sorted(range(len(fragments)), key=keys.__getitem__)
            dataset = pads.FileSystemDataset([fragments[i] for i in ranked], dataset.schema,
                                             dataset.format, dataset.filesystem)
    return dataset.to_table(columns=list(columns) if columns else None, filter=rows)


def _first_orders(table: DeltaTable) -> dict[str, int] | None:
    """Each current file's smallest ORDER value, by file name; None without statistics."""
    from urllib.parse import unquote

    adds = table.get_add_actions(flatten=True)
    low = f"min.{ORDER}"
    if low not in adds.schema.names:
        return None
    names = [unquote(p).rsplit("/", 1)[-1] for p in adds.column("path").to_pylist()]
    values = adds.column(low).to_pylist()
    if None in values or len(set(names)) != len(names):
        return None
    return dict(zip(names, values, strict=True))


def time_window(column: str | None, start: pd.Timestamp | None, end: pd.Timestamp | None,
                ) -> pads.Expression | None:
    """The scan filter ``start <= column < end`` (a side that is None is open); None without
    an event-time column or a bound. Bounds are widened to whole microseconds (the stored
    precision), so the scan keeps a superset: callers still filter by the exact window."""
    import pyarrow.dataset as pads

    if column is None or (start is None and end is None):
        return None
    field = pads.field(column)
    stored = pa.timestamp("us", tz="UTC")  # the event time's stored type: no cast of the column
    parts = []
    if start is not None:
        parts.append(field >= pa.scalar(start.floor("us").to_pydatetime(), type=stored))
    if end is not None:
        # end is exclusive: a sub-microsecond end keeps the stored microsecond below it
        parts.append(field < pa.scalar(end.ceil("us").to_pydatetime(), type=stored))
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def read_arrow(path: TablePath, version: int | None = None) -> pa.Table:
    """The table as Arrow in the order of :func:`read`, without the ORDER column."""
    import pyarrow.compute as pc

    table = open_table(path, version)
    if ORDER not in _names(table):
        return table.to_pyarrow_table()
    data = _scan_in_order(table)
    order = data.column(ORDER)
    # files are read oldest rows first (see ``_scan_in_order``): mostly no copy is needed
    if len(order) > 1 and not pc.all(pc.less(order.slice(0, len(order) - 1),
                                             order.slice(1))).as_py():
        data = data.take(pc.sort_indices(order))
    return data.drop_columns([ORDER])


def schema(path: TablePath) -> pa.Schema:
    """The table's schema as users see it (without the ORDER column)."""
    full = pa.schema(open_table(path).schema().to_arrow())
    return pa.schema([f for f in full if f.name != ORDER])
