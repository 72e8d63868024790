"""Paging through a group's rows: the page arguments' check and a page cut from a full read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsys.errors import InvalidArgumentError
from mlsys.store.api.types import PAGE_LIMIT_MAX, RowPage

if TYPE_CHECKING:
    import pandas as pd


def check_page(offset: int, limit: int) -> None:
    """Refuse a page that starts before the first row or is empty or too large."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidArgumentError(f"offset {offset!r} is not a row number; give an int >= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= PAGE_LIMIT_MAX:
        raise InvalidArgumentError(
            f"limit {limit!r} is not a page size; give an int from 0 (only count the rows) to "
            f"{PAGE_LIMIT_MAX}")


def page_of(df: pd.DataFrame, offset: int, limit: int, commit: int | None) -> RowPage:
    """The page of a frame already read in full (backends that cannot read less)."""
    rows = df.iloc[offset:offset + limit].reset_index(drop=True)
    return RowPage(rows, offset, limit, len(df), commit)
