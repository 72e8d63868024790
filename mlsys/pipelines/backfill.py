"""Backfill: the system's real data into its feature group; running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsys.pipelines.common import anti_join, feature_group, read_or_empty

if TYPE_CHECKING:
    from mlsys.store.api import Project
    from mlsys.systems.base import System
    from mlsys.validation.types import ValidationReport


@dataclass(frozen=True)
class BackfillResult:
    """How many real rows there are, how many were new, and the validation report of the insert."""

    system: str
    rows_loaded: int
    rows_inserted: int
    rows_in_group: int
    report: ValidationReport | None
    prepared: str = ""  # how the real data was prepared (e.g. wines collapsed), if the system says


def backfill(project: Project, system: System) -> BackfillResult:
    """Insert the real rows not yet in the group (by primary key and event time).

    Only new rows are written, so a second run makes no commit at all.
    """
    fg = feature_group(project, system)
    rows = system.load()
    keys = [*system.primary_key, system.event_time]
    new = anti_join(rows, read_or_empty(fg), keys)
    report = None
    if not new.empty:
        _, report = fg.insert(new)
    prepared = system.describe_load() if system.describe_load is not None else ""
    return BackfillResult(system.name, len(rows), len(new), len(fg.read()), report, prepared)
