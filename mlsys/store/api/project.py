"""The project contract: the dataset API for files and the project that holds every store."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from mlsys.store.api.feature_store import FeatureStore
from mlsys.store.api.registry import ModelRegistry
from mlsys.store.api.verify import VerifyResult


class DatasetApi(ABC):
    """Files in the project (e.g. ``Resources/images/...``), as ``hopsworks`` dataset API."""

    @abstractmethod
    def upload(self, local_path: str, upload_path: str, overwrite: bool = False,
               **kwargs: Any) -> str:
        """Copy a local file (or directory) into the project directory ``upload_path``; return
        the project path of the copy. An existing target without ``overwrite`` raises
        AlreadyExistsError. The copy appears atomically.

        Raises: InvalidNameError (unsafe path), NotFoundError (no local file),
        AlreadyExistsError (target exists without ``overwrite``)."""

    @abstractmethod
    def download(self, path: str, local_path: str | None = None,
                 overwrite: bool = False, **kwargs: Any) -> str:
        """Copy a project file to ``local_path`` (default: the working directory); return it.

        Raises: InvalidNameError (unsafe path), NotFoundError (no such project path),
        AlreadyExistsError (the local file exists without ``overwrite``)."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether the project path exists.

        Raises: InvalidNameError (unsafe path)."""

    @abstractmethod
    def list(self, path: str, offset: int = 0, limit: int = 1000) -> list[str]:
        """Project paths directly under ``path``, sorted.

        Raises: InvalidNameError (unsafe path), NotFoundError (no such directory)."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Delete a file or directory.

        Raises: InvalidNameError (unsafe path), NotFoundError (no such project path)."""

    @abstractmethod
    def mkdir(self, path: str) -> str:
        """Create a directory (and parents); return its project path.

        Raises: InvalidNameError (unsafe path)."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The content of a project file (mlsys convenience for apps and reports).

        Raises: InvalidNameError (unsafe path), NotFoundError (no such file)."""




class Project(ABC):
    """What ``mlsys.login()`` returns: the entry point to one project's stores."""

    name: str
    backend: str

    @abstractmethod
    def get_feature_store(self, name: str | None = None) -> FeatureStore:
        """The project's feature store.

        Raises: BackendUnavailableError (the backend cannot be reached)."""

    @abstractmethod
    def get_model_registry(self) -> ModelRegistry:
        """The project's model registry.

        Raises: BackendUnavailableError (the backend cannot be reached)."""

    @abstractmethod
    def get_dataset_api(self) -> DatasetApi:
        """The project's dataset API.

        Raises: BackendUnavailableError (the backend cannot be reached)."""

    def verify(self, repair: bool = False) -> VerifyResult:
        """Check the store against what its catalog recorded: every table's log and data files
        (sha256 recorded at commit), every model file, each online store against its offline
        table. Returns the problems, each with the damaged part and its repair; ``repair`` also
        does the safe repairs (rebuild an online store from its offline table).

        The embedded store implements it; a Hopsworks cluster checks its own storage, so its
        adapter raises :class:`~mlsys.errors.InvalidArgumentError`.

        Raises: InvalidArgumentError (a backend that checks its own storage).
        """
        from mlsys.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"verify checks the local (embedded) store; the {self.backend} backend keeps and "
            "checks its own storage. Run it with MLSYS_BACKEND=local")

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for embedded stores
        """Release connections (optional).

        Raises: no error of its own."""

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
