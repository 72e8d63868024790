"""Queries on Hopsworks: immutable recipes that build an ``hsfs.constructor.query.Query``.

hsfs queries change in place (``join``, ``filter`` and ``as_of`` return ``self``), while mlsys
queries are immutable. So a :class:`HopsworksQuery` keeps a recipe — the feature group, the select
call and the later steps — and builds a fresh hsfs query from it whenever one is needed. Building
touches no network: ``select*`` on a feature group only makes metadata objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from mlsys.errors import NotFoundError, SchemaError
from mlsys.names import feature_name
from mlsys.store.api import Feature, Filter, Logic, Query, TimeLike
from mlsys.store.rules import dataframes
from mlsys.store.rules.arguments import (
    check_dataframe_type,
    check_filter,
    foreign_query,
    join_keys,
)
from mlsys.store.rules.times import utc

if TYPE_CHECKING:

    from mlsys.store.hopsworks.context import Context

# mlsys Filter.op -> the hsfs Feature method that builds the same hsfs Filter
_OPS = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "==": "__eq__",
        "!=": "__ne__", "in": "isin", "like": "like"}


def feature_from_sdk(f: Any) -> Feature:
    """An mlsys :class:`Feature` from an hsfs ``Feature`` or ``TrainingDatasetFeature``."""
    return Feature(name=str(f.name), type=str(getattr(f, "type", None) or "unknown").lower(),
                   primary=bool(getattr(f, "primary", False)),
                   description=str(getattr(f, "description", None) or ""))


def to_sdk_filter(sdk_query: Any, f: Filter | Logic) -> Any:
    """The hsfs ``Filter`` / ``Logic`` for ``f``, its features resolved in ``sdk_query``."""
    if isinstance(f, Logic):
        left, right = to_sdk_filter(sdk_query, f.left), to_sdk_filter(sdk_query, f.right)
        return left & right if f.type == "AND" else left | right
    check_filter(f)
    name = feature_name(f.feature)
    known = sorted(set(output_names(sdk_query)) | {str(x.name) for x in sdk_query.features})
    if name not in known:
        raise NotFoundError("feature of the query", name, known)
    sdk_feature = sdk_query.get_feature(name)
    method = getattr(sdk_feature, _OPS[f.op])
    value = list(f.value) if f.op == "in" else f.value
    return method(value)


def clone_query(q: Any) -> Any:
    """A copy of an hsfs ``Query`` (and its joins) that in-place ``join`` / ``filter`` /
    ``as_of`` on the copy cannot reach back through. ``copy.deepcopy`` does not work on hsfs
    queries: their ``__getattr__`` looks names up as features and recurses forever."""
    new = object.__new__(type(q))
    new.__dict__.update(vars(q))
    joins = []
    for j in vars(q).get("_joins") or []:
        join = object.__new__(type(j))
        join.__dict__.update(vars(j))
        join._query = clone_query(vars(j)["_query"])
        joins.append(join)
    new._joins = joins
    return new


@dataclass(frozen=True)
class Recipe:
    """How to build an hsfs query: ``fg.<select>(**args)`` then ``steps`` in order."""

    fg: Any  # hsfs FeatureGroup (or a prebuilt hsfs Query when select == "")
    select: str
    args: tuple[tuple[str, Any], ...] = ()
    steps: tuple[tuple[str, Any], ...] = ()
    implicit: tuple[str, ...] = ()  # key columns select() added that the caller did not name

    def without_implicit(self) -> Recipe:
        """The recipe without its implicit keys. A join's right side adds only the features
        the caller named (the join matches the keys), and a feature view's features are the
        named ones: hsfs adds the keys to training and batch data itself when asked to."""
        if self.select != "select" or not self.implicit:
            return self
        args = dict(self.args)
        kept = [f for f in args["features"] if f not in self.implicit]
        if not kept:
            return self
        return replace(self, args=tuple({**args, "features": kept}.items()), implicit=())

    def build(self) -> Any:
        if self.select:
            q = getattr(self.fg, self.select)(**dict(self.args))
        else:  # a stored view's query: copy it, hsfs would change it in place
            q = clone_query(self.fg)
        for kind, arg in self.steps:
            if kind == "join":
                sub, kwargs = arg
                q = q.join(sub.build(), **kwargs)
            elif kind == "filter":
                q = q.filter(to_sdk_filter(q, arg))
            elif kind == "as_of":
                q = q.as_of(*arg)
        return q

    def then(self, kind: str, arg: Any) -> Recipe:
        return replace(self, steps=(*self.steps, (kind, arg)))


def output_features(sdk_query: Any) -> list[tuple[str, Any]]:
    """``(column name, hsfs feature)`` of what ``read`` returns: the left group's features,
    then each join's, with the join's prefix (Hopsworks prefixes every right-side name)."""
    # hsfs's public ``features`` lists joined features without their prefix
    left = getattr(sdk_query, "_left_features", None)
    if left is None:
        left = sdk_query.features
    out = [(str(f.name), f) for f in left]
    for j in sdk_query.joins:
        prefix = j.prefix or ""
        out += [(prefix + name, f) for name, f in output_features(j.query)]
    return out


def output_names(sdk_query: Any) -> list[str]:
    return [name for name, _ in output_features(sdk_query)]


class HopsworksQuery(Query):
    """A :class:`~mlsys.store.api.Query` over hsfs; see the module docstring."""

    def __init__(self, recipe: Recipe, ctx: Context) -> None:
        self._recipe = recipe
        self._ctx = ctx

    @property
    def recipe(self) -> Recipe:
        return self._recipe

    def to_sdk(self) -> Any:
        """A new hsfs ``Query`` for this query."""
        with self._ctx.calls.call("build the query"):
            return self._recipe.build()

    def to_sdk_for_view(self) -> Any:
        """The hsfs ``Query`` a feature view is created from: without the implicit keys."""
        with self._ctx.calls.call("build the query of the view"):
            return self._recipe.without_implicit().build()

    def read(self, online: bool = False, dataframe_type: str = "pandas",
             read_options: dict[str, Any] | None = None) -> Any:
        """hsfs reads pandas and Polars itself; an Arrow result is converted from pandas."""
        kind = check_dataframe_type(dataframe_type)
        q = self.to_sdk()
        asked = dataframe_type if kind == "pandas" else dataframes.sdk_dataframe_type(kind)
        rows = self._ctx.calls.run("read the query", q.read, online=online,
                                   dataframe_type=asked, read_options=read_options)
        return dataframes.from_sdk(rows, kind)

    def join(self, sub_query: Query, on: Sequence[str] | None = None,
             left_on: Sequence[str] | None = None, right_on: Sequence[str] | None = None,
             join_type: Literal["inner", "left", "right", "full", "outer"] = "left",
             prefix: str | None = None) -> Query:
        if not isinstance(sub_query, HopsworksQuery):
            raise foreign_query(sub_query, "join expects a query of this store")
        join_keys(join_type, on, left_on, right_on)  # the same argument rules as locally
        kwargs = {
            "on": [feature_name(n) for n in on] if on else None,
            "left_on": [feature_name(n) for n in left_on] if left_on else None,
            "right_on": [feature_name(n) for n in right_on] if right_on else None,
            "join_type": join_type,
            "prefix": prefix,
        }
        right = sub_query.recipe.without_implicit()
        if not prefix:
            self._refuse_clash(right, kwargs)
        return HopsworksQuery(self._recipe.then("join", (right, kwargs)), self._ctx)

    def _refuse_clash(self, right: Recipe, kwargs: dict[str, Any]) -> None:
        """mlsys needs a prefix on a name clash; hsfs would invent one (the group's name)."""
        left = self.to_sdk()
        with self._ctx.calls.call("build the joined query"):
            right_q = right.build()
        keys = set(kwargs["on"] or []) | set(kwargs["right_on"] or [])
        right_fg = getattr(right.fg, "primary_key", None)
        if not keys and right_fg:
            keys = set(right_fg)
        event_time = getattr(right.fg, "event_time", None)
        clash = (set(output_names(left)) & set(output_names(right_q))) - keys - {event_time}
        if clash:
            raise SchemaError(
                f"joined features {sorted(clash)} exist on both sides; pass prefix='...' to "
                "join() so the right side's names stay distinct",
                column=sorted(clash)[0], reason=SchemaError.NAME_CLASH)

    def filter(self, f: Filter | Logic) -> Query:
        recipe = self._recipe.then("filter", f)
        with self._ctx.calls.call("filter the query"):
            recipe.build()  # resolve the features now, so a bad name fails here, not at read
        return HopsworksQuery(recipe, self._ctx)

    def as_of(self, wallclock_time: TimeLike = None, exclude_until: TimeLike = None) -> Query:
        times = (utc(wallclock_time, "wallclock_time"), utc(exclude_until, "exclude_until"))
        return HopsworksQuery(self._recipe.then("as_of", times), self._ctx)

    @property
    def features(self) -> list[Feature]:
        out = []
        for name, f in output_features(self.to_sdk()):
            base = feature_from_sdk(f)
            out.append(Feature(name, base.type, base.primary, base.description))
        return out
