"""The local model registry: versions in the catalog, files under ``models/<name>/<version>/``.

``save`` copies the files into a staging directory, then, inside one ``BEGIN IMMEDIATE``
catalog transaction (which serialises concurrent savers across processes), picks the next
version, renames the staging directory into place and records every file's sha256. A crash
leaves either nothing registered or a complete version.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mlsys.errors import (
    AlreadyExistsError,
    ArgumentSchemaError,
    ArtefactMovedWarning,
    ConcurrencyError,
    IntegrityError,
    InvalidNameError,
    NotFoundError,
)
from mlsys.names import model_name, version_number
from mlsys.store.api import FeatureView, Model, ModelApi, ModelRegistry, ModelSchema
from mlsys.store.api.schema import model_schema_arg
from mlsys.store.local.artefacts import stage, verified_copy
from mlsys.store.local.catalog import Catalog, dumps, now_iso
from mlsys.store.local.catalog.records import ModelRecord, NewModel
from mlsys.store.local.config import LocalConfig
from mlsys.store.local.housekeeping import MODEL_STAGING_PREFIX, claimed_staging, remove_stale
from mlsys.store.local.paths import tree_inside
from mlsys.store.rules.metrics import best_model, check_direction, check_metrics

STAGING_PREFIX = MODEL_STAGING_PREFIX  # a save's copy (housekeeping removes stale ones)
ORPHANED = ".orphaned-"  # an unregistered version folder moved out of a save's way
SAVE_ATTEMPTS = 20  # picks of "next version" before a save gives up to concurrent ones


def move_aside(folder: Path) -> Path:
    """Rename an unregistered version folder to ``<version>.orphaned-<UTC time>`` (a saver that
    died before its catalog commit left it, or a catalog restored from an older backup no
    longer lists it); warn naming both paths. Its files are kept for the user to judge."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = folder.with_name(f"{folder.name}{ORPHANED}{stamp}")
    folder.rename(aside)
    warnings.warn(f"{str(folder)!r} held files no registered model version owns; they were "
                  f"moved to {str(aside)!r} (not deleted). Delete that folder once you know "
                  "you do not need them", ArtefactMovedWarning, stacklevel=4)
    return aside


def _jsonable(example: Any) -> Any:
    """An input example as JSON data (a frame becomes its records)."""
    if example is None:
        return None
    if isinstance(example, pd.DataFrame):
        return json.loads(example.to_json(orient="records", date_format="iso"))
    if isinstance(example, pd.Series):
        return json.loads(example.to_json(date_format="iso"))
    if hasattr(example, "tolist"):
        return example.tolist()
    return json.loads(dumps(example))


class LocalModel(Model):
    """A model version of the local registry (see :class:`mlsys.store.api.Model`)."""

    def __init__(self, registry: LocalModelRegistry, name: str, framework: str,
                 version: int | None = None, training_metrics: dict[str, float] | None = None,
                 description: str = "", model_schema: dict[str, Any] | None = None,
                 input_example: Any = None, feature_view: tuple[str, int] | None = None,
                 training_dataset_version: int | None = None,
                 created: datetime | None = None, model_id: int | None = None) -> None:
        self._registry = registry
        self.name = name
        self.framework = framework
        self.version = version
        self.training_metrics = dict(training_metrics or {})
        self.description = description
        self.model_schema = model_schema
        self.input_example = input_example
        self.feature_view = feature_view
        self.training_dataset_version = training_dataset_version
        self.created = created
        self._id = model_id

    def __repr__(self) -> str:
        return f"LocalModel({self.name!r}, version={self.version})"

    @property
    def model_files_path(self) -> str:
        """The local directory holding this version's files (registered versions only)."""
        if self.version is None:
            raise NotFoundError("saved version of model", self.name, [])
        return str(self._registry.config.model_dir(self.name, self.version))

    def save(self, model_path: str, await_registration: int = 480,
             keep_original_files: bool = False, **kwargs: Any) -> LocalModel:
        if self._id is not None:
            raise AlreadyExistsError(f"model {self.name} v{self.version} is already saved; "
                                     "create a new model object for a new version")
        self._registry._save(self, Path(model_path))
        return self

    def download(self, local_path: str | None = None) -> str:
        return self._registry._download(self, local_path)

    def delete(self) -> None:
        self._registry._delete(self)


class LocalModelApi(ModelApi):
    """``mr.python`` / ``mr.sklearn``: creates model objects of one framework."""

    def __init__(self, registry: LocalModelRegistry, framework: str) -> None:
        self._registry = registry
        self.framework = framework

    def create_model(self, name: str, version: int | None = None,
                     metrics: dict[str, float] | None = None, description: str | None = None,
                     input_example: Any = None, model_schema: ModelSchema | None = None,
                     feature_view: FeatureView | None = None,
                     training_dataset_version: int | None = None, **kwargs: Any) -> LocalModel:
        model_name(name)
        if version is not None:
            version_number(version, "model version")
        given = model_schema_arg(model_schema, kwargs)
        schema = given.to_dict() if isinstance(given, ModelSchema) else given
        if feature_view is not None and not isinstance(feature_view, FeatureView):
            raise ArgumentSchemaError(f"feature_view must be a feature view object "
                                      f"(fs.get_feature_view(name, version)), not "
                                      f"{feature_view!r}")
        fv = (feature_view.name, feature_view.version) if feature_view is not None else None
        return LocalModel(self._registry, name, self.framework, version, check_metrics(metrics),
                          description or "", schema, _jsonable(input_example), fv,
                          training_dataset_version)


class LocalModelRegistry(ModelRegistry):
    """The project's model registry (see :class:`mlsys.store.api.ModelRegistry`)."""

    def __init__(self, config: LocalConfig, catalog: Catalog) -> None:
        self.config = config
        self.catalog = catalog
        self.python = LocalModelApi(self, "python")
        self.sklearn = LocalModelApi(self, "sklearn")
        self.tensorflow = LocalModelApi(self, "tensorflow")
        self.torch = LocalModelApi(self, "torch")

    # -- writes
    def _save(self, model: LocalModel, source: Path) -> None:
        if self.config.bucket is not None:
            self._save_to_bucket(model, source)
            return
        name_dir = self.config.inside(self.config.models_dir / model.name,
                                      f"the folder of model {model.name}")
        remove_stale(name_dir, STAGING_PREFIX)  # left by saves that were killed
        name_dir.mkdir(parents=True, exist_ok=True)
        with claimed_staging(name_dir, STAGING_PREFIX) as staging:
            target: Path | None = None
            try:
                records = stage(source, staging)
                for attempt in range(SAVE_ATTEMPTS):
                    try:
                        with self.catalog.transaction():  # "next version" holds until the commit
                            versions = self.catalog.models.versions(model.name)
                            if model.version is not None and model.version in versions:
                                raise AlreadyExistsError(
                                    f"model {model.name} v{model.version} exists; leave "
                                    "version=None for the next one")
                            version = model.version or max(versions, default=0) + 1
                            target = self.config.model_dir(model.name, version)
                            if target.exists():  # not registered: never deleted, it may be all
                                move_aside(target)  # that is left
                            staging.rename(target)
                            created = now_iso()
                            stored = self.catalog.models.add(NewModel(
                                model.name, version, model.framework, model.description,
                                model.training_metrics, model.model_schema, model.input_example,
                                model.training_dataset_version, model.feature_view, created),
                                records)
                        break
                    except ConcurrencyError:
                        # an optimistic catalog (object storage): another machine registered a
                        # version of this name meanwhile, nothing was kept; pick the version again
                        if attempt + 1 == SAVE_ATTEMPTS:
                            raise
                        if target is not None and target.exists() and not staging.exists():
                            target.rename(staging)
                        target = None
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if target is not None and model._id is None:
                    shutil.rmtree(target, ignore_errors=True)  # renamed, but the commit failed
                raise
        model.version, model._id = version, stored.id
        model.created = datetime.fromisoformat(created)

    def _save_to_bucket(self, model: LocalModel, source: Path) -> None:
        """Stage and hash locally, upload the files by content (``bucket_models``), then pick
        the version and register it in one catalog transaction, picked again if another
        machine registered one meanwhile."""
        from mlsys.store.local import bucket_models

        name_dir = self.config.models_dir / model.name  # the local cache: staging only
        name_dir.mkdir(parents=True, exist_ok=True)
        with claimed_staging(name_dir, STAGING_PREFIX) as staging:
            try:
                records = stage(source, staging)
                objects = self.config.objects("models")
                bucket_models.upload(objects, model.name, staging, records)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                with self.catalog.transaction():
                    versions = self.catalog.models.versions(model.name)
                    if model.version is not None and model.version in versions:
                        raise AlreadyExistsError(f"model {model.name} v{model.version} exists; "
                                                 "leave version=None for the next one")
                    version = model.version or max(versions, default=0) + 1
                    created = now_iso()
                    stored = self.catalog.models.add(NewModel(
                        model.name, version, model.framework, model.description,
                        model.training_metrics, model.model_schema, model.input_example,
                        model.training_dataset_version, model.feature_view, created), records)
                break
            except ConcurrencyError:
                if attempt + 1 == SAVE_ATTEMPTS:
                    raise
        model.version, model._id = version, stored.id
        model.created = datetime.fromisoformat(created)

    def _download(self, model: LocalModel, local_path: str | None) -> str:
        if model._id is None or model.version is None:
            raise NotFoundError("saved version of model", model.name,
                                [f"v{m.version}" for m in self.get_models(model.name)])
        records = self.catalog.models.files(model._id)
        dest = (Path(local_path) if local_path is not None else
                Path(tempfile.mkdtemp(
                    prefix=f"mlsys-{model.name}-{model.version}-{os.getpid()}-")))
        what = f"model {model.name} v{model.version}"
        if self.config.bucket is not None:
            from mlsys.store.local import bucket_models

            bucket_models.download(self.config.objects("models"), model.name, records, dest,
                                   what)
            return str(dest.resolve())
        root = self.config.model_dir(model.name, model.version)
        try:  # copying follows links: one leading out of the store is a tampered artefact
            tree_inside(self.config.root, root, f"a file of {what}")
        except InvalidNameError as err:
            raise IntegrityError(f"{err}; the stored files were changed after registration, "
                                 "so the model is not loaded. Re-save the model") from None
        verified_copy(root, records, dest, what)
        return str(dest.resolve())

    def _delete(self, model: LocalModel) -> None:
        if model._id is None or model.version is None:
            return
        if self.config.bucket is not None:
            from mlsys.store.local import bucket_models

            dropped = self.catalog.models.files(model._id)
            self.catalog.models.delete(model._id)
            kept = [f for r in self.catalog.models.all(model.name)
                    for f in self.catalog.models.files(r.id)]
            bucket_models.forget(self.config.objects("models"), model.name, dropped, kept)
            model._id = None
            return
        folder = self.config.model_dir(model.name, model.version)  # refused before any change
        self.catalog.models.delete(model._id)
        shutil.rmtree(folder, ignore_errors=True)
        model._id = None

    # -- reads
    def _model(self, r: ModelRecord) -> LocalModel:
        return LocalModel(self, r.name, r.framework, r.version, r.metrics, r.description,
                          r.model_schema, r.input_example, r.feature_view,
                          r.training_dataset_version, datetime.fromisoformat(r.created), r.id)

    def get_model(self, name: str, version: int | None = None) -> LocalModel:
        model_name(name)
        version = 1 if version is None else version_number(version, "model version")
        r = self.catalog.models.get(name, version)
        if r is None:
            names = [f"{x.name} v{x.version}" for x in self.catalog.models.all()]
            raise NotFoundError("model", f"{name} v{version}", names)
        return self._model(r)

    def get_models(self, name: str) -> list[Model]:
        return list(self._versions(name))

    def _versions(self, name: str) -> list[LocalModel]:
        model_name(name)
        return [self._model(r) for r in self.catalog.models.all(name)]

    def get_best_model(self, name: str, metric: str,
                       direction: Literal["max", "min"]) -> LocalModel | None:
        check_direction(direction)
        return best_model(self._versions(name), metric, direction)
