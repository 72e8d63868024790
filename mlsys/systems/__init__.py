"""The reference systems, each a ``systems/<name>/`` package whose ``SYSTEM`` is its spec.

:data:`SYSTEMS` is the one table of them: the CLI's choices, the apps, the validation run and the
noxfile's loops (through ``mlsys systems``) all list it, so a new system is a new folder plus
one line here.
"""

from __future__ import annotations

from mlsys.registry import LazyRegistry
from mlsys.systems.base import System

# short name -> "module:SYSTEM"; a module is imported only when its system is used
SYSTEMS: LazyRegistry[System] = LazyRegistry("system", {
    "iris": "mlsys.systems.iris:SYSTEM",
    "wine": "mlsys.systems.wine:SYSTEM",
    "penguins": "mlsys.systems.penguins:SYSTEM",
}, System)


def get_system(name: str) -> System:
    """The system called ``name``; unknown names list the known ones."""
    return SYSTEMS.load(name)


__all__ = ["SYSTEMS", "System", "get_system"]
