"""The reference systems (Iris, Wine Quality), each a :class:`~mlsys.systems.base.System` spec."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mlsys.errors import NotFoundError

if TYPE_CHECKING:
    from mlsys.systems.base import System

# short name -> module holding a module-level ``SYSTEM``; imported on use only
SYSTEMS: dict[str, str] = {"iris": "mlsys.systems.iris", "wine": "mlsys.systems.wine"}


def get_system(name: str) -> System:
    """The system called ``name``; unknown names list the known ones."""
    module = SYSTEMS.get(name)
    if module is None:
        raise NotFoundError("system", name, SYSTEMS)
    system: System = importlib.import_module(module).SYSTEM
    return system
