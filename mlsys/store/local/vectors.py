"""Online feature vectors of a feature view: primary-key lookups in the groups' online stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlsys.errors import ArgumentSchemaError, InvalidArgumentError, NotFoundError, SchemaError
from mlsys.names import feature_name
from mlsys.store.rules.times import to_utc

if TYPE_CHECKING:
    from mlsys.store.local.online import OnlineStore
    from mlsys.store.local.query import LocalQuery


def _encoder(type_name: str) -> Callable[[Any], Any]:
    """How a key value given by a caller is bound in the online store's SELECT."""
    if type_name == "timestamp":
        return lambda v: int(to_utc(v, "key").value // 1000)  # type: ignore[union-attr]
    return lambda v: v.item() if isinstance(v, np.generic) else v


_INT64 = (-(2**63), 2**63 - 1)


def _scalar(key: str, value: Any) -> Any:
    """A primary-key value as a lookup can use it: one scalar, an int within int64."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and \
            not _INT64[0] <= value <= _INT64[1]:
        raise InvalidArgumentError(
            f"primary key {key!r} value {value} is outside the 64-bit integer range the store "
            "holds, so no row has it; give the key as stored")
    if value is not None and not isinstance(value, str | int | float | bytes | date | datetime):
        raise InvalidArgumentError(
            f"primary key {key!r} value {str(value)[:100]!r} is a {type(value).__name__}; a "
            "lookup takes one value per key, e.g. {" + repr(key) + ": 1}. For several rows use "
            "get_feature_vectors([{...}, {...}])")
    return value


class VectorLookup:
    """The lookup plan of one view: which store and column gives each vector entry."""

    def __init__(self, query: LocalQuery, columns: list[str]) -> None:
        fg = query.group
        left = fg.ensure_online(look=True)  # serving starts from the table as it is now
        if left is None:
            raise NotFoundError(f"online data of feature group {fg.name} v{fg.version}",
                                "any row (nothing inserted yet)", [])
        self._view_columns = columns
        self._stores: list[OnlineStore] = [left]
        self._groups = [fg, *(j.query.group for j in query.joins)]  # in the order of _stores
        self._refresh_every = fg.online_refresh_every
        self._pk = list(fg.primary_key)
        types = {c.name: c.type for c in left.columns}
        self._pk_enc = [_encoder(types[k]) for k in self._pk]
        source: dict[str, tuple[int, int]] = {
            c.name: (0, i) for i, c in enumerate(left.columns)}
        # per join: (store index, [(left column index or None, entry name)], inner?)
        self._joins: list[tuple[int, list[tuple[int | None, str]], bool]] = []
        taken = set(query.own_columns()) | set(fg.keys)
        for j in query.joins:
            if j.query.joins:
                raise SchemaError("online serving supports one level of joins; flatten the "
                                  "view's query into fg.select(...).join(other.select(...))")
            store = j.query.group.ensure_online(look=True)
            if store is None:
                raise NotFoundError(f"online data of {j.query.group.name}", "any row", [])
            self._stores.append(store)
            index = len(self._stores) - 1
            right_idx = {c.name: i for i, c in enumerate(store.columns)}
            keys = [(source[lk][1] if lk in source and source[lk][0] == 0 else None, lk)
                    for lk in j.left_on]
            self._joins.append((index, keys, j.join_type == "inner"))
            for src, new in query.join_columns(j, taken):
                source[new] = (index, right_idx[src])
        self._plan = [source[c] for c in columns]

    def _key(self, entry: dict[str, Any]) -> tuple[Any, ...]:
        try:
            return tuple(enc(_scalar(k, entry[k]))
                         for enc, k in zip(self._pk_enc, self._pk, strict=True))
        except KeyError:
            norm = {feature_name(k): v for k, v in entry.items()}
            missing = [k for k in self._pk if k not in norm]
            if missing:
                raise ArgumentSchemaError(
                    f"entry {entry!r} lacks primary key(s) {missing}; give "
                    f"{{{', '.join(repr(k) + ': ...' for k in self._pk)}}}",
                    column=missing[0]) from None
            return self._key(norm)

    def _refresh(self) -> None:
        """In a bucket: every ``online_refresh_every`` s, bring each store up to its table
        (commits other machines made); the lookups in between read the stores as they are."""
        every = self._refresh_every
        if every is not None and any(s.due(every) for s in self._stores):
            for fg in self._groups:
                fg.ensure_online()

    def _vector(self, entry: dict[str, Any], allow_missing: bool) -> list[Any]:
        left = self._stores[0]
        row = left.get(self._key(entry))
        if row is None and not allow_missing:
            raise NotFoundError("feature vector for primary key", repr(entry),
                                [f"<{left.count()} other keys in the online store>"])
        rows: list[list[Any] | None] = [row]
        for index, keys, inner in self._joins:
            if row is None:
                rows.append(None)
                continue
            key = tuple(row[i] if i is not None else entry.get(name) for i, name in keys)
            got = self._stores[index].get(key)
            if got is None and inner and not allow_missing:
                raise NotFoundError("joined feature vector for key", repr(key), [])
            rows.append(got)
        return [r[i] if (r := rows[s]) is not None else None for s, i in self._plan]

    def _shape(self, vectors: list[list[Any]], return_type: str) -> Any:
        kind = str(return_type).lower()
        if kind == "list":
            return vectors
        if kind == "pandas":
            return pd.DataFrame(vectors, columns=self._view_columns)
        if kind == "numpy":
            return np.array(vectors, dtype=object)
        raise ArgumentSchemaError(f"return_type {return_type!r} is not supported; use "
                                  "'list', 'pandas' or 'numpy'")

    def vector(self, entry: dict[str, Any], return_type: str, allow_missing: bool) -> Any:
        self._refresh()
        out = self._shape([self._vector(entry, allow_missing)], return_type)
        return out[0] if str(return_type).lower() in ("list", "numpy") else out

    def vectors(self, entries: list[dict[str, Any]], return_type: str,
                allow_missing: bool) -> Any:
        self._refresh()
        return self._shape([self._vector(e, allow_missing) for e in entries], return_type)
