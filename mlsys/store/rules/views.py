"""How a feature view shapes its rows into ``X`` and ``y``, the same on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def x_columns(features: Sequence[str], labels: Sequence[str], pk: Sequence[str],
              et: Sequence[str], primary_key: bool, event_time: bool) -> list[str]:
    """X's columns: the view's ``features`` without labels; the key columns ``pk`` / ``et`` in
    front on request (a key chosen as a feature stays in X either way, as in hsfs)."""
    names = [f for f in features if f not in labels]
    wanted = [*(pk if primary_key else []), *(et if event_time else [])]
    return [*(k for k in wanted if k not in names), *names]


def xy(frame: pd.DataFrame, columns: Sequence[str], labels: Sequence[str],
       ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``frame`` as ``X`` (``columns``) and ``y`` (the labels; None without labels)."""
    x = frame[list(columns)].reset_index(drop=True)
    y = frame[list(labels)].reset_index(drop=True) if labels else None
    return x, y


Split = tuple["pd.DataFrame", "pd.DataFrame", "pd.DataFrame", "pd.DataFrame"]
"""``X_train, X_test, y_train, y_test``, as hsfs's ``train_test_split`` returns them."""


def split_xy(train: pd.DataFrame, test: pd.DataFrame, columns: Sequence[str],
             labels: Sequence[str]) -> Split:
    """A split's two sides as ``X_train, X_test, y_train, y_test`` (a split has labels)."""
    x_train, y_train = xy(train, columns, labels)
    x_test, y_test = xy(test, columns, labels)
    assert y_train is not None and y_test is not None  # splits check the labels first
    return x_train, x_test, y_train, y_test


def as_kind(frames: tuple[pd.DataFrame | None, ...], kind: str) -> Any:
    """A read's ``X, y`` (or split) as the frame ``kind`` names (see
    :mod:`~mlsys.store.rules.dataframes`); a view's rows are joined in pandas first."""
    if kind == "pandas":
        return frames
    from mlsys.store.rules.dataframes import from_pandas

    return tuple(None if f is None else from_pandas(f, kind) for f in frames)
