"""The model registry contract: models, their framework APIs and the registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Literal

from mlsys.store.api.feature_view import FeatureView
from mlsys.store.api.schema import ModelSchema


class Model(ABC):
    """A registered model version: metadata plus a directory of artefacts.

    Attributes mirror ``hsml.model.Model``: ``name``, ``version``, ``training_metrics``,
    ``description``, ``model_schema``, ``input_example``, ``framework``, ``created``,
    ``training_dataset_version``, ``feature_view`` (``(name, version)`` here).
    """

    name: str
    version: int | None
    training_metrics: dict[str, float]
    description: str
    model_schema: dict[str, Any] | None
    input_example: Any
    framework: str
    created: datetime | None
    training_dataset_version: int | None
    feature_view: tuple[str, int] | None

    @abstractmethod
    def save(self, model_path: str, await_registration: int = 480,
             keep_original_files: bool = False, **kwargs: Any) -> Model:
        """Copy ``model_path`` (a file or a directory) into the registry as the next version
        (or the version given to ``create_model``) and record the sha256 of every file.

        Raises: NotFoundError (no such ``model_path``), AlreadyExistsError (that version is
        registered already)."""

    @abstractmethod
    def download(self, local_path: str | None = None) -> str:
        """A local directory with the model's files, each verified against its sha256.

        A changed, missing or truncated file raises IntegrityError and is not returned.

        Raises: NotFoundError (never saved), IntegrityError (a file changed since it was saved).
        """

    @abstractmethod
    def delete(self) -> None:
        """Remove this version and its files.

        Raises: no error of its own (an unsaved or already deleted version is a no-op)."""


class ModelApi(ABC):
    """``mr.python`` / ``mr.sklearn``: model factories for one framework."""

    @abstractmethod
    def create_model(self, name: str, version: int | None = None,
                     metrics: dict[str, float] | None = None, description: str | None = None,
                     input_example: Any = None, model_schema: ModelSchema | None = None,
                     feature_view: FeatureView | None = None,
                     training_dataset_version: int | None = None, **kwargs: Any) -> Model:
        """A model object, registered when ``save`` is called.

        ``model_schema`` is a :class:`ModelSchema` (or hsml's, or its dict); ``input_schema=`` /
        ``output_schema=`` keywords (a Schema or a DataFrame/Series) build one instead.
        Metric values must be numbers (stored as floats); anything else raises a clear error.

        Raises: InvalidNameError (bad name or version), InvalidArgumentError (a metric that is
        not a finite number, a feature view of another store: an ArgumentSchemaError, so also a
        SchemaError), SchemaError (a ``model_schema`` or schema keyword that is not a schema).
        """


class ModelRegistry(ABC):
    """The project's model registry."""

    python: ModelApi
    sklearn: ModelApi

    @abstractmethod
    def get_model(self, name: str, version: int | None = None) -> Model:
        """A registered model; ``version=None`` means version 1, as in hsml. Unknown names or
        versions raise NotFoundError listing what exists.

        Raises: InvalidNameError (bad name or version), NotFoundError (unknown model)."""

    @abstractmethod
    def get_models(self, name: str) -> list[Model]:
        """Every version of ``name``, oldest first (``[]`` when none).

        Raises: InvalidNameError (bad name)."""

    @abstractmethod
    def get_best_model(self, name: str, metric: str,
                       direction: Literal["max", "min"]) -> Model | None:
        """The version with the best ``metric``; ties go to the newest version. None if no
        version of ``name`` exists or none has that metric.

        Raises: InvalidArgumentError (``direction`` not ``"max"``/``"min"``: an
        ArgumentSchemaError), InvalidNameError (bad name)."""


