"""The local project: what ``mlsys.login(backend="local")`` returns."""

from __future__ import annotations

from typing import Any

from mlsys.config import Settings
from mlsys.errors import ConfigurationError, InvalidArgumentError
from mlsys.store.api import DatasetApi, Project
from mlsys.store.api.verify import VerifyResult
from mlsys.store.local.bucket_datasets import BucketDatasetApi
from mlsys.store.local.catalog import Catalog, SqliteCatalog
from mlsys.store.local.config import LocalConfig
from mlsys.store.local.context import LocalContext
from mlsys.store.local.damage import check_catalog
from mlsys.store.local.datasets import LocalDatasetApi
from mlsys.store.local.deletes import finish_deletes
from mlsys.store.local.feature_store import LocalFeatureStore
from mlsys.store.local.housekeeping import DEFAULT_RETENTION_HOURS, GcResult, gc, sweep_staging
from mlsys.store.local.online import OnlineStores
from mlsys.store.local.registry import LocalModelRegistry
from mlsys.store.local.verify import verify


class LocalProject(Project):
    """One project directory ``<home>/<project>/`` (layout: ``mlsys.store.local``)."""

    backend = "local"

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.name = config.project
        for d in (config.root, config.feature_store_dir, config.online_dir, config.models_dir,
                  config.datasets_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as err:  # e.g. MLSYS_HOME below a file, or not writable
                raise ConfigurationError(
                    f"cannot use {d} for the local store ({err.strerror}); point MLSYS_HOME at "
                    "a writable directory") from None
        self.catalog = open_catalog(config)
        self.catalog.open()  # create / migrate the catalog now, not mid-pipeline
        self.context = LocalContext(config, self.catalog, OnlineStores(config))
        self._fs = LocalFeatureStore(self.context)
        self._mr = LocalModelRegistry(config, self.catalog)
        self._datasets: DatasetApi = (
            LocalDatasetApi(config.datasets_dir, config.root) if config.bucket is None
            else BucketDatasetApi(config.objects("datasets")))
        sweep_staging(config)  # copies left by killed saves and uploads (never a live one's)
        finish_deletes(config, self.catalog)  # group deletes a killed process left half-done

    def __repr__(self) -> str:
        return f"LocalProject({self.name!r}, root={self.config.where!r})"

    def get_feature_store(self, name: str | None = None) -> LocalFeatureStore:
        return self._fs

    def get_model_registry(self) -> LocalModelRegistry:
        return self._mr

    def get_dataset_api(self) -> DatasetApi:
        return self._datasets

    def gc(self, retention_hours: int = DEFAULT_RETENTION_HOURS) -> GcResult:
        """Compact and vacuum every table, keeping ``retention_hours`` of time travel and every
        version a training dataset recorded; remove stale staging and temporary copies."""
        return gc(self.config, self.catalog, retention_hours)

    def verify(self, repair: bool = False) -> VerifyResult:
        """Check every table, online store and model against what the catalog recorded; with
        ``repair``, also do the safe repairs (rebuild an online store from its offline table)."""
        return verify(self.config, self.catalog, self._fs, repair)

    def close(self) -> None:
        self.context.close()


def open_catalog(config: LocalConfig) -> Catalog:
    """The project's catalog: SQLite in a folder, compare-and-swap objects in a bucket."""
    if config.bucket is not None:
        from mlsys.store.local.catalog.objects import ObjectCatalog

        return ObjectCatalog(config.objects("catalog"))
    check_catalog(config)  # a lost catalog is not an empty store
    return SqliteCatalog(config.catalog_path, config.busy_timeout_ms)


def _exists(config: LocalConfig) -> bool:
    if config.bucket is not None:
        return bool(config.objects("catalog").keys())
    return config.catalog_path.is_file()


def connect(settings: Settings, **options: Any) -> LocalProject:
    """Open (creating if needed, unless ``settings.create`` is False) the local project."""
    config = LocalConfig.from_settings(settings, **options)
    if config.bucket is None:  # before "no store": a lost catalog over data is damage
        check_catalog(config)
    if not settings.create and not _exists(config):
        raise ConfigurationError(
            f"no mlsys store at {config.where} (MLSYS_HOME={settings.home}); make one with "
            "`mlsys demo`, or point MLSYS_HOME at the directory that holds it")
    return LocalProject(config)


def collect(project: object, retention_hours: int = DEFAULT_RETENTION_HOURS) -> GcResult:
    """``gc`` of a project opened with ``mlsys.login()``: the local backend only (Hopsworks
    compacts and vacuums its own tables)."""
    if not isinstance(project, LocalProject):
        raise InvalidArgumentError(
            f"gc runs on the local store; this project uses the "
            f"{getattr(project, 'backend', type(project).__name__)} backend, which maintains "
            "its own tables")
    try:
        return project.gc(retention_hours)
    finally:
        project.close()
