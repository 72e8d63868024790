"""The reference systems the console knows (the one place that reads ``mlsys.systems``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlsys.systems.base import System


def known_systems() -> list[System]:
    """Every registered system, by name."""
    from mlsys.systems import SYSTEMS, get_system

    return [get_system(name) for name in sorted(SYSTEMS)]
