"""Argument rules both backends apply before any work: hsfs's option values, lookup keys, and
a group's primary key and event time.

A bad value is an :class:`~mlsys.errors.InvalidArgumentError` (the CLI exits 2); a key that
does not fit a group's schema is a :class:`~mlsys.errors.SchemaError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlsys.errors import ArgumentSchemaError, InvalidArgumentError, NotFoundError, SchemaError
from mlsys.names import feature_name
from mlsys.store.api import Filter, Logic

INSERT_OPERATIONS = ("upsert", "insert")
"""The ``operation`` values ``FeatureGroup.insert`` accepts (hsfs's)."""


def check_insert_operation(operation: str) -> None:
    """Refuse an ``insert(operation=...)`` that hsfs would not take either."""
    if operation not in INSERT_OPERATIONS:
        raise InvalidArgumentError(
            f"insert operation {operation!r} is not one of {INSERT_OPERATIONS}; groups are "
            "keyed, so use 'upsert' (the default)")


REJECT_DUPLICATE_KEYS = "reject_duplicate_keys"
"""The write option (and group setting) of the strict duplicate-key check (an mlsys addition)."""


def reject_duplicate_keys(write_options: dict[str, Any] | None, group_setting: bool) -> bool:
    """Whether an insert refuses repeated keys: its write option if given, else the group's."""
    value = (write_options or {}).get(REJECT_DUPLICATE_KEYS)
    if value is None:
        return group_setting
    if not isinstance(value, bool):
        raise InvalidArgumentError(
            f"write_options[{REJECT_DUPLICATE_KEYS!r}] is {value!r}; give True (refuse "
            "repeated primary keys) or False (store them as given, the Hopsworks default)")
    return value


DATAFRAME_TYPES = ("default", "pandas", "polars", "pyarrow")
"""The ``dataframe_type`` values reads accept (in any case, as hsfs); "default" is pandas."""


def check_dataframe_type(dataframe_type: object) -> str:
    """The frame kind a read returns ("pandas", "polars" or "pyarrow"); another
    ``dataframe_type`` (hsfs's "spark", "numpy", "python") is an InvalidArgumentError, a
    Polars read without Polars a MissingExtraError naming the extra.

    The one check of every read of both backends, so one mistake gives one error class."""
    if not isinstance(dataframe_type, str) or dataframe_type.lower() not in DATAFRAME_TYPES:
        raise InvalidArgumentError(
            f"dataframe_type {dataframe_type!r} is not supported; mlsys returns "
            f"{', '.join(map(repr, DATAFRAME_TYPES))} frames: convert the result if you need "
            "another")
    kind = dataframe_type.lower()
    if kind == "polars":
        from mlsys.store.rules.dataframes import polars  # pandas+pyarrow: only when needed

        polars()  # refused before any read work
    return "pandas" if kind == "default" else kind


def serving_keys_of(serving_keys: Any, entry: Any) -> Any:
    """The key(s) a feature-vector lookup was given, under hsfs 5's name or the earlier one."""
    if serving_keys is not None and entry is not None:
        raise InvalidArgumentError("give serving_keys or entry (its earlier name), not both")
    chosen = serving_keys if serving_keys is not None else entry
    if chosen is None:
        raise InvalidArgumentError("give the primary key to look up, e.g. "
                                   "get_feature_vector({'id': 1})")
    return chosen


JOIN_TYPES = ("inner", "left", "right", "full", "outer")
"""``Query.join(join_type=...)`` values (hsfs's)."""


def join_keys(join_type: object, on: Sequence[str] | None, left_on: Sequence[str] | None,
              right_on: Sequence[str] | None) -> tuple[list[str], list[str]] | None:
    """The normalised (left, right) join keys given to ``Query.join``, or None when none were
    given (the right group's primary key is then used); a bad combination is an argument
    error."""
    if join_type not in JOIN_TYPES:
        raise ArgumentSchemaError(f"join_type {join_type!r} is not known; use one of "
                                  f"{JOIN_TYPES}")
    if on is not None and (left_on is not None or right_on is not None):
        raise ArgumentSchemaError("give either on=[...] or left_on=/right_on=, not both")
    if on is not None:
        keys = [feature_name(k) for k in on]
        return keys, keys
    if left_on is not None or right_on is not None:
        if left_on is None or right_on is None or len(left_on) != len(right_on):
            raise ArgumentSchemaError("left_on and right_on must both be given, of equal "
                                      "length")
        return [feature_name(k) for k in left_on], [feature_name(k) for k in right_on]
    return None


def group_keys(primary_key: Sequence[str] | str | None,
               event_time: str | None) -> tuple[list[str], str | None]:
    """A group's primary key and event time as given to ``get_or_create_feature_group``,
    normalised as feature names; an event time that is also a key column is a SchemaError."""
    items = [primary_key] if isinstance(primary_key, str) else list(primary_key or [])
    pk = [feature_name(k) for k in items]
    et = feature_name(event_time) if event_time is not None else None
    if et is not None and et in pk:
        raise SchemaError(f"event_time {et!r} is also in the primary key {pk}; the upsert "
                          "key is primary key + event time, so keep them apart",
                          column=et, reason=SchemaError.NAME_CLASH)
    return pk, et


def check_new_group_keys(name: str, version: int, pk: Sequence[str]) -> None:
    """Creating a group needs a primary key."""
    if not pk:
        raise SchemaError(f"creating feature group {name} v{version} needs a primary "
                          "key, e.g. primary_key=['id']", reason=SchemaError.MISSING_COLUMN)


def check_existing_group_keys(name: str, version: int, pk: Sequence[str], et: str | None,
                              have_pk: Sequence[str], have_et: str | None) -> None:
    """Keys given for an existing group must be its own (omitted ones are not checked)."""
    if (pk and list(pk) != list(have_pk)) or (et is not None and et != have_et):
        raise SchemaError(
            f"feature group {name} v{version} exists with primary key {list(have_pk)} and "
            f"event time {have_et!r}, not {list(pk)} / {et!r}; use those, or a new version",
            reason=SchemaError.KEY_MISMATCH)


def view_labels(view: str, labels: Sequence[str] | str | None,
                features: Sequence[str]) -> list[str]:
    """A new view's labels, normalised; one that is not among the query's ``features`` raises
    NotFoundError listing them."""
    names = [feature_name(x) for x in ([labels] if isinstance(labels, str) else labels or [])]
    missing = [x for x in names if x not in features]
    if missing:
        raise NotFoundError(f"label of feature view {view}", ", ".join(missing), features)
    return names


def foreign_query(query: object,
                  what: str = "query must come from this feature store") -> ArgumentSchemaError:
    """The error for a view made from (or a join with) a query of another store, or none."""
    return ArgumentSchemaError(f"{what}, e.g. fg.select_all(); got {type(query).__name__}")


FILTER_OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "like")
"""The operators of :class:`~mlsys.store.api.Filter` (hsfs's)."""


def check_filter(f: object) -> Filter | Logic:
    """``f`` if it is a filter with a known operator; else an argument error saying how to
    build one."""
    if not isinstance(f, Filter | Logic):
        raise ArgumentSchemaError(
            f"{f!r} is not a filter; build one from features, e.g. fg.filter(fg['x'] > 5) "
            "or (fg['a'] >= 1) & (fg['b'] == 'x')")
    if isinstance(f, Filter) and f.op not in FILTER_OPS:
        raise ArgumentSchemaError(f"filter operator {f.op!r} is not known; use one of "
                                  f"{FILTER_OPS}")
    return f
