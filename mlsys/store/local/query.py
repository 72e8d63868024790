"""The query engine: select / filter / join (point-in-time correct) / as_of over Delta tables.

A query reads each feature group once (only the columns it needs), joins in pandas and filters
the result. Joins between groups that both have an event time use ``pandas.merge_asof``: each
left row gets the latest right row whose event time is <= its own, so training data never
sees the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsys.errors import ArgumentSchemaError, NotFoundError, SchemaError
from mlsys.names import feature_name
from mlsys.store.api import Feature, Filter, Logic, Query, TimeLike
from mlsys.store.local import filters as flt
from mlsys.store.local import scan_filters
from mlsys.store.local.reading import GroupReader, ReadContext, Window
from mlsys.store.rules.arguments import (
    check_dataframe_type,
    check_filter,
    foreign_query,
    join_keys,
)
from mlsys.store.rules.dataframes import from_pandas
from mlsys.store.rules.times import to_utc

_ROW, _HIT, _RET = "__mlsys_row", "__mlsys_hit", "__mlsys_right_event_time"


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Join:
    """One join of a query: the right sub-query and how it is matched."""

    query: LocalQuery
    left_on: tuple[str, ...]
    right_on: tuple[str, ...]
    join_type: str
    prefix: str | None


class LocalQuery(Query):
    """A lazy, immutable query over one feature group and the groups joined to it."""

    def __init__(self, fg: GroupReader, columns: Sequence[str] | None = None,
                 exclude: Sequence[str] = (), filters: Sequence[Filter | Logic] = (),
                 joins: Sequence[Join] = (),
                 as_of: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None),
                 implicit: Sequence[str] = ()) -> None:
        self._fg = fg
        self._columns = tuple(columns) if columns is not None else None
        # Key columns select() added for joins, not chosen by the user: a query returns them,
        # but they are not features of a view built on it (as hsfs's helper columns).
        self._implicit = tuple(implicit)
        self._exclude = tuple(exclude)
        self._filters = tuple(filters)
        self._joins = tuple(joins)
        self._as_of = as_of

    def _copy(self, **changes: Any) -> LocalQuery:
        state = {"columns": self._columns, "exclude": self._exclude, "filters": self._filters,
                 "joins": self._joins, "as_of": self._as_of, "implicit": self._implicit,
                 **changes}
        return LocalQuery(self._fg, **state)

    def __repr__(self) -> str:
        joins = "".join(f" JOIN {j.query._fg.name}" for j in self._joins)
        return f"LocalQuery({self._fg.name} v{self._fg.version}{joins})"

    @property
    def group(self) -> GroupReader:
        """The left feature group."""
        return self._fg

    @property
    def joins(self) -> tuple[Join, ...]:
        """The joins, in order."""
        return self._joins

    # -- building
    def join(self, sub_query: Query, on: Sequence[str] | None = None,
             left_on: Sequence[str] | None = None, right_on: Sequence[str] | None = None,
             join_type: Literal["inner", "left", "right", "full", "outer"] = "left",
             prefix: str | None = None) -> LocalQuery:
        if not isinstance(sub_query, LocalQuery):
            raise foreign_query(sub_query, "join expects a query of this store")
        given = join_keys(join_type, on, left_on, right_on)
        lk, rk = given if given is not None else (list(sub_query._fg.primary_key),) * 2
        if not lk:
            raise ArgumentSchemaError("a join needs at least one key column")
        if prefix is not None and prefix != "":
            feature_name(prefix + "x")  # a prefix must make valid feature names
        new = Join(sub_query, tuple(lk), tuple(rk), join_type, prefix or None)
        query = self._copy(joins=(*self._joins, new))
        query._output()  # fail now, not at read time, on key or name clashes
        return query

    def filter(self, f: Filter | Logic) -> LocalQuery:
        return self._copy(filters=(*self._filters, check_filter(f)))

    def as_of(self, wallclock_time: TimeLike = None,
              exclude_until: TimeLike = None) -> LocalQuery:
        return self._copy(as_of=(to_utc(wallclock_time, "wallclock_time"),
                                 to_utc(exclude_until, "exclude_until")))

    # -- what comes out
    def own_columns(self) -> list[str]:
        """The left group's output columns."""
        names = [f.name for f in self._fg.features]
        if self._columns is not None:
            return list(self._columns)
        return [n for n in names if n not in self._exclude]

    def join_columns(self, j: Join, taken: set[str]) -> list[tuple[str, str]]:
        """``(right output name, name in the result)`` of each column a join adds."""
        right_fg = j.query._fg
        out = []
        for f in j.query._output():
            if f.name in j.right_on:
                continue  # the key: equal to the left's key column
            new = f"{j.prefix}{f.name}" if j.prefix else f.name
            if new in taken:
                if not j.prefix and (f.name == right_fg.event_time
                                     or f.name in right_fg.primary_key):
                    continue  # the right's own key / time: the left's column says the same
                raise SchemaError(
                    f"feature {new!r} of {right_fg.name} v{right_fg.version} clashes with a "
                    f"feature already in the query; pass join(..., prefix='{right_fg.name}_') "
                    "or select fewer features", column=new, reason=SchemaError.NAME_CLASH)
            taken.add(new)
            out.append((f.name, new))
        return out

    def _output(self) -> list[Feature]:
        """The features the query returns, in order (also checks joins and names)."""
        return [f for f, _ in self._plan()]

    def view_features(self) -> list[Feature]:
        """The features a feature view on this query has: the chosen ones, not helper keys."""
        return [f for f, chosen in self._plan() if chosen]

    def _plan(self) -> list[tuple[Feature, bool]]:
        """Each output feature, and whether the user chose it (False: a key added for joins)."""
        types = {f.name: f for f in self._fg.features}
        own = self.own_columns()
        out = [(types.get(n, Feature(n, "unknown")), n not in self._implicit) for n in own]
        taken = set(own) | set(self._fg.keys)
        for j in self._joins:
            if types:
                missing = [k for k in j.left_on if k not in types and k not in taken]
                if missing:
                    raise NotFoundError(f"join key of {self._fg.name} v{self._fg.version}",
                                        ", ".join(missing), sorted(taken | set(types)))
            right = {f.name: (f, chosen) for f, chosen in j.query._plan()}
            for src, new in self.join_columns(j, taken):
                f, chosen = right[src]
                out.append((Feature(new, f.type, f.primary, f.description), chosen))
        return out

    @property
    def features(self) -> list[Feature]:
        return self._output()

    def key_outputs(self) -> tuple[list[str], list[str]]:
        """(primary-key, event-time) column names of the left group, for feature views."""
        et = [self._fg.event_time] if self._fg.event_time else []
        return list(self._fg.primary_key), et

    # -- reading
    def read(self, online: bool = False, dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> Any:
        """The result; joins and filters run in pandas, so a Polars or Arrow result is
        converted from the joined frame."""
        kind = check_dataframe_type(dataframe_type)
        frame = self.run(ReadContext(online=online))
        out = frame[[f.name for f in self._output()]].reset_index(drop=True)
        return from_pandas(out, kind)

    def run(self, ctx: ReadContext, window: Window = (None, None),
            also: Filter | Logic | None = None) -> pd.DataFrame:
        """The result with its output columns plus the left group's key columns.

        ``window`` (an event-time range of the left group, as a feature view's start/end time)
        is pushed into the left group's Delta scan, so rows outside it are not read; the caller
        still filters the joined result by it (and by ``also``, a filter it applies itself).
        The query's filters (and ``also``) on the left group's features are pushed too
        (:mod:`~mlsys.store.local.scan_filters`) unless a right or full join would keep right
        rows whose left rows they remove. Joined groups are read whole: a point-in-time join
        needs their rows from before the window."""
        fg = self._fg
        if self._as_of != (None, None) and not ctx.online:
            ctx = replace(ctx, wallclock=self._as_of[0], exclude_until=self._as_of[1],
                          read=ctx.read)
        own = self.own_columns()
        group_cols = {f.name for f in fg.features}
        wanted = [*own, *fg.keys, *(k for j in self._joins for k in j.left_on)]
        wanted += [c for f in self._filters for c in flt.features_of(f)]
        # Before the first insert the schema is unknown: ask for every name (all empty).
        cols = [c for c in _unique(wanted) if c in group_cols] if group_cols else _unique(wanted)
        frame = fg.read_columns(cols, ctx, window, self._scan_filter(also))
        taken = set(own) | set(fg.keys)
        for j in self._joins:
            frame = self._apply_join(frame, j, taken, ctx)
        for f in self._filters:
            frame = frame.loc[flt.mask(frame, f)]
        return frame

    def _scan_filter(self, also: Filter | Logic | None) -> Any:
        """The pyarrow filter of the left group's scan (None: every row); see :meth:`run`."""
        if any(j.join_type not in ("left", "inner") for j in self._joins):
            return None
        types = {f.name: f.type for f in self._fg.features}
        given = [*self._filters, *([also] if also is not None else [])]
        return scan_filters.all_of([scan_filters.scan_filter(f, types) for f in given])

    def _apply_join(self, frame: pd.DataFrame, j: Join, taken: set[str],
                    ctx: ReadContext) -> pd.DataFrame:
        right_fg = j.query._fg
        right = j.query.run(ctx)
        renames = dict(self.join_columns(j, taken))
        lt, rt = self._fg.event_time, right_fg.event_time
        pit = bool(lt and rt and not ctx.online)
        # the right group's columns under their output names, renamed and extended in place:
        # a group of 1M rows is copied once here, not once per rename or added column
        r = right[[*j.right_on, *renames]].copy(deep=False)  # a frame of its own, not a view
        keyed = dict(zip(j.right_on, j.left_on, strict=True))
        r.columns = [renames.get(keyed.get(c, c), keyed.get(c, c)) for c in r.columns]
        if rt and not pit and not ctx.online:
            # Without a time on the left, each key gets the right group's latest row.
            order = right[rt].reset_index(drop=True).sort_values(kind="stable").index
            r = r.iloc[order.to_numpy()].drop_duplicates(list(j.left_on), keep="last")
        keys = list(j.left_on)
        try:
            if not pit or frame.empty:
                how = "outer" if j.join_type == "full" else j.join_type
                return frame.merge(r, on=keys, how=how)  # type: ignore[arg-type]
            if j.join_type not in ("left", "inner"):
                raise ArgumentSchemaError(
                    f"a point-in-time join (both groups have an event time) supports join_type "
                    f"'left' or 'inner', not {j.join_type!r}"
                )
            assert lt is not None and rt is not None  # pit implies both
            r[_RET] = right[rt].array
            return _asof(frame, r, lt, keys, j.join_type)
        except (ValueError, TypeError) as err:
            if isinstance(err, SchemaError):
                raise
            raise SchemaError(
                f"cannot join {right_fg.name} v{right_fg.version} on {keys}: {err}; join on "
                "columns of the same type"
            ) from None

    # -- catalog form (feature views store their query)
    def to_spec(self) -> dict[str, Any]:
        return {
            "feature_group": [self._fg.name, self._fg.version],
            "columns": list(self._columns) if self._columns is not None else None,
            "exclude": list(self._exclude),
            "filters": [flt.to_spec(f) for f in self._filters],
            "joins": [{"query": j.query.to_spec(), "left_on": list(j.left_on),
                       "right_on": list(j.right_on), "join_type": j.join_type,
                       "prefix": j.prefix} for j in self._joins],
            "as_of": [t.isoformat() if t is not None else None for t in self._as_of],
            "implicit": list(self._implicit),
        }


def _asof(left: pd.DataFrame, right: pd.DataFrame, on: str, by: list[str],
          how: str) -> pd.DataFrame:
    """Point-in-time join: per left row the newest right row with time <= the left time.

    ``right`` (the join's own frame, with the right time in ``_RET``) gets a column added in
    place."""
    # groups read in insert order are often in time order already (a daily group, a backfill
    # of a time-ordered export): a stable sort of sorted rows changes nothing, so it is skipped
    left_sorted = left[on].is_monotonic_increasing
    lf = left.assign(**{_ROW: np.arange(len(left))})
    if not left_sorted:
        lf = lf.sort_values(on, kind="stable")
    right[_HIT] = True
    rf = right
    if not rf[_RET].is_monotonic_increasing:
        rf = rf.sort_values(_RET, kind="stable")
    out = pd.merge_asof(lf, rf, left_on=on, right_on=_RET, by=by, direction="backward",
                        allow_exact_matches=True)
    if how == "inner":
        out = out.loc[out[_HIT].notna().to_numpy()]
    if not left_sorted:  # back to the left rows' order (merge_asof keeps the left's order)
        out = out.sort_values(_ROW, kind="stable")
    return out.drop(columns=[_ROW, _HIT, _RET]).reset_index(drop=True)
