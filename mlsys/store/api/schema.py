"""Model schemas with hsml's constructors: ``Schema(X_train)``, ``ModelSchema(inputs, outputs)``.

``Schema`` takes what ``hsml.schema.Schema`` takes (hsml 5.2, ``utils/schema/*``): a pandas
DataFrame or Series (a columnar schema of names and dtypes), a numpy array (a tensor schema of
its dtype and shape), or a list of dicts (columns ``{"name", "type"[, "description"]}``, or
tensors when every entry has a ``"shape"``). ``to_dict()`` has hsml's shape
(``{"columnar_schema": [...]}`` / ``{"tensor_schema": ...}``), so a stored schema reads the same
on both backends. Anything else raises :class:`~mlsys.errors.SchemaError` at construction, not
later in ``create_model``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlsys.errors import SchemaError


@dataclass(frozen=True)
class ColumnSchema:
    """One column of a columnar schema (hsml's ``Column``): its type and optional name."""

    name: str | None
    type: str
    description: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of a tensor schema (hsml's ``Tensor``): type, shape, optional name."""

    type: str
    shape: str
    name: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"type": self.type, "shape": self.shape}
        if self.name is not None:
            out["name"] = self.name
        if self.description is not None:
            out["description"] = self.description
        return out


def _entry(obj: object, i: int, required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise SchemaError(f"Schema: list entry {i} is {type(obj).__name__} {obj!r}; each entry "
                          "is a dict such as {'name': 'sepal_length', 'type': 'float64'}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise SchemaError(f"Schema: list entry {i} {dict(obj)!r} has no {missing}; "
                          f"give {list(required)} (and optionally 'name', 'description')")
    return obj


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


class Schema:
    """The schema of a model's input or output, as ``hsml.schema.Schema(object)``.

    Exactly one of ``columnar_schema`` (a list of :class:`ColumnSchema`) and ``tensor_schema``
    (a :class:`TensorSpec` for a numpy array, a list of them for a list of dicts) is set.
    """

    def __init__(self, object: Any = None, **kwargs: Any) -> None:
        import numpy as np
        import pandas as pd

        self.columnar_schema: list[ColumnSchema] | None = None
        self.tensor_schema: TensorSpec | list[TensorSpec] | None = None
        if isinstance(object, Schema):  # a copy, so Schema(schema) is harmless
            self.columnar_schema, self.tensor_schema = object.columnar_schema, object.tensor_schema
        elif isinstance(object, pd.DataFrame):
            self.columnar_schema = [ColumnSchema(str(c), str(t))
                                    for c, t in object.dtypes.items()]
        elif isinstance(object, pd.Series):
            self.columnar_schema = [ColumnSchema(_opt(object.name), str(object.dtype))]
        elif isinstance(object, np.ndarray):
            self.tensor_schema = TensorSpec(str(object.dtype), str(object.shape))
        elif isinstance(object, list) and object:
            if all(isinstance(e, Mapping) and "shape" in e for e in object):
                self.tensor_schema = [
                    TensorSpec(str(e["type"]), str(e["shape"]), _opt(e.get("name")),
                               _opt(e.get("description")))
                    for i, e in enumerate(_entry(o, i, ("type", "shape"))
                                          for i, o in enumerate(object))]
            else:
                self.columnar_schema = [
                    ColumnSchema(_opt(e.get("name")), str(e["type"]), _opt(e.get("description")))
                    for e in (_entry(o, i, ("type",)) for i, o in enumerate(object))]
        else:
            shown = "an empty list" if isinstance(object, list) else type(object).__name__
            raise SchemaError(
                f"Schema() cannot describe {shown}; give a pandas DataFrame or Series (columns), "
                "a numpy array (a tensor), or a list of dicts with 'name' and 'type' (or "
                "'type' and 'shape' for tensors), e.g. Schema(X_train)")

    @classmethod
    def from_frame(cls, obj: Any) -> Schema:
        """``Schema(obj)``: kept for mlsys code written before Schema took hsml's arguments."""
        return cls(obj)

    @property
    def columns(self) -> tuple[ColumnSchema, ...]:
        """The columns of a columnar schema (``()`` for a tensor schema)."""
        return tuple(self.columnar_schema or ())

    def _get_type(self) -> str:
        return "tensor" if self.tensor_schema is not None else "columnar"

    def entries(self) -> list[dict[str, str]]:
        """The schema as the list of dicts hsml's ``Schema(list)`` takes back."""
        if self.tensor_schema is None:
            return [c.to_dict() for c in self.columns]
        tensors = self.tensor_schema
        return [t.to_dict() for t in (tensors if isinstance(tensors, list) else [tensors])]

    def to_dict(self) -> dict[str, Any]:
        """hsml's JSON form: ``{"columnar_schema": [...]}`` or ``{"tensor_schema": ...}``."""
        if self.tensor_schema is None:
            return {"columnar_schema": [c.to_dict() for c in self.columns]}
        tensors = self.tensor_schema
        if isinstance(tensors, list):
            return {"tensor_schema": [t.to_dict() for t in tensors]}
        return {"tensor_schema": tensors.to_dict()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like hsml's

    def __repr__(self) -> str:
        return f"Schema(type: {self._get_type()!r})"


def _schema_arg(value: Any, role: str) -> Schema | None:
    if value is None or isinstance(value, Schema):
        return value
    if _from_hsml(value):  # hsml's own Schema (the real SDK imported too)
        return Schema(list(_hsml_entries(value)))
    raise SchemaError(f"ModelSchema({role}=...) is {type(value).__name__}; wrap it in a "
                      f"Schema first, e.g. ModelSchema({role}=Schema(X_train))")


def _from_hsml(obj: object) -> bool:
    return type(obj).__module__.split(".")[0] == "hsml" and hasattr(obj, "to_dict")


def _hsml_entries(schema: Any) -> list[dict[str, Any]]:
    d = schema.to_dict()
    body = d.get("columnar_schema", d.get("tensor_schema"))
    return list(body) if isinstance(body, list) else [body]


class ModelSchema:
    """Inputs and outputs of a model, as ``hsml.model_schema.ModelSchema(input, output)``."""

    def __init__(self, input_schema: Schema | None = None, output_schema: Schema | None = None,
                 **kwargs: Any) -> None:
        self.input_schema = _schema_arg(input_schema, "input_schema")
        self.output_schema = _schema_arg(output_schema, "output_schema")

    def to_dict(self) -> dict[str, Any]:
        """hsml's JSON form: ``input_schema`` / ``output_schema`` keys, each only when set."""
        out: dict[str, Any] = {}
        if self.input_schema is not None:
            out["input_schema"] = self.input_schema.to_dict()
        if self.output_schema is not None:
            out["output_schema"] = self.output_schema.to_dict()
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSchema) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kinds = [s._get_type() if s is not None else None
                 for s in (self.input_schema, self.output_schema)]
        return f"ModelSchema(input: {kinds[0]!r}, output: {kinds[1]!r})"


def model_schema_arg(model_schema: Any,
                     kwargs: dict[str, Any]) -> ModelSchema | dict[str, Any] | None:
    """``create_model``'s schema: ``model_schema=``, or one built from ``input_schema=`` /
    ``output_schema=`` keywords (popped from ``kwargs``; a DataFrame is wrapped in Schema)."""
    inputs, outputs = kwargs.pop("input_schema", None), kwargs.pop("output_schema", None)
    if model_schema is not None and (inputs is not None or outputs is not None):
        raise SchemaError("create_model got model_schema= and input_schema=/output_schema=; "
                          "give one: model_schema=ModelSchema(input_schema, output_schema)")
    if model_schema is None and (inputs is not None or outputs is not None):
        wrap = [s if s is None or isinstance(s, Schema) else Schema(s) for s in (inputs, outputs)]
        return ModelSchema(wrap[0], wrap[1])
    if model_schema is None or isinstance(model_schema, ModelSchema | dict):
        return model_schema
    if _from_hsml(model_schema):  # hsml's own ModelSchema (the real SDK imported too)
        d = model_schema.to_dict()
        return d if isinstance(d, dict) else None
    raise SchemaError(f"create_model(model_schema=...) is {type(model_schema).__name__}; give "
                      "ModelSchema(Schema(X_train), Schema(y_train))")
