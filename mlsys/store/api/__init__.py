"""The store contract: Hopsworks-shaped abstract classes that every backend implements.

Their docstrings are the contract. Names, arguments and semantics follow the Hopsworks SDK
(``hopsworks`` / ``hsfs`` / ``hsml``) so that pipeline code written for Hopsworks runs on any
backend after changing only the login line; where mlsys deliberately differs, the docstring says
so. One module per concept: ``feature_group``, ``query``, ``feature_view``, ``feature_store``
(where groups and views are made and found), ``registry`` (models), ``project`` (the entry
point and the dataset API) and ``types`` (small named values); import them from here. Backends
live in ``mlsys.store.<name>`` and are chosen by short name (see ``mlsys.store``).
"""

from __future__ import annotations

from mlsys.store.api.feature_group import FeatureGroup
from mlsys.store.api.feature_store import FeatureStore
from mlsys.store.api.feature_view import FeatureView
from mlsys.store.api.project import (
    DatasetApi,
    Project,
)
from mlsys.store.api.query import Query
from mlsys.store.api.registry import (
    Model,
    ModelApi,
    ModelRegistry,
)
from mlsys.store.api.schema import (
    ColumnSchema,
    ModelSchema,
    Schema,
    TensorSpec,
)
from mlsys.store.api.types import (
    Feature,
    Filter,
    FilterOp,
    Job,
    Logic,
    RowPage,
    TimeLike,
    TrainingDatasetInfo,
)

__all__ = [
    "ColumnSchema",
    "DatasetApi",
    "Feature",
    "FeatureGroup",
    "FeatureStore",
    "FeatureView",
    "Filter",
    "FilterOp",
    "Job",
    "Logic",
    "Model",
    "ModelApi",
    "ModelRegistry",
    "ModelSchema",
    "Project",
    "Query",
    "RowPage",
    "Schema",
    "TensorSpec",
    "TimeLike",
    "TrainingDatasetInfo",
]
