"""A new table in a folder, written from a stream in bounded memory: Parquet files, one commit.

deltalake 1.6's ``write_deltalake`` holds a whole ``RecordBatchReader`` before it commits (peak
memory grows with the stream: about 1.3 GB for 12 batches of 80 MB), so a group larger than
memory could not be created through it. Here the batches are written as they come to Parquet
files of our own (``pyarrow.parquet.ParquetWriter``, a new file every ``FILE_BYTES``) in a
staging folder beside the table, and ``deltalake.convert_to_deltalake`` makes them version 0:
it reads the files' footers only and records the same schema and per-file statistics
``write_deltalake`` does (a test compares them). The staging folder is then renamed to the
table's, so a reader sees no table or the whole one; a refused batch, an exception or a crash
leaves no table. The staging folder is held (``housekeeping.claimed_staging``) until it is
renamed: a sweep removes it only once its writer is gone.

Only a new table in a folder goes this way: a bucket has no rename (``write_deltalake``
streams there), and appends and upserts into a stored table go through deltalake's MERGE.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, convert_to_deltalake

from mlsys.store.local import tables
from mlsys.store.local.housekeeping import claimed_staging
from mlsys.store.rules.paths import STAGING_PREFIX

FILE_BYTES = 128 * 1024 * 1024
"""A data file is closed once this much is written to it (delta-rs's own target is 100 MiB)."""

ROW_GROUP_ROWS = 1024 * 1024
"""Rows per Parquet row group (delta-rs writes ~1M too); small batches are gathered up to it."""

ROW_GROUP_BYTES = 64 * 1024 * 1024
"""...or up to this much Arrow memory, whichever comes first, so wide rows stay bounded too."""

MERGE_BATCHES = 256
"""Small batches being gathered are merged into one every this many."""


def can_stream_create(path: Path) -> bool:
    """Whether a new table at the folder ``path`` can be made here: nothing is there yet, or
    an empty plain folder (not a link, not a mount point: the rename replaces it). Anything
    else goes to ``write_deltalake``, which judges it."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        return (stat.S_ISDIR(mode) and not path.is_mount() and not any(path.iterdir()))
    except OSError:
        return False


def _part_name(index: int) -> str:
    return f"part-{index:05d}-{uuid.uuid4()}-c000.snappy.parquet"


def write_parts(folder: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch],
                file_bytes: int | None = None) -> int:
    """Write ``batches`` (each of ``schema``) into Parquet files of about ``file_bytes``
    (default ``FILE_BYTES``) in ``folder``; their rows.

    Batches are gathered into row groups of ``ROW_GROUP_ROWS`` (or ``ROW_GROUP_BYTES``), so a
    stream of small batches still makes few row groups and a small footer. Memory is one row
    group being gathered plus the writer's buffers."""
    file_bytes = FILE_BYTES if file_bytes is None else file_bytes
    rows, index = 0, 0
    writer: pq.ParquetWriter | None = None
    sink: pa.NativeFile | None = None
    pending: list[pa.RecordBatch] = []  # gathered batches, the small ones merged
    small: list[pa.RecordBatch] = []  # batches since the last merge
    pending_rows = pending_bytes = 0

    def merge_small() -> None:
        # each batch costs far more than its data (arrays, padded buffers, objects: ~8 kB for
        # a row of ten floats), so a row-by-row stream is merged every MERGE_BATCHES batches
        if small:
            pending.extend(pa.Table.from_batches(small, schema).combine_chunks().to_batches())
            small.clear()

    def flush() -> None:
        nonlocal writer, sink, index, pending_rows, pending_bytes
        merge_small()
        if writer is None:
            sink = pa.OSFile(str(folder / _part_name(index)), "wb")
            # as ``tables.writer_properties``: snappy, the ORDER column delta-encoded
            order = [n for n in schema.names if n == tables.ORDER]
            writer = pq.ParquetWriter(
                sink, schema, compression="snappy",
                use_dictionary=[n for n in schema.names if n != tables.ORDER],
                column_encoding=dict.fromkeys(order, "DELTA_BINARY_PACKED"))
            index += 1
        writer.write_table(pa.Table.from_batches(pending, schema),
                           row_group_size=ROW_GROUP_ROWS)
        pending.clear()
        pending_rows = pending_bytes = 0
        if sink is not None and sink.tell() >= file_bytes:
            writer.close()
            sink.close()
            writer = sink = None

    try:
        for batch in batches:
            if not batch.num_rows:
                continue
            small.append(batch)
            rows += batch.num_rows
            pending_rows += batch.num_rows
            pending_bytes += batch.nbytes
            if pending_rows >= ROW_GROUP_ROWS or pending_bytes >= ROW_GROUP_BYTES:
                flush()
            elif len(small) >= MERGE_BATCHES:
                merge_small()
        if small or pending:
            flush()
    finally:
        if writer is not None:
            writer.close()
        if sink is not None:
            sink.close()
    return rows


def create(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch], name: str,
           metadata: dict[str, str] | None = None) -> DeltaTable:
    """Version 0 of a new table at ``path`` holding ``batches``; the table after it.

    Nothing is at ``path`` until the commit is whole (see the module doc); any exception the
    batches raise (a refused batch) comes out as it is, with the staging folder removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with claimed_staging(path.parent, STAGING_PREFIX) as staging:
        staging.mkdir()
        try:
            rows = write_parts(staging, schema, batches)  # the caller's stream has a first row
            # recorded so commit_summary calls it an insert (the Delta operation is CONVERT)
            info = {"mlsys.operation": "INSERT", "mlsys.rows_inserted": str(rows),
                    **(metadata or {})}
            convert_to_deltalake(str(staging), name=name,
                                 commit_properties=CommitProperties(custom_metadata=info))
            with contextlib.suppress(FileNotFoundError):
                path.rmdir()  # the empty folder can_stream_create allowed (rename needs it gone)
            staging.rename(path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return tables.open_table(path)


__all__ = ["FILE_BYTES", "ROW_GROUP_BYTES", "ROW_GROUP_ROWS", "can_stream_create", "create",
           "write_parts"]
