"""The local feature store: creates and finds feature groups and feature views in the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from mlsys.errors import AlreadyExistsError, NotFoundError
from mlsys.names import entity_name, version_number
from mlsys.store.api import FeatureGroup, FeatureStore, FeatureView, Query
from mlsys.store.local import filters as flt
from mlsys.store.local.catalog.records import GroupRecord, NewGroup, ViewRecord
from mlsys.store.local.context import LocalContext
from mlsys.store.local.feature_group import LocalFeatureGroup
from mlsys.store.local.feature_view import LocalFeatureView
from mlsys.store.local.online import OnlineStore
from mlsys.store.local.query import Join, LocalQuery
from mlsys.store.rules.arguments import (
    check_existing_group_keys,
    check_new_group_keys,
    foreign_query,
    group_keys,
    view_labels,
)
from mlsys.store.rules.frames import Column


class LocalFeatureStore(FeatureStore):
    """The project's feature store (see :class:`mlsys.store.api.FeatureStore`)."""

    def __init__(self, ctx: LocalContext) -> None:
        self._ctx = ctx
        self.config = ctx.config
        self.catalog = ctx.catalog
        self.name = f"{ctx.config.project}_featurestore"

    def __repr__(self) -> str:
        return f"LocalFeatureStore({self.name!r}, root={str(self.config.root)!r})"

    def online_store(self, name: str, version: int, columns: Sequence[Column],
                     primary_key: Sequence[str], event_time: str | None) -> OnlineStore:
        """The shared online store of group ``name`` v``version``."""
        return self._ctx.online.get(name, version, columns, primary_key, event_time)

    def forget_online_store(self, name: str, version: int) -> None:
        self._ctx.online.forget(name, version)

    def close(self) -> None:
        self._ctx.online.close()

    def query_from_spec(self, spec: dict[str, Any]) -> LocalQuery:
        """The query a feature view stored (``LocalQuery.to_spec``), on this store's groups."""
        name, version = spec["feature_group"]
        fg = self.get_feature_group(name, version)
        joins = [Join(self.query_from_spec(j["query"]), tuple(j["left_on"]),
                      tuple(j["right_on"]), j["join_type"], j["prefix"]) for j in spec["joins"]]
        w, e = (pd.Timestamp(t) if t else None for t in spec["as_of"])
        return LocalQuery(fg, spec["columns"], spec["exclude"],
                          [flt.from_spec(f) for f in spec["filters"]], joins, (w, e),
                          spec.get("implicit", ()))

    def _view(self, record: ViewRecord) -> LocalFeatureView:
        return LocalFeatureView(self._ctx, record, self.query_from_spec)

    # -- feature groups
    def _group_record(self, name: str, version: int) -> GroupRecord | None:
        return self.catalog.groups.get(name, version)

    def _existing_groups(self) -> list[str]:
        return [f"{r.name} v{r.version}" for r in self.catalog.groups.all()]

    def get_or_create_feature_group(self, name: str, version: int,
                                    primary_key: Sequence[str] | None = None,
                                    event_time: str | None = None, description: str = "",
                                    online_enabled: bool = False,
                                    expectation_suite: Any = None,
                                    **kwargs: Any) -> LocalFeatureGroup:
        entity_name(name)
        version_number(version, "feature group version")
        pk, et = group_keys(primary_key, event_time)
        strict_keys = kwargs.pop("reject_duplicate_keys", None)
        record = self._group_record(name, version)
        if record is None:
            check_new_group_keys(name, version, pk)
            record = self.catalog.groups.add(NewGroup(
                name, version, tuple(pk), et, description or "", bool(online_enabled),
                bool(strict_keys)))
            fg = LocalFeatureGroup(self._ctx, record)
            if expectation_suite is not None and fg.get_expectation_suite() is None:
                fg.save_expectation_suite(expectation_suite, validation_ingestion_policy="always")
            return fg
        if strict_keys is not None and bool(strict_keys) != record.reject_duplicate_keys:
            # An explicit choice on an existing group is stored: the setting follows the owner.
            self.catalog.groups.set_reject_duplicate_keys(record.id, bool(strict_keys))
            record = self._group_record(name, version) or record
        fg = LocalFeatureGroup(self._ctx, record)
        check_existing_group_keys(name, version, pk, et, fg.primary_key, fg.event_time)
        return fg

    def create_feature_group(self, name: str, version: int, **kwargs: Any) -> LocalFeatureGroup:
        """Create a new group (hsfs name); an existing one raises AlreadyExistsError."""
        entity_name(name)
        if self._group_record(name, version) is not None:
            raise AlreadyExistsError(f"feature group {name} v{version} exists; use "
                                     "get_feature_group() or a new version")
        return self.get_or_create_feature_group(name, version, **kwargs)

    def get_feature_group(self, name: str, version: int | None = None) -> LocalFeatureGroup:
        entity_name(name)
        version = 1 if version is None else version_number(version, "feature group version")
        record = self._group_record(name, version)
        if record is None:
            raise NotFoundError("feature group", f"{name} v{version}", self._existing_groups())
        return LocalFeatureGroup(self._ctx, record)

    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        records = self.catalog.groups.all(None if name is None else entity_name(name))
        return [LocalFeatureGroup(self._ctx, r) for r in records]

    # -- feature views

    def get_or_create_feature_view(self, name: str, version: int, query: Query,
                                   labels: Sequence[str] | None = None,
                                   description: str = "", **kwargs: Any) -> LocalFeatureView:
        entity_name(name, "feature view")
        version_number(version, "feature view version")
        record = self.catalog.views.get(name, version)
        if record is None:
            if not isinstance(query, LocalQuery):
                raise foreign_query(query)
            label_names = view_labels(name, labels, [f.name for f in query.features])
            record = self.catalog.views.add(name, version, query.to_spec(), label_names,
                                            description or "")
        return self._view(record)

    def get_feature_view(self, name: str, version: int | None = None) -> LocalFeatureView:
        entity_name(name, "feature view")
        version = 1 if version is None else version_number(version, "feature view version")
        record = self.catalog.views.get(name, version)
        if record is None:
            existing = [f"{r.name} v{r.version}" for r in self.catalog.views.all()]
            raise NotFoundError("feature view", f"{name} v{version}", existing)
        return self._view(record)

    def get_feature_views(self, name: str | None = None) -> list[FeatureView]:
        records = self.catalog.views.all(
            None if name is None else entity_name(name, "feature view"))
        return [self._view(r) for r in records]
