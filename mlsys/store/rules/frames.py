"""Frames going into a feature group: name normalisation, schema checks, conversion to Arrow.

Both backends check every frame with these rules before writing it, so a bad frame raises the
same :class:`~mlsys.errors.SchemaError` (with its ``column`` and ``reason``) on each.

Everything here works on whole columns (pyarrow casts, pandas hashing); no per-row Python.
Feature types are the Hopsworks/Hive names below; each maps to one Arrow type, so a group's
data has stable dtypes whatever frames were inserted.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import pandas as pd
import pyarrow as pa

from mlsys.errors import SchemaError
from mlsys.names import feature_name

ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "string": pa.large_string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "binary": pa.large_binary(),
}


@dataclass(frozen=True)
class Column:
    """One stored feature: its name and type name (a key of ``ARROW_TYPES``)."""

    name: str
    type: str


def type_name(t: pa.DataType) -> str | None:
    """The feature type an Arrow type is stored as, or None if mlsys cannot store it."""
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    return None


def columns_of(schema: pa.Schema) -> list[Column]:
    """The stored columns of an Arrow/Delta schema (used to recover a schema from Delta)."""
    return [Column(f.name, type_name(f.type) or str(f.type)) for f in schema]


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in columns])


Frame: TypeAlias = pd.DataFrame | pa.Table
"""A frame an insert checks and writes: pandas as given, or Arrow (every other input)."""


def names_of(df: Frame) -> list[str]:
    return list(df.column_names) if isinstance(df, pa.Table) else list(df.columns)


def normalise_frame(df: object, where: str) -> Frame:
    """What an insert was given (see :mod:`~mlsys.store.rules.dataframes`) as pandas or Arrow,
    with Hopsworks-normalised column names (the frame itself is not modified)."""
    from mlsys.store.rules.dataframes import insert_input

    df = insert_input(df, where)
    raw = names_of(df)
    names = normalised_names(raw, where)
    if names == raw:
        return df
    if isinstance(df, pa.Table):
        return df.rename_columns(names)
    out = df.copy(deep=False)
    out.columns = names
    return out


def normalised_names(raw: Sequence[Any], where: str) -> list[str]:
    """The Hopsworks-normalised feature names of columns ``raw``; SchemaError when two of them
    become the same name."""
    names = [feature_name(c) for c in raw]
    if len(set(names)) != len(names):
        seen: dict[str, list[object]] = {}
        for r, norm in zip(raw, names, strict=True):
            seen.setdefault(norm, []).append(r)
        clashes = {k: v for k, v in seen.items() if len(v) > 1}
        raise SchemaError(
            f"{where}: columns {clashes} become the same feature name after normalisation "
            "(lower case, spaces to '_'); rename or drop one of each",
            column=str(next(iter(clashes))), reason=SchemaError.NAME_CLASH)
    return names


def normalise(df: object, where: str) -> pd.DataFrame:
    """:func:`normalise_frame` as pandas (for code that works on pandas only)."""
    out = normalise_frame(df, where)
    return out.to_pandas() if isinstance(out, pa.Table) else out


def check_columns(df: Frame, expected: Sequence[str], where: str) -> None:
    """Exactly the features ``expected``: a missing or extra one raises SchemaError."""
    have = set(names_of(df))
    missing = [c for c in expected if c not in have]
    extra = [c for c in names_of(df) if c not in set(expected)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"is missing feature(s) {missing}")
        if extra:
            parts.append(f"has extra feature(s) {extra}")
        raise SchemaError(
            f"{where}: the frame {' and '.join(parts)}; the group's features are "
            f"{list(expected)}. Add/drop/rename columns to match, or create a new version of "
            "the group for a new schema",
            column=str((missing or extra)[0]),
            reason=SchemaError.MISSING_COLUMN if missing else SchemaError.EXTRA_COLUMN)


def check_keys(df: Frame, keys: Sequence[str], where: str,
               reject_duplicates: bool = False) -> int:
    """No nulls in the key columns (primary key + event time) of ``df``; returns how many rows
    repeat the key of an earlier row of ``df`` (0: every key is unique).

    Repeated keys are Hopsworks' default behaviour (hsfs stores every row as given), so they are
    only counted; ``reject_duplicates=True`` (the strict opt-in) raises SchemaError for them.
    """
    _require_key_columns(names_of(df), keys, where)
    if isinstance(df, pa.Table):
        return _check_arrow_keys(df, keys, where, reject_duplicates)
    for k in keys:
        _refuse_null_keys(k, int(df[k].isna().sum()), where)
    try:
        # One unique column makes the whole key unique; checking one column is ~10x cheaper,
        # seeing that a numeric or time column is strictly ordered cheaper still.
        if any(_ordered_series(df[k]) for k in keys):
            return 0
        if any(df[k].is_unique for k in keys[:1]):
            return 0
        # One 64-bit hash per row is far cheaper (time and memory) than comparing many key
        # columns; only when a hash repeats is the exact (slower) comparison needed.
        hashes = pd.util.hash_pandas_object(df[list(keys)], index=False)
        if hashes.is_unique:
            return 0
        dup = df.duplicated(list(keys), keep=False)
    except TypeError:  # unhashable values (lists, dicts) cannot be a key
        bad = [k for k in keys if df[k].map(lambda v: not isinstance(v, Hashable)).any()]
        raise SchemaError(
            f"{where}: key column(s) {bad} hold unhashable values (lists or dicts); a primary "
            "key / event time holds plain numbers, strings or timestamps",
            column=bad[0] if bad else None, reason=SchemaError.UNHASHABLE_KEY) from None
    if not dup.any():
        return 0
    repeats = int(df.duplicated(list(keys)).sum())
    if reject_duplicates:
        examples = df.loc[dup, list(keys)].head(3).to_dict(orient="records")
        raise SchemaError(
            f"{where}: {int(dup.sum())} rows share a primary key + event time {list(keys)}, "
            f"e.g. {examples}, and this group rejects duplicate keys (reject_duplicate_keys); "
            f"keep one row per key (e.g. df.drop_duplicates({list(keys)}, keep='last'))",
            column=keys[0], reason=SchemaError.DUPLICATE_KEY)
    return repeats


def _require_key_columns(names: Sequence[str], keys: Sequence[str], where: str) -> None:
    for k in keys:
        if k not in names:
            raise SchemaError(
                f"{where}: the frame has no column {k!r}, which is part of the group's primary "
                f"key / event time {list(keys)}; add it",
                column=k, reason=SchemaError.MISSING_COLUMN)


def _refuse_null_keys(key: str, nulls: int, where: str) -> None:
    if nulls:
        raise SchemaError(
            f"{where}: key column {key!r} has {nulls} null value(s); primary key and event "
            "time must be set on every row",
            column=key, reason=SchemaError.NULL_KEY)


def _check_arrow_keys(data: pa.Table, keys: Sequence[str], where: str,
                      reject_duplicates: bool) -> int:
    """:func:`check_keys` of an Arrow table: nulls and the one-unique-column shortcut on the
    Arrow columns; only a frame whose first key repeats has its key columns (alone) compared
    in pandas."""
    import pyarrow.compute as pc

    check_arrow_key_values(data, keys, where)
    # One unique column makes the whole key unique: a strictly ordered one (event times of a
    # daily batch, running ids) is found in one vectorised pass, then the first key is counted.
    if any(strictly_ordered(data.column(k)) for k in keys):
        return 0
    if not keys or pc.count_distinct(data.column(keys[0])).as_py() == len(data):
        return 0
    return check_keys(data.select(list(keys)).to_pandas(), keys, where, reject_duplicates)


def check_arrow_key_values(data: pa.Table, keys: Sequence[str], where: str) -> None:
    """The key columns of an Arrow table (or one batch of a stream) hold plain, non-null
    values: a nested or null (NaN) key raises SchemaError."""
    import pyarrow.compute as pc

    _require_key_columns(data.column_names, keys, where)
    for k in keys:
        col = data.column(k)
        if pa.types.is_nested(col.type):
            raise SchemaError(
                f"{where}: key column {k!r} holds {col.type} values (lists or structs); a "
                "primary key / event time holds plain numbers, strings or timestamps",
                column=k, reason=SchemaError.UNHASHABLE_KEY)
        nulls = col.null_count
        if pa.types.is_floating(col.type):  # NaN is a null key in pandas too
            nulls += int(pc.sum(pc.is_nan(col)).as_py() or 0)
        _refuse_null_keys(k, nulls, where)


_HEAD = 64  # values looked at before a whole column is


def _ordered_series(s: pd.Series) -> bool:
    """:func:`strictly_ordered` of a pandas numeric or time column (viewed as Arrow)."""
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)):
        return False
    head = s.iloc[:_HEAD]  # most unordered columns show it in their first values: no copy
    if not (head.is_monotonic_increasing or head.is_monotonic_decreasing):
        return False
    try:
        return strictly_ordered(pa.Array.from_pandas(s))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):  # complex, ...
        return False


def strictly_ordered(col: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a numeric or temporal column without nulls rises (or falls) strictly, so every
    value is unique; False for any other column."""
    import pyarrow.compute as pc

    t = col.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_temporal(t)):
        return False
    if len(col) < 2:
        return True
    if col.null_count:
        return False
    if len(col) > _HEAD and not strictly_ordered(col.slice(0, _HEAD)):
        return False
    a, b = col.slice(0, len(col) - 1), col.slice(1)
    return bool(pc.all(pc.less(a, b)).as_py() or pc.all(pc.greater(a, b)).as_py())


def duplicate_key_message(where: str, repeats: int, keys: Sequence[str],
                          event_time: str | None) -> str:
    """The one warning an insert with repeated keys gives: the count and how to opt out."""
    kind = "primary key + event time" if event_time else "primary key"
    return (
        f"{where}: {repeats} row(s) repeat the {kind} {list(keys)} of an earlier row of the "
        "frame; all rows are stored as given, as Hopsworks does (online "
        "reads keep the last row per key). To refuse such inserts pass "
        "write_options={'reject_duplicate_keys': True} or create the group with "
        f"reject_duplicate_keys=True; to keep one row per key use "
        f"df.drop_duplicates({list(keys)}, keep='last')"
    )


def _to_arrow_column(s: pd.Series, name: str, where: str) -> pa.Array | pa.ChunkedArray:
    try:
        return pa.Array.from_pandas(s)
    # ArrowException covers unsupported dtypes (complex, ...); OverflowError ints beyond 64 bits
    except (pa.ArrowException, OverflowError, TypeError, ValueError) as err:
        raise SchemaError(
            f"{where}: column {name!r} (dtype {s.dtype}) holds values of mixed or unsupported "
            f"types ({err}); give it one type, e.g. with df[{name!r}].astype(...)",
            column=name, reason=SchemaError.WRONG_TYPE) from None


def _cast(arr: Any, target: str, name: str, where: str) -> Any:
    """``arr`` as feature type ``target``, if that is safe; else SchemaError."""
    src = type_name(arr.type)
    ok = (
        src == target
        or pa.types.is_null(arr.type)
        or (target == "double" and src == "bigint")
        or (target == "bigint" and src == "double")  # checked below: only whole numbers
        or (target == "timestamp" and src == "date")
    )
    if not ok:
        raise SchemaError(
            f"{where}: column {name!r} has type {arr.type} ({src or 'unsupported'}), but feature "
            f"{name!r} is {target}; convert it, e.g. df[{name!r}] = df[{name!r}].astype(...)",
            column=name, reason=SchemaError.WRONG_TYPE)
    want = ARROW_TYPES[target]
    if target == "string" or target == "binary" or arr.type == want:
        return arr  # any string/binary flavour is stored as is; Delta normalises them
    try:
        # Timestamps: naive means UTC, zoned ones are converted; sub-microsecond digits are
        # dropped (Delta stores microseconds). Everything else must convert exactly.
        return arr.cast(want, safe=target != "timestamp")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise SchemaError(
            f"{where}: column {name!r} cannot be stored as {target} without losing values "
            f"({err}); fix the values or the dtype",
            column=name, reason=SchemaError.WRONG_TYPE) from None


def to_arrow(df: Frame, columns: Sequence[Column] | None, event_time: str | None,
             where: str) -> tuple[pa.Table, list[Column]]:
    """``df`` as an Arrow table of the schema ``columns`` (checked to match already); an
    Arrow ``df`` is cast column by column, never through pandas.

    ``columns=None`` (the first insert) infers the schema from the frame; it is returned.
    """
    def column(n: str) -> Any:
        if isinstance(df, pa.Table):
            return df.column(n)
        return _to_arrow_column(df[n], n, where)

    if columns is None:
        arrays = [column(n) for n in names_of(df)]
        columns = [_infer(n, a, event_time, where) for n, a in zip(names_of(df), arrays,
                                                                    strict=True)]
    else:
        arrays = [column(c.name) for c in columns]
    cast = [_cast(a, c.type, c.name, where) for a, c in zip(arrays, columns, strict=True)]
    return pa.Table.from_arrays(cast, names=[c.name for c in columns]), list(columns)


def _infer(name: str, arr: Any, event_time: str | None, where: str) -> Column:
    """The stored type of a column of a first insert."""
    t = type_name(arr.type)
    if pa.types.is_null(arr.type):
        raise SchemaError(
            f"{where}: column {name!r} holds only nulls, so its type is unknown; give it a "
            f"dtype for the first insert, e.g. df[{name!r}] = df[{name!r}].astype('float64')",
            column=name, reason=SchemaError.UNKNOWN_TYPE)
    if t is None:
        raise SchemaError(
            f"{where}: column {name!r} has type {arr.type}, which mlsys cannot store; use "
            f"one of {sorted(ARROW_TYPES)}",
            column=name, reason=SchemaError.UNKNOWN_TYPE)
    if name == event_time:
        if t not in ("timestamp", "date"):
            raise SchemaError(
                f"{where}: event time column {name!r} has type {arr.type}; give datetimes, "
                f"e.g. df[{name!r}] = pd.to_datetime(df[{name!r}], utc=True)",
                column=name, reason=SchemaError.WRONG_TYPE)
        t = "timestamp"  # event times are stored as UTC microsecond timestamps
    return Column(name, t)
