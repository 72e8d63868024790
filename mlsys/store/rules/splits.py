"""The one seeded train/test split of feature views, for both backends.

``train_test_split`` checks its arguments with :func:`split_arguments`, puts the view's rows in
:func:`canonical_order` (primary key + event time, compared as values) and splits them with
:func:`split` (scikit-learn's ``train_test_split(random_state=seed, stratify=labels)``). The
backends hand rows back in different orders (Delta in file order, Hopsworks in none), so the
order is fixed here: the same seed on the same rows picks the same rows on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlsys.errors import ArgumentSchemaError, SchemaError
from mlsys.store.rules.arguments import check_dataframe_type

if TYPE_CHECKING:
    import pandas as pd

SPLIT_ARGUMENTS = "test_size, seed, stratify, extra_filter"
"""What mlsys's split takes beyond hsfs's reading options (named in the unknown-keyword error)."""


def split_arguments(test_size: object, labels: Sequence[str], kwargs: dict[str, Any],
                    where: str, hint: str = "") -> float:
    """``test_size`` as a float after checking the call: ``dataframe_type`` (popped from
    ``kwargs``), no other keyword, a fraction strictly between 0 and 1, and a view with labels.
    ``hint`` is appended to the unknown-keyword message (a backend's own way out)."""
    check_dataframe_type(kwargs.pop("dataframe_type", "default"))
    if kwargs:
        raise ArgumentSchemaError(f"train_test_split got unsupported argument(s) "
                                  f"{sorted(kwargs)}; mlsys takes {SPLIT_ARGUMENTS}{hint}")
    if isinstance(test_size, bool) or not isinstance(test_size, int | float) \
            or not 0 < test_size < 1:
        raise ArgumentSchemaError(f"test_size {test_size!r} is not a fraction; give e.g. 0.2")
    if not labels:
        raise SchemaError(f"{where} has no labels; create it with labels=[...] to split into "
                          "X and y", reason=SchemaError.MISSING_COLUMN)
    return float(test_size)


def canonical_order(frame: pd.DataFrame, keys: Sequence[str], where: str) -> pd.DataFrame:
    """``frame`` sorted by its key columns, compared as values (9 before 10; equal times in any
    zone are equal); rows sharing a key keep their order. A fresh 0..n-1 index."""
    missing = [c for c in keys if c not in frame.columns]
    if missing:
        raise SchemaError(f"{where}: the rows lack key column(s) {missing}; columns are "
                          f"{list(frame.columns)}", column=missing[0],
                          reason=SchemaError.MISSING_COLUMN)
    if not keys:
        return frame.reset_index(drop=True)
    try:
        ordered = frame.sort_values(list(keys), kind="stable")
    except TypeError:  # an object column mixing e.g. numbers and text has no order
        raise SchemaError(f"{where}: key column(s) {list(keys)} mix values of types that "
                          "cannot be ordered; give each key column one type",
                          column=keys[0], reason=SchemaError.WRONG_TYPE) from None
    return ordered.reset_index(drop=True)


def split(frame: pd.DataFrame, labels: Sequence[str], test_size: float, seed: int | None,
          stratify: bool, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows of ``frame`` (in :func:`canonical_order`), seeded and optionally
    stratified on the labels (each distinct combination of label values is one stratum)."""
    import numpy as np
    from sklearn.model_selection import train_test_split  # heavy: only when splitting

    if len(frame) < 2:
        raise SchemaError(f"{where} has {len(frame)} row(s); a split needs at least 2")
    strata = None
    if stratify:
        strata = frame[list(labels)].astype(str).agg("|".join, axis=1).to_numpy()
    try:
        train_idx, test_idx = train_test_split(np.arange(len(frame)), test_size=test_size,
                                               random_state=seed, stratify=strata)
    except ValueError as err:
        raise SchemaError(f"cannot split {where}: {err}") from None
    return frame.iloc[train_idx], frame.iloc[test_idx]


def not_a_split(version: int, where: str) -> ArgumentSchemaError:
    """The error for ``get_train_test_split(v)`` of a version ``training_data()`` recorded."""
    return ArgumentSchemaError(f"training dataset {version} of {where} was made by "
                               f"training_data(), not a split; use get_training_data({version})")
