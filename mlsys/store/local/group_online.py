"""A feature group's online rows: its SQLite store, kept in step with the group's Delta table."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from mlsys.errors import NotFoundError
from mlsys.store.local import tables
from mlsys.store.local.group_state import GroupState
from mlsys.store.local.locks import file_lock
from mlsys.store.local.online import OnlineStore
from mlsys.store.rules import frames


class GroupOnline:
    """The online side of one online-enabled group: updated after each commit of the group,
    and rebuilt from the table whenever it lags it (a writer died between its commit and its
    online update).

    The group's columns are passed to each call: they live in the catalog, and the caller
    has just read them."""

    def __init__(self, state: GroupState) -> None:
        self._state = state

    def store(self, columns: Sequence[frames.Column] | None) -> OnlineStore:
        """The group's online store (the caller has checked the group is online-enabled);
        NotFoundError before its first insert (no ``columns`` yet)."""
        if not columns:
            raise NotFoundError(f"online data of {self._state.where}", "any row (nothing "
                                "inserted yet)", [])
        state = self._state
        return state.ctx.online.get(state.name, state.version, list(columns),
                                    list(state.primary_key), state.event_time)

    def after_commit(self, columns: Sequence[frames.Column], data: pa.Table,
                     before: int | None, version: int, replaced: bool) -> None:
        """Bring the store to the commit ``version`` that wrote ``data`` on top of ``before``
        (``replaced``: an overwrite)."""
        store = self.store(columns)
        synced = store.synced_version()
        if replaced or (before is None and synced is None):
            store.rebuild(data, version)  # a plain bulk INSERT into an empty table
        elif synced == before and version == (before or 0) + 1:
            store.upsert(data, version)
        else:  # behind: a writer died between its commit and its online update
            store.rebuild(tables.read_arrow(self._state.path, version), version)

    def ensure(self, columns: Sequence[frames.Column] | None,
               look: bool = False) -> OnlineStore | None:
        """The store, rebuilt from Delta first if it lags; None before any insert. In a
        bucket the table is looked at once per ``online_refresh_every`` (see ``LocalConfig``)
        unless ``look``."""
        if columns is None:
            return None
        store, state = self.store(columns), self._state
        every = state.ctx.config.online_refresh_every
        if not look and every is not None and not store.due(every):
            return store
        current = tables.current_version(state.path)
        if current is not None and store.synced_version() != current:
            with file_lock(state.lock_path, state.ctx.config.lock_timeout_s, state.where):
                current = tables.current_version(state.path)
                if current is not None and store.synced_version() != current:
                    store.rebuild(tables.read_arrow(state.path, current), current)
        store.checked()
        return store


__all__ = ["GroupOnline"]
