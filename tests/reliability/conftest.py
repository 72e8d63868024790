"""Reliability tests: ``rel_support`` importable by the tests; slow runs only when asked for.

``pytest tests/reliability`` runs the fast selection (as the default nox session does with
``-m "not slow"``); the soak and crash runs need ``-m slow`` or ``-m "slow or not slow"`` (nox
session ``reliability``). Slow tests are deselected, not skipped: they are simply not part of a
run that did not select them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _slow_here(item: pytest.Item) -> bool:
    """A slow test of this directory (other directories keep their own rules)."""
    return item.get_closest_marker("slow") is not None and HERE in Path(item.path).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("markexpr"):
        return  # an explicit -m decides
    slow = [i for i in items if _slow_here(i)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if not _slow_here(i)]
