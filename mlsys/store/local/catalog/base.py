"""The catalog's interface: one repository per kind of record, and atomic transactions.

The local store reads and writes its metadata only through these classes (SQLite,
``sqlite.py``; object storage, ``objects.py``). Each method's docstring is its
contract. Besides what a method lists, every method may raise
:class:`~mlsys.errors.StoreDamagedError` (the catalog's file is damaged) and
:class:`~mlsys.errors.StoreWriteError` (the disk refused a write; nothing of it was kept).

A write method is atomic on its own. Inside ``with catalog.transaction():`` every call, read or
write, is one atomic unit with the others: all are kept, or (on an exception) none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from mlsys.store.local.catalog.records import (
    Column,
    DatasetRead,
    FileRecord,
    GroupRecord,
    ModelRecord,
    NewGroup,
    NewModel,
    NewTrainingDataset,
    ReportRecord,
    TableFileRecord,
    TrainingDatasetRecord,
    ViewRecord,
)


class Groups(ABC):
    """Feature-group versions."""

    @abstractmethod
    def get(self, name: str, version: int) -> GroupRecord | None:
        """The group ``name`` v``version``, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def by_id(self, group_id: int) -> GroupRecord | None:
        """The group with this id, or None (deleted, or never there).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def all(self, name: str | None = None) -> list[GroupRecord]:
        """Every group ordered by name and version, or the versions of ``name`` in order.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def add(self, group: NewGroup) -> GroupRecord:
        """Create ``group`` unless its name and version exist (a concurrent creator may have
        won); the stored record either way (an existing one is left unchanged).

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def set_reject_duplicate_keys(self, group_id: int, value: bool) -> None:
        """Store the group's strict duplicate-key setting (a missing group: no-op).

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def set_features(self, group_id: int, features: Sequence[Column]) -> None:
        """Fix the group's schema, unless one is already fixed (the first writer's stays).

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def set_suite(self, group_id: int, suite_json: str, ingestion_policy: str,
                  run_validation: bool) -> None:
        """Attach a suite (its JSON text) with its ingestion policy and validation switch.

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def clear_suite(self, group_id: int) -> None:
        """Detach the suite and its policy (``run_validation`` stays as it was).

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def delete(self, group_id: int) -> None:
        """Drop the group with its reports and recorded table files (missing: no-op).

        Raises:
            StoreWriteError: the disk refused the write.
        """


class Reports(ABC):
    """Validation reports of feature groups."""

    @abstractmethod
    def add(self, group_id: int, validation_time: str, ingestion_result: str, success: bool,
            commit_version: int | None, body: Callable[[int], dict[str, Any]]) -> ReportRecord:
        """Store a report; ``body(report_id)`` gives its stored body once its id is known.

        Raises:
            AlreadyExistsError: ``commit_version`` already has a report of this group.
            NotFoundError: the group does not exist.
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def by_commit(self, group_id: int, commit_version: int) -> ReportRecord | None:
        """The report of a group's commit ``commit_version``, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def latest(self, group_id: int, limit: int | None = None) -> list[ReportRecord]:
        """A group's reports, newest first (at most ``limit``).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def newest_commit(self, group_id: int) -> int | None:
        """The highest commit version any report of the group names, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def commits(self, group_id: int) -> list[int]:
        """Every commit version the group's reports name (unordered).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """


class TableFiles(ABC):
    """The data files each commit of a group's table added, with their sha256."""

    @abstractmethod
    def record(self, group_id: int, files: Sequence[TableFileRecord], table_id: str) -> None:
        """Store ``files`` (replacing a record of the same path), and the table's identity
        unless one is already recorded; in one atomic step.

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def of_group(self, group_id: int) -> list[TableFileRecord]:
        """Every recorded file of the group (unordered).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def newest_commit(self, group_id: int) -> int | None:
        """The highest commit version with recorded files, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """


class Views(ABC):
    """Feature-view versions and their recorded training datasets."""

    @abstractmethod
    def get(self, name: str, version: int) -> ViewRecord | None:
        """The view ``name`` v``version``, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def all(self, name: str | None = None) -> list[ViewRecord]:
        """Every view ordered by name and version, or the versions of ``name`` in order.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def add(self, name: str, version: int, query: dict[str, Any], labels: Sequence[str],
            description: str) -> ViewRecord:
        """Create the view unless its name and version exist; the stored record either way.

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def delete(self, view_id: int) -> None:
        """Drop the view with its training datasets (missing: no-op).

        Raises:
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def add_dataset(self, view_id: int, dataset: NewTrainingDataset) -> int:
        """Record a training dataset as the view's next version (1 for the first); that
        version. Concurrent callers each get their own version.

        Raises:
            NotFoundError: the view does not exist.
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def dataset(self, view_id: int, version: int) -> TrainingDatasetRecord | None:
        """The training dataset ``version`` of the view, with its ``keys``; or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def datasets(self, view_id: int) -> list[TrainingDatasetRecord]:
        """The view's training datasets by version, without their ``keys`` (None).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def dataset_reads(self) -> list[DatasetRead]:
        """What every recorded training dataset of every view read (unordered).

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """


class Models(ABC):
    """Registered model versions and the sha256 of their files."""

    @abstractmethod
    def get(self, name: str, version: int) -> ModelRecord | None:
        """The model ``name`` v``version``, or None.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def all(self, name: str | None = None) -> list[ModelRecord]:
        """Every model ordered by name and version, or the versions of ``name`` in order.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def versions(self, name: str) -> list[int]:
        """The registered versions of model ``name`` (unordered). In a transaction, the
        answer holds until it ends (the basis of "next version").

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def add(self, model: NewModel, files: Sequence[FileRecord]) -> ModelRecord:
        """Register ``model`` with its files.

        Raises:
            AlreadyExistsError: ``model.name`` v``model.version`` is registered.
            StoreWriteError: the disk refused the write.
        """

    @abstractmethod
    def files(self, model_id: int) -> list[FileRecord]:
        """The recorded files of a model version, ordered by path.

        Raises:
            StoreDamagedError: the catalog cannot be read.
        """

    @abstractmethod
    def delete(self, model_id: int) -> None:
        """Drop the model version with its file records (missing: no-op).

        Raises:
            StoreWriteError: the disk refused the write.
        """


class Catalog(ABC):
    """One project's catalog: its repositories, and transactions across them."""

    groups: Groups
    reports: Reports
    table_files: TableFiles
    views: Views
    models: Models

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A context in which every repository call is one atomic change, serialised with
        every other writer (also in other processes): kept on a normal exit, undone on an
        exception, which propagates. Transactions nest: only the outermost one commits.

        Raises:
            StoreWriteError: the disk refused the commit (nothing was kept).
            ConcurrencyError: (optimistic catalogs, e.g. on object storage) another writer
                changed what the transaction read before it committed; nothing was kept, and
                running it again reads the new state.
        """

    @abstractmethod
    def open(self) -> None:
        """Create or migrate the catalog now (not in the middle of a pipeline).

        Raises:
            ConfigurationError: the catalog was written by a newer mlsys.
            StoreDamagedError: the catalog's file is damaged.
        """

    @abstractmethod
    def problems(self) -> list[str]:
        """What an integrity check of the catalog's own storage finds; empty when sound.

        Raises:
            StoreDamagedError: the catalog cannot be read at all.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the catalog's resources; a later call opens it again.

        Raises:
            Nothing: closing a closed catalog is a no-op.
        """


__all__ = ["Catalog", "Groups", "Models", "Reports", "TableFiles", "Views"]
