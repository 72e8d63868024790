"""The streamed insert: a batch reader, LazyFrame or Parquet files checked and written batch by
batch, in one Delta commit.

deltalake writes (and MERGEs) a ``RecordBatchReader`` as it reads it and commits once at the
end. The reader given to it here is a generator that checks each batch (names, schema, types,
null keys) and, after the last one, the repeated keys over the whole stream
(:class:`~mlsys.store.rules.stream_keys.StreamKeys`); any refusal raises inside the generator,
before deltalake commits, so a bad batch anywhere leaves the table and the catalog as they were.
Memory is a few batches plus 8 bytes per row for the key check on mlsys's side; deltalake
1.6 itself holds the whole stream before it commits, so a new group in a folder is written by
:mod:`~mlsys.store.local.stream_files` instead (Parquet files of our own, one commit).

What the streamed path does not do (the insert reads such a source whole and takes the
frame path): run an expectation suite (its statistics need the whole frame), update an online
store (online-enabled groups), and the rare upsert whose repeated keys match stored rows (MERGE
refuses it; the table is rewritten from the whole frame, :func:`tables.replace_keys`). A
one-shot ``RecordBatchReader`` cannot be read twice: that upsert is refused with nothing written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from deltalake.exceptions import CommitFailedError, DeltaError

from mlsys.errors import ConcurrencyError, DuplicateKeyWarning, SchemaError, StoreWriteError
from mlsys.store.api import Job
from mlsys.store.local import stream_files, tables
from mlsys.store.local.checksums import record_commits
from mlsys.store.local.damage import reading_table, writing_table
from mlsys.store.local.locks import file_lock
from mlsys.store.rules import frames
from mlsys.store.rules.arguments import reject_duplicate_keys
from mlsys.store.rules.dataframes import BatchSource
from mlsys.store.rules.stream_keys import StreamKeys

if TYPE_CHECKING:
    from mlsys.store.local.group_state import GroupState
    from mlsys.store.local.group_validation import GroupReports


class ReplayWhole(Exception):  # noqa: N818 (a signal to the caller, not an error to users)
    """The upsert needs the whole frame (see the module doc); nothing was written."""


@dataclass
class StreamPlan:
    """What one streamed insert writes: its stored columns, first batch and the checks."""

    source: BatchSource
    names: list[str]
    columns: list[frames.Column]
    first: pa.Table
    rest: Iterator[pa.RecordBatch]
    keys: StreamKeys
    event_time: str | None
    where: str
    error: BaseException | None = field(default=None)
    repeats: int = 0


def plan(source: BatchSource, columns: list[frames.Column] | None, keys: list[str],
         event_time: str | None, where: str, reject_duplicates: bool) -> StreamPlan | None:
    """Check the stream's columns and read up to its first non-empty batch; None for a stream
    without rows (a no-op, as an empty frame is)."""
    names = frames.normalised_names(source.schema.names, where)
    if columns is not None:
        frames.check_columns(pa.schema([(n, pa.null()) for n in names]).empty_table(),
                             [c.name for c in columns], where)
    batches = source.batches()
    checker = StreamKeys(keys, where, reject_duplicates, replayable=source.replayable)
    for batch in batches:
        if batch.num_rows:
            raw = pa.Table.from_batches([batch]).rename_columns(names)
            frames.check_arrow_key_values(raw, keys, where)
            first, fixed = frames.to_arrow(raw, columns, event_time, where)
            return StreamPlan(source, names, fixed, first, batches, checker, event_time, where)
    return None


def _cast(plan: StreamPlan, batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    raw = pa.Table.from_batches([batch]).rename_columns(plan.names)
    frames.check_arrow_key_values(raw, plan.keys.keys, plan.where)  # before a cast hides it
    data, _ = frames.to_arrow(raw, plan.columns, plan.event_time, plan.where)
    return data if data.schema == schema else data.cast(schema)


def _checked(plan: StreamPlan, version: int | None) -> Iterator[pa.RecordBatch]:
    """The stream as it is stored: each batch checked, cast and (``version`` not None) given
    its ORDER column; after the last, the key check over all of them. An error is kept in
    ``plan.error`` (deltalake wraps it in a DeltaError) and raised again, ending the write."""
    schema = plan.first.schema
    try:
        data = plan.first
        while True:
            plan.keys.add(data, values_checked=True)  # on the batch as given (_cast)
            start = plan.keys.rows - data.num_rows
            stored = data if version is None else tables.with_order(data, version, start)
            yield from stored.to_batches()
            data = None
            for batch in plan.rest:
                if batch.num_rows:
                    data = _cast(plan, batch, schema)
                    break
            if data is None:
                break
        reread = None
        if plan.source.replayable:
            def reread() -> Iterator[pa.Table]:
                return (_cast(plan, b, schema) for b in plan.source.batches() if b.num_rows)
        plan.repeats = plan.keys.repeats(reread)
        if plan.repeats:  # inside the stream: a warnings filter of "error" then commits nothing
            warnings.warn(frames.duplicate_key_message(plan.where, plan.repeats,
                                                       plan.keys.keys, plan.event_time),
                          DuplicateKeyWarning, stacklevel=2)
    except BaseException as err:
        plan.error = err
        raise


def commit(plan: StreamPlan, path: Path | str, name: str, all_keys: list[str], before: int | None,
           overwrite: bool, ordered: bool, meta: dict[str, str] | None) -> int:
    """Write the checked stream in one commit (create, overwrite or MERGE); its version."""
    version = (0 if before is None else before + 1) if ordered else None
    schema = plan.first.schema
    if version is not None:
        schema = schema.append(pa.field(tables.ORDER, pa.int64()))
    reader = pa.RecordBatchReader.from_batches(schema, _checked(plan, version))
    try:
        # a new table in a folder: bounded memory (a bucket streams through write_deltalake)
        if before is None and isinstance(path, Path) and stream_files.can_stream_create(path):
            return stream_files.create(path, schema, reader, name, meta).version()
        if before is None:
            return tables.create(path, reader, name, meta).version()
        if overwrite:
            return tables.overwrite(path, reader, meta).version()
        try:
            return tables.merge(path, reader, all_keys, meta)[0].version()
        except tables.RepeatedMatchError:
            if plan.source.replayable:
                raise ReplayWhole from None
            raise SchemaError(
                f"{plan.where}: {plan.repeats} rows of {plan.source.what} repeat a key, and "
                f"some of those keys are stored already; such an upsert rewrites the stored "
                "rows from the whole frame, which a one-shot reader cannot give twice. Nothing "
                "was written. Insert the rows as a pyarrow.Table or Parquet files, or keep one "
                f"row per key {all_keys}", column=all_keys[0],
                reason=SchemaError.DUPLICATE_KEY) from None
    except (DeltaError, pa.ArrowException, OSError) as err:
        if plan.error is not None:  # our own refusal, wrapped by deltalake: raise it as ours
            raise plan.error from None
        if isinstance(err, CommitFailedError):  # a one-shot stream cannot be written twice
            raise ConcurrencyError(
                f"{plan.where}: a writer on another machine committed to the group during "
                f"this streamed insert ({str(err).splitlines()[0][:160]}); nothing of it was "
                "committed. Run it again") from None
        raise


def insert(group: GroupState, reports: GroupReports, source: BatchSource, overwrite: bool,
           write_options: dict[str, Any] | None, where: str,
           upkeep: Callable[[int, str], None]) -> Job:
    """A group's insert of a stream, batch by batch in one commit (see the module doc), then
    ``upkeep(version, where)`` under the same lock; raises :class:`ReplayWhole` (nothing
    written) for the upsert that needs the whole frame."""
    job = f"{group.key}_insert"
    with file_lock(group.lock_path, group.ctx.config.lock_timeout_s, group.where):
        record = group.record()
        strict = reject_duplicate_keys(write_options, record.reject_duplicate_keys)
        checked = plan(source, group.columns(record), group.keys, group.event_time, where,
                       strict)
        if checked is None:
            return Job(job, rows=0)
        with reading_table(group.path, group.where):
            table = tables.open_latest(group.path)  # opened once: a bucket's requests cost
        reports.restore(table)  # a writer that died after its commit left one behind
        before = None if table is None else table.version()
        ordered = tables.has_order(table)
        with writing_table(group.path, where):
            version = commit(checked, group.path, group.key, group.keys, before, overwrite,
                             ordered, None)
        try:
            if record.features is None:
                group.save_columns(checked.columns)
            record_commits(group.ctx.catalog, group.id, group.path, version)
        except Exception as err:
            raise StoreWriteError(
                f"{where}: the rows committed as version {version}, but recording them "
                f"afterwards failed ({type(err).__name__}: {err}); do not insert them "
                "again") from err
        upkeep(version, where)
    return Job(job, rows=checked.keys.rows, commit_version=version)
