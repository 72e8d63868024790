"""Frame formats in and out of the store: what an insert accepts, what a read returns.

Inserts take a pandas DataFrame, a ``pyarrow.Table`` / ``RecordBatchReader``, a Polars
``DataFrame`` / ``LazyFrame`` or a path (or list of paths) of Parquet files; everything but pandas
becomes Arrow, never a pandas frame: a reader, a LazyFrame and Parquet files as a
:class:`BatchSource` (streamed batch by batch), the others as one Arrow table. Reads return
``dataframe_type="pandas"`` (hsfs's ``"default"``), ``"polars"`` or ``"pyarrow"``. Polars is an
optional extra, imported only when a Polars frame is asked for (``import mlsys`` never imports
it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from mlsys.errors import MissingExtraError, SchemaError

POLARS_EXTRA = "pip install 'mlsys[polars]'"


def polars() -> Any:
    """The polars module, or a MissingExtraError saying how to install it."""
    try:
        import polars as pl
    except ImportError:
        raise MissingExtraError(
            f"dataframe_type='polars' needs Polars, which is not installed; {POLARS_EXTRA}, "
            "or read with dataframe_type='pandas' or 'pyarrow'") from None
    return pl


def from_arrow(table: pa.Table, kind: str) -> Any:
    """An Arrow table as the frame ``kind`` names."""
    if kind == "pyarrow":
        return table
    if kind == "polars":
        # no rechunk: Delta's one chunk per file stays, as in the Arrow result (no copy)
        return polars().from_arrow(table, rechunk=False)
    return table.to_pandas()


def from_pandas(df: pd.DataFrame, kind: str) -> Any:
    """A pandas frame (a joined query's result) as the frame ``kind`` names."""
    if kind == "pandas":
        return df
    return from_arrow(pa.Table.from_pandas(df, preserve_index=False), kind)


def sdk_dataframe_type(kind: str) -> str:
    """The ``dataframe_type`` to ask hsfs 5.2 for: it returns pandas and Polars itself, but
    has no Arrow result, so a "pyarrow" read asks for pandas and converts (:func:`from_pandas`)."""
    return "pandas" if kind == "pyarrow" else kind


def from_sdk(result: Any, kind: str) -> Any:
    """What hsfs returned for :func:`sdk_dataframe_type` as the frame ``kind`` names."""
    return from_pandas(result, kind) if kind == "pyarrow" else result


def _is_polars(obj: object, *names: str) -> bool:
    # checked by module name, so an insert of a pandas frame never imports polars
    cls = type(obj)
    return cls.__module__.split(".")[0] == "polars" and cls.__name__ in names


def _parquet(paths: Sequence[str | os.PathLike[str]], where: str) -> pa.Table:
    return _parquet_source(paths, where).whole()


def _unreadable(names: list[str], err: Exception, where: str) -> SchemaError:
    return SchemaError(
        f"{where}: {names} could not be read as Parquet ({err}); give Parquet files of one "
        "schema", reason=SchemaError.NOT_A_FRAME)


def _parquet_source(paths: Sequence[str | os.PathLike[str]], where: str) -> BatchSource:
    import pyarrow.dataset as pads

    names = [os.fspath(p) for p in paths]
    missing = [p for p in names if not Path(p).exists()]
    if missing or not names:
        raise SchemaError(
            f"{where}: no Parquet file at {missing or names}; give a pandas DataFrame (or a "
            "Polars/Arrow frame), or the path(s) of existing .parquet files",
            reason=SchemaError.NOT_A_FRAME)
    try:
        dataset = pads.dataset(names, format="parquet")
    except (pa.ArrowException, OSError) as err:
        raise _unreadable(names, err, where) from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:  # a file that breaks mid-scan is the input's fault, not the table's
            # file by file: one scan of the whole dataset reads ahead of a slower writer
            # whatever its readahead settings (24 files of 24 MB: 540 MB held; this way 120)
            for fragment in dataset.get_fragments():
                yield from fragment.to_batches(schema=dataset.schema,
                                               batch_size=STREAM_BATCH_ROWS, batch_readahead=1)
        except (pa.ArrowException, OSError) as err:
            raise _unreadable(names, err, where) from None

    return BatchSource(dataset.schema, batches, replayable=True, what=f"Parquet files {names}")


STREAM_BATCH_ROWS = 1 << 20
"""Rows per batch a Parquet or Polars source is read in: a few dozen MB of a typical group."""


@dataclass
class BatchSource:
    """An insert's rows as a stream of Arrow batches, read once by the streamed insert.

    ``replayable`` sources (Parquet files, a LazyFrame) can be read again: the key check re-reads
    their key columns to confirm a possible duplicate exactly, and an upsert that MERGE cannot
    take is redone from the whole frame. A ``RecordBatchReader`` is read once only.
    """

    schema: pa.Schema
    open: Callable[[], Iterator[pa.RecordBatch]]
    replayable: bool
    what: str
    _opened: bool = False

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows, batch by batch (again, for a replayable source)."""
        if self._opened and not self.replayable:
            raise SchemaError(f"{self.what} was read already and cannot be read again; give "
                              "a new reader", reason=SchemaError.NOT_A_FRAME)
        self._opened = True
        return self.open()

    def whole(self) -> pa.Table:
        """Every row as one table (for the paths that need the whole frame)."""
        batches = list(self.batches())
        # the batches' own schema: a LazyFrame's empty head can type a column otherwise
        return pa.Table.from_batches(batches) if batches else self.schema.empty_table()


def _lazy_source(frame: Any) -> BatchSource:
    def batches() -> Iterator[pa.RecordBatch]:
        # Polars' streaming engine yields the result in chunks without collecting it whole
        for chunk in frame.collect_batches(chunk_size=STREAM_BATCH_ROWS):
            yield from chunk.to_arrow().to_batches()

    if not hasattr(frame, "collect_batches"):  # Polars before 1.30 streams no batches out
        return BatchSource(frame.collect().to_arrow().schema,
                           lambda: iter(frame.collect().to_arrow().to_batches()),
                           replayable=True, what="the Polars LazyFrame")
    schema = frame.head(0).collect().to_arrow().schema
    return BatchSource(schema, batches, replayable=True, what="the Polars LazyFrame")


def insert_stream(obj: object, where: str) -> BatchSource | None:
    """What an insert was given as a stream of batches, if it is one (a RecordBatchReader, a
    Polars LazyFrame, Parquet path(s)); None for a frame already in memory."""
    if isinstance(obj, pa.RecordBatchReader):
        return BatchSource(obj.schema, lambda: iter(obj), replayable=False,
                           what="the RecordBatchReader")
    if _is_polars(obj, "LazyFrame"):
        return _lazy_source(obj)
    if _is_path(obj):
        return _parquet_source([obj], where)  # type: ignore[list-item]
    if isinstance(obj, list | tuple) and obj and all(_is_path(p) for p in obj):
        return _parquet_source(obj, where)
    return None


def _is_path(obj: object) -> bool:
    return isinstance(obj, str | os.PathLike)


def insert_input(obj: object, where: str) -> pd.DataFrame | pa.Table:
    """What an insert was given, as a pandas frame (kept as is) or one Arrow table."""
    if isinstance(obj, pd.DataFrame | pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatchReader):
        return obj.read_all()
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    if _is_polars(obj, "DataFrame"):
        return obj.to_arrow()  # type: ignore[attr-defined]
    if _is_polars(obj, "LazyFrame"):
        return obj.collect().to_arrow()  # type: ignore[attr-defined]
    if _is_path(obj):
        return _parquet([obj], where)  # type: ignore[list-item]
    if isinstance(obj, list | tuple) and obj and all(_is_path(p) for p in obj):
        return _parquet(obj, where)
    raise SchemaError(
        f"{where} expects a pandas DataFrame, got {type(obj).__name__}; build one with "
        "pandas.DataFrame(...), or give a pyarrow.Table / RecordBatchReader, a polars "
        "DataFrame / LazyFrame or Parquet file path(s)",
        reason=SchemaError.NOT_A_FRAME)
