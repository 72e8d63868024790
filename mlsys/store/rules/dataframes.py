"""Frame formats in and out of the store: what an insert accepts, what a read returns.

Inserts take a pandas DataFrame, a ``pyarrow.Table`` / ``RecordBatchReader``, a Polars
``DataFrame`` / ``LazyFrame`` or a path (or list of paths) of Parquet files; everything but pandas
becomes one Arrow table, never a pandas frame. Reads return ``dataframe_type="pandas"`` (hsfs's
``"default"``), ``"polars"`` or ``"pyarrow"``. Polars is an optional extra, imported only when
a Polars frame is asked for (``import mlsys`` never imports it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
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
    import pyarrow.dataset as pads

    names = [os.fspath(p) for p in paths]
    missing = [p for p in names if not Path(p).exists()]
    if missing or not names:
        raise SchemaError(
            f"{where}: no Parquet file at {missing or names}; give a pandas DataFrame (or a "
            "Polars/Arrow frame), or the path(s) of existing .parquet files",
            reason=SchemaError.NOT_A_FRAME)
    try:
        return pads.dataset(names, format="parquet").to_table()
    except (pa.ArrowException, OSError) as err:
        raise SchemaError(
            f"{where}: {names} could not be read as Parquet ({err}); give Parquet files of one "
            "schema", reason=SchemaError.NOT_A_FRAME) from None


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
