"""Expectation suites read and checked: GE 1.x objects, dicts, JSON, files, GE 0.x, shipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlsys.errors import ExpectationSuiteError, NotFoundError
from mlsys.validation.ge import ge_expectation, jsonable
from mlsys.validation.suite_safety import check_expectation, check_suite_safe
from mlsys.validation.types import Expectation, ExpectationSuite

ACCEPTED_FORMATS = (
    "a great_expectations.ExpectationSuite; a dict or JSON text in GE 1.x form "
    "{'name': ..., 'expectations': [{'type': ..., 'kwargs': {...}, 'meta': {...}}]}; the GE 0.x / "
    "Hopsworks form {'expectation_suite_name': ..., 'expectations': [{'expectation_type': ..., "
    "'kwargs': {...}}]}; a path to a .json file holding one of those; or an mlsys ExpectationSuite"
)

# GE 0.x put run options into each expectation's kwargs; GE 1.x rejects some of them as unknown
# fields, and they say nothing about the data, so legacy suites lose them on conversion.
_LEGACY_RUN_KWARGS = ("result_format", "include_config", "catch_exceptions")


def parse_suite(obj: Any) -> ExpectationSuite:
    """An mlsys :class:`ExpectationSuite` from any accepted format (see ``ACCEPTED_FORMATS``).

    Every expectation is checked against GE's registry and its own argument model, so an
    unknown type or a bad keyword fails here, not at the first insert.
    """
    if isinstance(obj, ExpectationSuite):
        check_suite_safe(obj.expectations, obj.name)  # built by hand: never checked yet
        return obj
    if isinstance(obj, Path | str):
        return _parse_dict(_load_text_or_path(obj), source=_describe(obj))
    if isinstance(obj, dict):
        return _parse_dict(obj, source="the dict")
    to_json_dict = getattr(obj, "to_json_dict", None)
    if callable(to_json_dict):  # a GE ExpectationSuite (or an hsfs one): both expose this
        try:
            data = to_json_dict()
        except Exception as err:
            raise ExpectationSuiteError(
                f"could not read the {type(obj).__name__} as a suite ({err}); accepted: "
                f"{ACCEPTED_FORMATS}"
            ) from err
        if isinstance(data, dict):
            return _parse_dict(data, source=f"the {type(obj).__name__}")
    raise ExpectationSuiteError(
        f"an expectation suite cannot be a {type(obj).__name__}; accepted: {ACCEPTED_FORMATS}"
    )


def _describe(obj: Path | str) -> str:
    text = str(obj)
    return f"{text[:60]!r}..." if len(text) > 60 else repr(text)


def _load_text_or_path(obj: Path | str) -> dict[str, Any]:
    text = obj if isinstance(obj, str) else None
    if text is not None and text.lstrip().startswith(("{", "[")):
        source = "the JSON text"
    else:
        path = Path(obj).expanduser()
        if not path.is_file():
            raise ExpectationSuiteError(
                f"expectation suite file {str(path)!r} does not exist (strings that are not JSON "
                f"text are read as paths); accepted: {ACCEPTED_FORMATS}"
            )
        text = path.read_text(encoding="utf-8")
        source = f"file {str(path)!r}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ExpectationSuiteError(
            f"{source} is not valid JSON ({err}); accepted: {ACCEPTED_FORMATS}"
        ) from None
    if not isinstance(data, dict):
        raise ExpectationSuiteError(
            f"{source} holds a JSON {type(data).__name__}, not an object; accepted: "
            f"{ACCEPTED_FORMATS}"
        )
    return data


def _maybe_json(value: Any, what: str) -> Any:
    """hsfs's ``to_dict`` stores kwargs and meta as JSON strings; decode those."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ExpectationSuiteError(f"{what} is a string that is not JSON: {value!r}") from None
    return value


def _parse_dict(data: dict[str, Any], source: str) -> ExpectationSuite:
    legacy = "name" not in data and any(
        k in data for k in ("expectation_suite_name", "expectationSuiteName")
    )
    name = data.get("name") if not legacy else (
        data.get("expectation_suite_name") or data.get("expectationSuiteName")
    )
    if not isinstance(name, str) or not name.strip():
        raise ExpectationSuiteError(
            f"{source} has no suite name (key 'name', or 'expectation_suite_name' in the GE 0.x "
            f"form); accepted: {ACCEPTED_FORMATS}"
        )
    raw = data.get("expectations")
    if not isinstance(raw, list):
        raise ExpectationSuiteError(
            f"{source} (suite {name!r}) needs 'expectations' as a list, got "
            f"{type(raw).__name__}; accepted: {ACCEPTED_FORMATS}"
        )
    meta = _maybe_json(data.get("meta") or {}, f"meta of suite {name!r}")
    if not isinstance(meta, dict):
        raise ExpectationSuiteError(f"meta of suite {name!r} must be a dict, got {meta!r}")
    expectations = tuple(
        _parse_expectation(item, i, name) for i, item in enumerate(raw)
    )
    # GE stamps its own version into every suite it serialises; it is not the user's metadata
    # and would make a suite differ from itself after a round trip through GE.
    meta = {k: v for k, v in meta.items() if k != "great_expectations_version"}
    return ExpectationSuite(name=name.strip(), expectations=expectations, meta=jsonable(meta))


def _parse_expectation(item: Any, index: int, suite_name: str) -> Expectation:
    where = f"expectation #{index} of suite {suite_name!r}"
    if not isinstance(item, dict):
        raise ExpectationSuiteError(
            f"{where} must be a dict with 'type' and 'kwargs', got {type(item).__name__}"
        )
    etype = item.get("type") or item.get("expectation_type") or item.get("expectationType")
    if not isinstance(etype, str) or not etype:
        raise ExpectationSuiteError(
            f"{where} has no 'type' (or legacy 'expectation_type'); keys found: {sorted(item)}"
        )
    legacy = "type" not in item
    kwargs = _maybe_json(item.get("kwargs") or {}, f"kwargs of {where}")
    meta = _maybe_json(item.get("meta") or {}, f"meta of {where}")
    if not isinstance(kwargs, dict) or not isinstance(meta, dict):
        raise ExpectationSuiteError(f"kwargs and meta of {where} must be dicts")
    if legacy:
        kwargs = {k: v for k, v in kwargs.items() if k not in _LEGACY_RUN_KWARGS}
    # GE 0.x spelled some names with capitals (expect_column_pair_values_A_to_be_greater_than_B)
    etype = etype.strip().lower() if legacy else etype.strip()
    check_expectation(etype, kwargs, where)
    built = ge_expectation(etype, kwargs, meta, where)
    canonical = built.configuration.to_json_dict()
    return Expectation(type=etype, kwargs=canonical["kwargs"], meta=jsonable(meta))


COLUMN_KWARGS = ("column", "column_A", "column_B")  # expectation kwargs naming one column


def check_suite_columns(suite: ExpectationSuite, columns: list[str], where: str) -> None:
    """Refuse a suite that names a column ``columns`` lacks (when they are known): it would
    fail every later insert, so it is better refused when attached."""
    if not columns:
        return  # a group without data yet has no schema to check against
    named: list[str] = []
    for e in suite.expectations:
        named += [str(e.kwargs[k]) for k in COLUMN_KWARGS if k in e.kwargs]
        named += [str(c) for c in e.kwargs.get("column_list") or []]
    unknown = sorted(set(named) - set(columns))
    if unknown:
        raise ExpectationSuiteError(
            f"suite {suite.name!r} names column(s) {unknown} that {where} does not have; its "
            f"features are {columns} (feature names are lower case, spaces as '_')")


def suite_directories() -> list[Path]:
    """Where shipped suites live: inside the wheel, then the source checkout's top level."""
    package = Path(__file__).resolve().parents[1]  # mlsys/, found without importing mlsys
    return [package / "expectations", package.parent / "expectations"]


def load_suite_file(name: str) -> ExpectationSuite:
    """The suite shipped as ``expectations/<name>.json`` (e.g. ``"iris"`` or ``"wine.json"``)."""
    stem = name.removesuffix(".json")
    if not stem or Path(stem).name != stem:
        raise NotFoundError("expectation suite file", name, _available_suites())
    for directory in suite_directories():
        path = directory / f"{stem}.json"
        if path.is_file():
            return parse_suite(path)
    raise NotFoundError("expectation suite file", stem, _available_suites())


def _available_suites() -> list[str]:
    found: set[str] = set()
    for directory in suite_directories():
        if directory.is_dir():
            found.update(p.stem for p in directory.glob("*.json"))
    return sorted(found)


__all__ = [
    "ACCEPTED_FORMATS",
    "check_suite_columns",
    "load_suite_file",
    "parse_suite",
    "suite_directories",
]
