"""The feature store contract: where groups and views are created and found."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from mlsys.store.api.feature_group import FeatureGroup
from mlsys.store.api.feature_view import FeatureView
from mlsys.store.api.query import Query


class FeatureStore(ABC):
    """The project's feature store: creates and finds feature groups and views."""

    name: str

    @abstractmethod
    def get_or_create_feature_group(self, name: str, version: int,
                                    primary_key: Sequence[str] | None = None,
                                    event_time: str | None = None, description: str = "",
                                    online_enabled: bool = False,
                                    expectation_suite: Any = None,
                                    **kwargs: Any) -> FeatureGroup:
        """The group ``name`` v``version``, created on first use.

        ``version`` is required (an int >= 1). Creating needs a non-empty ``primary_key``.
        A suite given here is attached with the ALWAYS policy (as in hsfs); call
        ``save_expectation_suite(..., "strict")`` for STRICT. ``reject_duplicate_keys=True``
        (an mlsys addition) turns on the strict duplicate-key check for every insert; the local
        backend stores it with the group (given for an existing group, it replaces the stored
        setting), the Hopsworks backend keeps it on the returned object.

        Raises: InvalidNameError (bad name or version), SchemaError (no primary key for a new
        group, event time inside the key, keys that differ from an existing group's).
        """

    @abstractmethod
    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup:
        """An existing group; unknown names or versions raise NotFoundError listing what exists.
        ``version=None`` means version 1, as in hsfs.

        Raises: InvalidNameError (bad name or version), NotFoundError (unknown group)."""

    @abstractmethod
    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        """Every version of ``name`` (or every group when None).

        Raises: InvalidNameError (bad name)."""

    @abstractmethod
    def get_or_create_feature_view(self, name: str, version: int, query: Query,
                                   labels: Sequence[str] | None = None,
                                   description: str = "", **kwargs: Any) -> FeatureView:
        """The view ``name`` v``version``, created from ``query`` on first use.

        Raises: InvalidNameError (bad name or version), InvalidArgumentError (a query of
        another store), NotFoundError (a label the query lacks)."""

    @abstractmethod
    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView:
        """An existing view; unknown ones raise NotFoundError listing what exists.

        Raises: InvalidNameError (bad name or version), NotFoundError (unknown view)."""

    @abstractmethod
    def get_feature_views(self, name: str | None = None) -> list[FeatureView]:
        """Every version of ``name`` (or every view when None).

        Raises: InvalidNameError (bad name)."""


__all__ = ["FeatureStore"]
