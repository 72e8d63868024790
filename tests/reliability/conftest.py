"""Reliability tests: ``rel_support`` importable by the tests; slow runs only when asked for.

``pytest tests/reliability`` runs the fast selection (as the default nox session does with
``-m "not slow"``); the soak and crash runs need ``-m slow`` or ``-m "slow or not slow"`` (nox
session ``reliability``). Slow tests are deselected, not skipped: they are simply not part of a
run that did not select them.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("markexpr"):
        return  # an explicit -m decides
    slow = [i for i in items if i.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i.get_closest_marker("slow") is None]
