"""The project's feature store on Hopsworks: ``hsfs.feature_store.FeatureStore`` behind mlsys.

Names, versions and keys are checked with :mod:`mlsys.names` before any request, so a bad name
raises the same error as on the local backend. Where hsfs returns ``None`` for a missing group or
view, mlsys raises :class:`~mlsys.errors.NotFoundError` listing what exists. hsfs's own
defaulting of a missing version (to 1, with a warning) is done here without the warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlsys.errors import NotFoundError
from mlsys.names import entity_name, version_number
from mlsys.store.api import FeatureGroup, FeatureStore, FeatureView, Query
from mlsys.store.hopsworks.feature_group import HopsworksFeatureGroup
from mlsys.store.hopsworks.feature_view import HopsworksFeatureView
from mlsys.store.hopsworks.query import HopsworksQuery
from mlsys.store.rules.arguments import (
    check_existing_group_keys,
    check_new_group_keys,
    foreign_query,
    group_keys,
    view_labels,
)

if TYPE_CHECKING:
    from mlsys.store.hopsworks.context import Context


class HopsworksFeatureStore(FeatureStore):
    """See the module docstring; ``sdk`` is the wrapped hsfs object (an escape hatch)."""

    def __init__(self, sdk: Any, ctx: Context) -> None:
        self.sdk = sdk
        self._ctx = ctx

    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.sdk.name)

    def __repr__(self) -> str:
        return f"HopsworksFeatureStore({self.name!r})"

    # ------------------------------------------------------------------ feature groups
    def _existing_groups(self) -> list[str]:
        return [f"{g.name} v{g.version}" for g in self.get_feature_groups()]

    def get_or_create_feature_group(self, name: str, version: int,
                                    primary_key: Sequence[str] | None = None,
                                    event_time: str | None = None, description: str = "",
                                    online_enabled: bool = False,
                                    expectation_suite: Any = None,
                                    **kwargs: Any) -> HopsworksFeatureGroup:
        entity_name(name)
        version_number(version, "feature group version")
        pk, et = group_keys(primary_key, event_time)
        strict_keys = bool(kwargs.pop("reject_duplicate_keys", False))
        ge_suite = None
        if expectation_suite is not None:
            from mlsys.validation.ge import to_ge_suite
            from mlsys.validation.suite_io import parse_suite

            ge_suite = to_ge_suite(parse_suite(expectation_suite))
        sdk_fg = self._ctx.calls.run(
            f"get or create feature group {name} v{version}",
            self.sdk.get_or_create_feature_group, name=name, version=version,
            primary_key=pk, event_time=et, description=description,
            online_enabled=online_enabled, expectation_suite=ge_suite, **kwargs)
        fg = HopsworksFeatureGroup(sdk_fg, self._ctx, reject_duplicate_keys=strict_keys)
        if not fg._saved():
            check_new_group_keys(name, version, pk)
        else:
            check_existing_group_keys(name, version, pk, et, fg.primary_key, fg.event_time)
        return fg

    def get_feature_group(self, name: str, version: int | None = None) -> HopsworksFeatureGroup:
        entity_name(name)
        version = 1 if version is None else version_number(version, "feature group version")
        wanted = ("feature group", f"{name} v{version}")
        found = self._ctx.calls.run(f"get feature group {name} v{version}",
                                    self.sdk.get_feature_group, name, version=version,
                                    not_found=wanted, existing=self._existing_groups)
        if found is None:
            raise NotFoundError(*wanted, self._existing_groups())
        return HopsworksFeatureGroup(found, self._ctx)

    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        if name is not None:
            entity_name(name)
        found = self._ctx.calls.run("list feature groups", self.sdk.get_feature_groups,
                                    name=name)
        groups: list[FeatureGroup] = [HopsworksFeatureGroup(g, self._ctx) for g in found or []]
        return sorted(groups, key=lambda g: (g.name, g.version))

    # ------------------------------------------------------------------ feature views
    def _existing_views(self) -> list[str]:
        return [f"{v.name} v{v.version}" for v in self.get_feature_views()]

    def get_or_create_feature_view(self, name: str, version: int, query: Query,
                                   labels: Sequence[str] | None = None,
                                   description: str = "", **kwargs: Any) -> HopsworksFeatureView:
        entity_name(name, "feature view")
        version_number(version, "feature view version")
        if not isinstance(query, HopsworksQuery):
            raise foreign_query(query)
        label_names = view_labels(name, labels, [f.name for f in query.features])
        sdk_fv = self._ctx.calls.run(
            f"get or create feature view {name} v{version}",
            self.sdk.get_or_create_feature_view, name=name, query=query.to_sdk_for_view(),
            version=version, description=description, labels=label_names, **kwargs)
        return HopsworksFeatureView(sdk_fv, self._ctx)

    def get_feature_view(self, name: str, version: int | None = None) -> HopsworksFeatureView:
        entity_name(name, "feature view")
        version = 1 if version is None else version_number(version, "feature view version")
        wanted = ("feature view", f"{name} v{version}")
        found = self._ctx.calls.run(f"get feature view {name} v{version}",
                                    self.sdk.get_feature_view, name, version=version,
                                    not_found=wanted, existing=self._existing_views)
        if found is None:
            raise NotFoundError(*wanted, self._existing_views())
        return HopsworksFeatureView(found, self._ctx)

    def _all_view_ids(self) -> list[tuple[str, int]]:
        """Every (name, version): hsfs has no public call that lists all views, so this uses
        the feature view REST API the SDK itself uses (``FeatureViewApi._get_all``)."""
        api = self.sdk._feature_view_engine._feature_view_api
        items = api._get_all(latest_version_only=False)
        ids = []
        for item in items:
            data = item if isinstance(item, dict) else vars(item)
            ids.append((str(data.get("name") or data.get("_name")),
                        int(data.get("version") or data.get("_version") or 0)))
        return sorted(set(ids))

    def get_feature_views(self, name: str | None = None) -> list[FeatureView]:
        if name is not None:
            entity_name(name, "feature view")
            try:
                found = self._ctx.calls.run(f"list versions of feature view {name}",
                                            self.sdk.get_feature_views, name,
                                            not_found=("feature view", name))
            except NotFoundError:  # hsfs answers 404 for a name without versions
                found = []
        else:
            ids = self._ctx.calls.run("list feature views", self._all_view_ids)
            found = [self._ctx.calls.run(f"get feature view {n} v{v}", self.sdk.get_feature_view,
                                         n, version=v) for n, v in ids]
        views: list[FeatureView] = [HopsworksFeatureView(v, self._ctx) for v in found or []
                                    if v is not None]
        return sorted(views, key=lambda v: (v.name, v.version))
