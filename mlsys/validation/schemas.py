"""Pandera helpers: run a schema on a frame and turn its failures into readable mlsys errors."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mlsys.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])

FAILURE_CASE_COLUMNS = ("column", "check", "failure_case", "index")
"""The columns of :attr:`SchemaResult.failure_cases` (a subset of Pandera's own)."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing the frames field-wise is meaningless
class SchemaResult:
    """The outcome of one Pandera schema on one frame, for reports.

    ``failure_cases`` holds at most ``max_cases`` rows of ``FAILURE_CASE_COLUMNS``;
    ``failure_count`` counts them all. ``error`` is set when the schema could not run at all.
    """

    schema_name: str
    passed: bool
    row_count: int
    failure_count: int
    failure_cases: pd.DataFrame
    error: str | None = None

    def describe(self, limit: int = 5) -> str:
        """One short phrase per failure case, with the fix, for error messages."""
        if self.passed:
            return f"{self.row_count} row(s) fit schema {self.schema_name!r}"
        if self.error and self.failure_cases.empty:
            return self.error
        return _describe_cases(self.failure_cases, self.failure_count, limit)


def resolve_schema(schema: Any) -> Any:
    """A schema object from ``schema`` or from a zero-argument factory returning one.

    Systems build their schemas on demand (``System.schema`` is a factory), so both are accepted.
    """
    if hasattr(schema, "validate"):
        return schema
    if callable(schema):
        built = schema()
        if hasattr(built, "validate"):
            return built
    raise SchemaError(
        f"{schema!r} is not a Pandera schema (a DataFrameSchema, a DataFrameModel class, or a "
        "function returning one)"
    )


def schema_name(schema: Any) -> str:
    """A readable name for a schema: its ``name``, else its class name."""
    name = getattr(schema, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(schema, "__name__", None) or type(schema).__name__


def run_schema(schema: Any, df: pd.DataFrame, max_cases: int = 50) -> SchemaResult:
    """Validate ``df`` lazily (every check runs) and collect the failures; never raises on them."""
    import pandas as pd
    import pandera.errors as pe

    resolved = resolve_schema(schema)
    name = schema_name(resolved)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_CASE_COLUMNS})
    try:
        resolved.validate(df, lazy=True)
    except pe.SchemaErrors as err:
        cases = _cases_frame(err.failure_cases)
        return SchemaResult(name, False, len(df), len(cases), cases.head(max_cases).copy(),
                            error=None)
    except pe.SchemaError as err:  # some checks fail fast even when lazy
        cases = _cases_frame(err.failure_cases) if err.failure_cases is not None else empty
        if cases.empty:
            cases = pd.DataFrame([{"column": getattr(err.schema, "name", None),
                                   "check": str(err.check), "failure_case": str(err),
                                   "index": None}], columns=list(FAILURE_CASE_COLUMNS))
        return SchemaResult(name, False, len(df), len(cases), cases.head(max_cases).copy(),
                            error=str(err).splitlines()[0])
    except Exception as err:  # a check that crashes is a failed validation, reported as such
        return SchemaResult(name, False, len(df), 0, empty,
                            error=f"{type(err).__name__}: {err}")
    return SchemaResult(name, True, len(df), 0, empty)


def check_frame(schema: Any, df: pd.DataFrame, what: str = "the frame") -> pd.DataFrame:
    """``df`` validated by ``schema`` (the validated, possibly coerced frame Pandera returns).

    Failures raise :class:`~mlsys.errors.SchemaError` naming the first few failure cases
    (column, check, failing values) and how to fix them.
    """
    import pandera.errors as pe

    resolved = resolve_schema(schema)
    try:
        # Pandera copies the frame first unless told it may work in place; when the schema
        # cannot change the frame that copy is pure cost (a 1M-row insert: ~6 ms, 15% of it)
        return resolved.validate(df, lazy=True, inplace=not _may_change_frame(resolved))
    except (pe.SchemaErrors, pe.SchemaError):
        result = run_schema(resolved, df)
        raise SchemaError(
            f"{what} does not fit schema {result.schema_name!r}: {result.describe()}"
        ) from None


def _may_change_frame(schema: Any) -> bool:
    """Whether validating with ``schema`` can alter the frame (coercion, defaults, parsers,
    dropped rows or columns); anything but a plain ``DataFrameSchema`` is assumed to."""
    import pandera.pandas as pa

    if not isinstance(schema, pa.DataFrameSchema):
        return True
    if (schema.coerce or schema.add_missing_columns or schema.drop_invalid_rows
            or schema.parsers or schema.strict == "filter"):
        return True
    parts = [*schema.columns.values()]
    if schema.index is not None:
        parts += [*getattr(schema.index, "indexes", [schema.index])]
    return any(part.coerce or getattr(part, "default", None) is not None or part.parsers
               or part.drop_invalid_rows for part in parts)


def guard(input_schema: Any = None, output_schema: Any = None, arg: int | str = 0) -> Callable[
        [F], F]:
    """A decorator checking a function's DataFrame argument ``arg`` and/or its return value.

    ``@guard(output_schema=wine_schema)`` raises SchemaError when the function returns a frame
    that does not fit; ``input_schema`` checks the positional index or keyword ``arg`` first.
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        params = list(signature.parameters)
        arg_name = params[arg] if isinstance(arg, int) else arg

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if input_schema is not None:
                bound = signature.bind(*args, **kwargs)
                frame = bound.arguments[arg_name]
                bound.arguments[arg_name] = check_frame(
                    input_schema, frame, f"argument {arg_name!r} of {fn.__qualname__}()")
                args, kwargs = bound.args, bound.kwargs
            out = fn(*args, **kwargs)
            if output_schema is not None:
                out = check_frame(output_schema, out, f"the result of {fn.__qualname__}()")
            return out

        return wrapper  # type: ignore[return-value]

    return decorate


# --------------------------------------------------------------------------- messages


def _cases_frame(failure_cases: Any) -> pd.DataFrame:
    import pandas as pd

    frame = failure_cases if isinstance(failure_cases, pd.DataFrame) else pd.DataFrame()
    out = pd.DataFrame({c: (frame[c] if c in frame.columns else None)
                        for c in FAILURE_CASE_COLUMNS}, index=frame.index)
    return out.astype(object).reset_index(drop=True)


def _describe_cases(cases: pd.DataFrame, total: int, limit: int) -> str:
    """Group failure cases by (column, check) and say what is wrong and the fix for each."""
    import pandas as pd

    groups: dict[tuple[str, str], list[Any]] = {}
    for row in cases.itertuples(index=False):
        raw: Any = row.column
        column = None if raw is None or pd.isna(raw) else str(raw)
        key = (column or "", str(row.check))
        groups.setdefault(key, []).append(row.failure_case)
    phrases = [_phrase(column, check, values) for (column, check), values in groups.items()]
    shown = phrases[:limit]
    more = len(phrases) - len(shown)
    if more > 0:
        shown.append(f"... and {more} more kind(s) of failure")
    return f"{total} failure case(s): " + "; ".join(shown)


def _phrase(column: str, check: str, values: list[Any]) -> str:
    examples = ", ".join(repr(_plain(v)) for v in values[:3])
    if check == "column_in_dataframe":
        missing = ", ".join(repr(_plain(v)) for v in values)
        return f"missing column(s) {missing} (add them to the frame)"
    if check == "column_in_schema":
        extra = ", ".join(repr(_plain(v)) for v in values)
        return f"unexpected column(s) {extra} (drop them or add them to the schema)"
    if check.startswith("dtype("):
        return (f"column {column!r} has dtype {examples}, expected {check[6:-1]} "
                "(cast the column, e.g. df[col].astype(...))")
    if check == "not_nullable":
        return f"column {column!r} has {len(values)} null value(s) (fill or drop those rows)"
    if check in ("field_uniqueness", "unique", "multiple_fields_uniqueness"):
        return f"column {column!r} has duplicate values {examples} (deduplicate the rows)"
    where = f"column {column!r}" if column else "the frame"
    return (f"{where} fails {check} for {len(values)} value(s), e.g. {examples} "
            "(fix or drop those rows)")


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so messages read ``9.0`` not ``np.float64(9.0)``."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (ValueError, TypeError):
            return value
    return value


__all__ = [
    "FAILURE_CASE_COLUMNS",
    "SchemaResult",
    "check_frame",
    "guard",
    "resolve_schema",
    "run_schema",
    "schema_name",
]
