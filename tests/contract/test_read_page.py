"""``FeatureGroup.read_page``: a page of ``read()`` at a commit, on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from contract_data import frame

from mlsys.errors import InvalidArgumentError, NotFoundError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]


def _group(project: Project, name: Name) -> FeatureGroup:
    """Three commits: ids 0-9, then 10-19, then 20-24 plus new values for ids 3 and 12."""
    fg = project.get_feature_store().get_or_create_feature_group(
        name("paged"), 1, primary_key=["id"], event_time="ts")
    fg.insert(frame(list(range(10)), [float(i) for i in range(10)]))
    fg.insert(frame(list(range(10, 20)), [float(i) for i in range(10, 20)]))
    fg.insert(frame([*range(20, 25), 3, 12], [*(float(i) for i in range(20, 25)), -3.0, -12.0]))
    return fg


def _same(page: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(page.reset_index(drop=True),
                                  expected.reset_index(drop=True))


def test_pages_are_slices_of_read_in_its_order(project: Project, name: Name) -> None:
    fg = _group(project, name)
    full = fg.read()
    assert len(full) == 25
    for offset, limit in [(0, 10), (7, 5), (20, 10), (24, 1), (0, 25)]:
        page = fg.read_page(offset, limit)
        _same(page.rows, full.iloc[offset:offset + limit])
        assert (page.offset, page.limit, page.total_rows) == (offset, limit, 25)
    assert fg.read_page(0, 10).has_next and not fg.read_page(20, 10).has_next
    count = fg.read_page(0, 0)  # limit 0: only the row count
    assert (count.total_rows, len(count.rows)) == (25, 0)
    past = fg.read_page(30, 10)
    assert past.total_rows == 25 and len(past.rows) == 0
    assert list(past.rows.columns) == list(full.columns)


def test_pages_cover_every_row_once(project: Project, name: Name) -> None:
    fg = _group(project, name)
    pages = [fg.read_page(offset, 4).rows for offset in range(0, 25, 4)]
    _same(pd.concat(pages), fg.read())


def test_a_page_of_an_older_commit_shows_that_commit(project: Project, name: Name) -> None:
    fg = _group(project, name)
    commits = list(fg.commit_details())  # newest first
    assert len(commits) == 3
    latest, middle = commits[0], commits[1]
    assert fg.read_page(0, 50).commit == latest
    old = fg.read_page(0, 50, commit=middle)
    assert old.commit == middle and old.total_rows == 20
    _same(old.rows, fg.read(wallclock_time=fg.commit_time(middle)))
    # id 3 still has its first value there; the latest commit changed it
    assert old.rows.loc[old.rows["id"] == 3, "x"].tolist() == [3.0]
    now = fg.read_page(0, 50).rows
    assert now.loc[now["id"] == 3, "x"].tolist() == [-3.0]


def test_an_unknown_commit_or_bad_page_is_refused(project: Project, name: Name) -> None:
    fg = _group(project, name)
    with pytest.raises(NotFoundError, match="commit"):
        fg.read_page(0, 10, commit=987654321)
    for offset, limit in [(-1, 10), (0, -1), (0, 10_001), ("0", 10)]:
        with pytest.raises(InvalidArgumentError):
            fg.read_page(offset, limit)  # type: ignore[arg-type]


def test_a_group_without_rows_has_an_empty_page(project: Project, name: Name) -> None:
    fg = project.get_feature_store().get_or_create_feature_group(
        name("empty"), 1, primary_key=["id"])
    page = fg.read_page(0, 10)
    assert (page.total_rows, len(page.rows), page.commit, page.has_next) == (0, 0, None, False)
