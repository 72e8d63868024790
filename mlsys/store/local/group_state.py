"""A feature group's identity and catalog state: the small context its writes are handed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlsys.errors import NotFoundError
from mlsys.store.local import tables
from mlsys.store.rules import frames

if TYPE_CHECKING:
    from mlsys.store.local.catalog.records import GroupRecord
    from mlsys.store.local.context import LocalContext


@dataclass(frozen=True)
class GroupState:
    """What code working on one group needs of it: its identity, its table and its writers'
    lock, and its catalog record (read fresh on each call: another process may change it)."""

    ctx: LocalContext
    id: int
    name: str
    version: int
    primary_key: tuple[str, ...]
    event_time: str | None
    path: tables.TablePath
    lock_path: Path

    @property
    def where(self) -> str:
        """The group as errors name it."""
        return f"feature group {self.name} v{self.version}"

    @property
    def key(self) -> str:
        """The group's key in the catalog and its table's name: ``<name>_<version>``."""
        return f"{self.name}_{self.version}"

    @property
    def keys(self) -> list[str]:
        """The upsert key: primary key plus event time (when the group has one)."""
        return [*self.primary_key, *([self.event_time] if self.event_time else [])]

    def record(self) -> GroupRecord:
        """The group's catalog record; NotFoundError once the group is deleted."""
        catalog = self.ctx.catalog
        record = catalog.groups.by_id(self.id)
        if record is None:
            raise NotFoundError("feature group", f"{self.name} v{self.version} (deleted)",
                                [f"{r.name} v{r.version}" for r in catalog.groups.all()])
        return record

    def columns(self, record: GroupRecord | None = None) -> list[frames.Column] | None:
        """The fixed schema, or None before the first insert.

        If a writer died after its first Delta commit but before recording the schema, the
        schema is recovered from the Delta table (the source of truth for data).
        """
        record = record if record is not None else self.record()
        if record.features is not None:
            return list(record.features)
        if tables.exists(self.path):
            columns = frames.columns_of(tables.schema(self.path))
            self.save_columns(columns)
            return columns
        return None

    def save_columns(self, columns: Sequence[frames.Column]) -> None:
        """Fix the schema (the first insert's columns)."""
        self.ctx.catalog.groups.set_features(self.id, columns)


__all__ = ["GroupState"]
