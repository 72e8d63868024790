"""The model registry on Hopsworks: ``hsml`` behind the mlsys contract.

- ``create_model`` checks name, version and metrics as the local backend does (metrics become
  floats), turns the mlsys :class:`~mlsys.store.api.ModelSchema` into an hsml ``ModelSchema`` of
  columnar ``Schema`` objects, and passes the wrapped hsfs feature view for provenance.
- ``save`` copies the model files into a staging directory with a manifest
  (:data:`MANIFEST`: the sha256 and size of every file) and registers that directory, so
  ``download`` can verify each file as the local backend does; a changed or missing file raises
  :class:`~mlsys.errors.IntegrityError`. The manifest is removed from the downloaded copy.
  Models saved outside mlsys have no manifest and are returned unverified.
- ``get_best_model`` picks the best version client side from ``get_models`` so ties go to the
  newest version (hsml leaves ties to the server's sort order).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlsys.errors import AlreadyExistsError, ArgumentSchemaError, IntegrityError, NotFoundError
from mlsys.names import model_name, version_number
from mlsys.store.api import FeatureView, Model, ModelApi, ModelRegistry, ModelSchema, Schema
from mlsys.store.api.schema import model_schema_arg
from mlsys.store.hopsworks.errors import quiet_sdk
from mlsys.store.rules.metrics import best_model, check_direction, check_metrics

if TYPE_CHECKING:
    from mlsys.store.hopsworks.context import Context

MANIFEST = ".mlsys-sha256.json"
"""File in every model version saved by mlsys: ``{path: {"size", "sha256"}}`` of the others."""


def to_sdk_schema(schema: ModelSchema | dict[str, Any] | None) -> Any:
    """An hsml ``ModelSchema`` for an mlsys one (hsml's own objects pass through)."""
    if schema is None or not isinstance(schema, ModelSchema):
        return schema
    from hsml.model_schema import ModelSchema as SdkModelSchema
    from hsml.schema import Schema as SdkSchema

    def columns(s: Schema | None) -> Any:
        return None if s is None else SdkSchema(s.entries())  # columns or tensors, as given

    with quiet_sdk():  # hsml 5.2 deprecates ModelSchema: see MODEL_SCHEMA_DEPRECATION
        return SdkModelSchema(input_schema=columns(schema.input_schema),
                              output_schema=columns(schema.output_schema))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """Record size and sha256 of every file under ``directory`` in :data:`MANIFEST`."""
    files = {p.relative_to(directory).as_posix(): {"size": p.stat().st_size,
                                                  "sha256": _sha256(p)}
             for p in sorted(directory.rglob("*")) if p.is_file() and p.name != MANIFEST}
    (directory / MANIFEST).write_text(json.dumps(files, indent=1, sort_keys=True))
    return files


def verify_manifest(directory: Path, what: str) -> None:
    """Check every file recorded in ``directory``'s manifest (none: nothing to check)."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return
    for rel, want in json.loads(manifest.read_text()).items():
        path = directory / rel
        if not path.is_file():
            raise IntegrityError(f"{what}: file {rel!r} recorded when it was saved is missing "
                                 "from the download; re-save the model")
        size, sha = path.stat().st_size, _sha256(path)
        if (size, sha) != (want["size"], want["sha256"]):
            raise IntegrityError(
                f"{what}: file {rel!r} has sha256 {sha[:12]}... ({size} bytes) but "
                f"{want['sha256'][:12]}... ({want['size']} bytes) was recorded when it was "
                "saved; it was changed or truncated after registration, so it is not loaded. "
                "Re-save the model")


class HopsworksModel(Model):
    """A model version (or a model about to be saved); ``sdk`` is the hsml ``Model``."""

    def __init__(self, sdk: Any, ctx: Context) -> None:
        self.sdk = sdk
        self._ctx = ctx

    @property
    def name(self) -> str:  # type: ignore[override]
        return str(self.sdk.name)

    @property
    def version(self) -> int | None:  # type: ignore[override]
        v = self.sdk.version
        return None if v is None else int(v)

    @property
    def training_metrics(self) -> dict[str, float]:  # type: ignore[override]
        return {str(k): float(v) for k, v in (self.sdk.training_metrics or {}).items()}

    @property
    def description(self) -> str:  # type: ignore[override]
        return str(self.sdk.description or "")

    @property
    def framework(self) -> str:  # type: ignore[override]
        return str(self.sdk.framework or "python").lower()

    @property
    def created(self) -> Any:  # type: ignore[override]
        return self.sdk.created

    @property
    def training_dataset_version(self) -> int | None:  # type: ignore[override]
        v = self.sdk.training_dataset_version
        return int(v) if v else None

    @property
    def feature_view(self) -> tuple[str, int] | None:  # type: ignore[override]
        fv = getattr(self.sdk, "_feature_view", None)  # hsml keeps no public attribute for it
        if fv is None:
            return None
        if isinstance(fv, dict):
            return (str(fv["name"]), int(fv["version"])) if "name" in fv else None
        return str(fv.name), int(fv.version)

    def _saved(self) -> bool:
        return getattr(self.sdk, "id", None) is not None

    @property
    def model_schema(self) -> dict[str, Any] | None:  # type: ignore[override]
        """Read from the registry's ``model_schema.json`` (a request per access)."""
        if not self._saved():
            raw: Any = getattr(self.sdk, "_model_schema", None)
            if raw is None or isinstance(raw, dict):
                return raw
            with quiet_sdk():  # json() is what hsml itself uploads at save
                return json.loads(raw.json())
        return self._ctx.calls.run(f"read the schema of model {self.name} v{self.version}",
                                   lambda: self.sdk.model_schema)

    @property
    def input_example(self) -> Any:
        """Read from the registry's ``input_example.json`` (a request per access)."""
        if not self._saved():
            return getattr(self.sdk, "_input_example", None)
        return self._ctx.calls.run(f"read the input example of model {self.name}",
                                   lambda: self.sdk.input_example)

    def __repr__(self) -> str:
        return f"HopsworksModel({self.name!r}, version={self.version})"

    def save(self, model_path: str, await_registration: int = 480,
             keep_original_files: bool = False, **kwargs: Any) -> Model:
        if self._saved():
            raise AlreadyExistsError(f"model {self.name} v{self.version} is already saved; "
                                     "create a new model object for a new version")
        source = Path(model_path)
        if not source.exists():
            raise NotFoundError("model path", str(source), [])
        with tempfile.TemporaryDirectory(prefix="mlsys-model-") as tmp:
            staging = Path(tmp) / self.name
            if source.is_file():
                staging.mkdir()
                shutil.copy2(source, staging / source.name)
            else:
                shutil.copytree(source, staging)
            write_manifest(staging)
            self._ctx.calls.run(f"register model {self.name}", self.sdk.save, str(staging),
                                await_registration=await_registration,
                                keep_original_files=keep_original_files, **kwargs)
        return self

    def download(self, local_path: str | None = None) -> str:
        """The files, verified; without ``local_path`` in a new temporary directory (not
        hsml's download cache, whose copies would be reused unverified)."""
        what = f"model {self.name} v{self.version}"
        if not self._saved():
            raise NotFoundError("saved version of model", self.name, [])
        if local_path is None:
            local_path = tempfile.mkdtemp(prefix=f"mlsys-{self.name}-{self.version}-")
            created = True
        else:
            created = not Path(local_path).exists()
        path = Path(self._ctx.calls.run(f"download {what}", self.sdk.download, local_path))
        try:
            verify_manifest(path, what)
        except IntegrityError:
            if created:
                shutil.rmtree(path, ignore_errors=True)
            raise
        (path / MANIFEST).unlink(missing_ok=True)  # the download holds the model's own files
        return str(path.resolve())

    def delete(self) -> None:
        if self._saved():
            self._ctx.calls.run(f"delete model {self.name} v{self.version}", self.sdk.delete)


class HopsworksModelApi(ModelApi):
    """``mr.python`` / ``mr.sklearn``: hsml's signature module of one framework."""

    def __init__(self, sdk_module: Any, ctx: Context) -> None:
        self.sdk = sdk_module
        self._ctx = ctx

    def create_model(self, name: str, version: int | None = None,
                     metrics: dict[str, float] | None = None, description: str | None = None,
                     input_example: Any = None, model_schema: ModelSchema | None = None,
                     feature_view: FeatureView | None = None,
                     training_dataset_version: int | None = None, **kwargs: Any) -> Model:
        model_name(name)
        if version is not None:
            version_number(version, "model version")
        sdk_fv = None
        if feature_view is not None:
            sdk_fv = getattr(feature_view, "sdk", None)
            if sdk_fv is None or not type(sdk_fv).__module__.startswith("hsfs"):
                raise ArgumentSchemaError(
                    "feature_view must come from this Hopsworks project "
                    f"(fs.get_feature_view); got {type(feature_view).__name__}")
        sdk_model = self._ctx.calls.run(
            f"create model {name}", self.sdk.create_model, name=name, version=version,
            metrics=check_metrics(metrics), description=description,
            input_example=input_example,
            model_schema=to_sdk_schema(model_schema_arg(model_schema, kwargs)),
            feature_view=sdk_fv, training_dataset_version=training_dataset_version, **kwargs)
        return HopsworksModel(sdk_model, self._ctx)


class HopsworksModelRegistry(ModelRegistry):
    """The project's model registry; ``sdk`` is the hsml ``ModelRegistry``."""

    def __init__(self, sdk: Any, ctx: Context) -> None:
        self.sdk = sdk
        self._ctx = ctx
        self.python = HopsworksModelApi(sdk.python, ctx)
        self.sklearn = HopsworksModelApi(sdk.sklearn, ctx)

    def __repr__(self) -> str:
        return "HopsworksModelRegistry()"

    def get_model(self, name: str, version: int | None = None) -> Model:
        model_name(name)
        version = 1 if version is None else version_number(version, "model version")
        wanted = ("model", f"{name} v{version}")

        def existing() -> list[str]:
            return [f"{name} v{m.version}" for m in self.get_models(name)]

        found = self._ctx.calls.run(f"get model {name} v{version}", self.sdk.get_model, name,
                                    version=version, not_found=wanted, existing=existing)
        if found is None:
            raise NotFoundError(*wanted, existing())
        return HopsworksModel(found, self._ctx)

    def get_models(self, name: str) -> list[Model]:
        model_name(name)
        try:
            found = self._ctx.calls.run(f"list versions of model {name}", self.sdk.get_models,
                                        name, not_found=("model", name))
        except NotFoundError:
            return []
        models = [HopsworksModel(m, self._ctx) for m in found or []]
        return sorted(models, key=lambda m: m.version or 0)

    def get_best_model(self, name: str, metric: str,
                       direction: Literal["max", "min"]) -> Model | None:
        check_direction(direction)
        return best_model(self.get_models(name), metric, direction)
