"""Each kind of mistake raises its own error class, the same on every backend.

``SchemaError`` is for a frame that does not fit (its columns, dtypes and keys) and names the
column and the reason; ``InvalidArgumentError`` is for an argument value or combination. Where
mlsys used to raise SchemaError for an argument, the error is an ``ArgumentSchemaError``: an
InvalidArgumentError that ``except SchemaError`` still catches. The CLI exits 2 for every
argument error and 1 for other failures, so one mistake gives one exit code.

``DataValidationError`` (a STRICT suite failed) is pinned in ``test_validation_on_insert.py``
and ``IntegrityError`` (a changed model file) in ``test_model_registry.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from contract_data import frame

from mlsys.cli.common import EXIT_FAILED, EXIT_USAGE
from mlsys.cli.common import run_call as _run
from mlsys.errors import (
    AlreadyExistsError,
    ArgumentSchemaError,
    ExpectationSuiteError,
    InvalidArgumentError,
    InvalidNameError,
    MlsysError,
    NotFoundError,
    SchemaError,
)
from mlsys.store.api import FeatureGroup, FeatureView, Project

Name = Callable[[str], str]


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    group = project.get_feature_store().get_or_create_feature_group(
        name("error_kinds"), 1, primary_key=["id"], event_time="ts")
    group.insert(frame(list(range(6)), [float(i) for i in range(6)]))
    return group


@pytest.fixture
def fv(project: Project, name: Name, fg: FeatureGroup) -> FeatureView:
    return project.get_feature_store().get_or_create_feature_view(
        name("error_kinds_view"), 1, fg.select(["x", "label"]), labels=["label"])


def _raised(call: Callable[[], Any]) -> MlsysError:
    with pytest.raises(MlsysError) as info:
        call()
    return info.value


def _exit_code(call: Callable[[], Any]) -> int:
    """What the CLI exits with when a verb's library call raises."""
    with pytest.raises(typer.Exit) as info:
        _run(call)
    return int(info.value.exit_code)


def test_schema_error_names_the_column_and_the_reason(fg: FeatureGroup) -> None:
    cases = [
        (frame([9], [9.0]).drop(columns=["label"]), "label", SchemaError.MISSING_COLUMN),
        (frame([9], [9.0]).assign(colour=["red"]), "colour", SchemaError.EXTRA_COLUMN),
        (frame([9], [9.0]).assign(x=["nine"]), "x", SchemaError.WRONG_TYPE),
        (frame([9], [9.0]).assign(id=[None]), "id", SchemaError.NULL_KEY),
    ]
    for bad, column, reason in cases:
        err = _raised(lambda bad=bad: fg.insert(bad))
        assert type(err) is SchemaError, repr(err)  # a frame misfit, not an argument error
        assert (err.column, err.reason) == (column, reason), str(err)
        assert column in str(err)  # the message still says it in words
    assert len(fg.read()) == 6  # nothing was written


def test_dataframe_type_is_one_argument_error_on_every_read(fg: FeatureGroup,
                                                            fv: FeatureView) -> None:
    reads: list[Callable[[], Any]] = [
        lambda: fg.read(dataframe_type="spark"),
        lambda: fg.select_all().read(dataframe_type="spark"),
        lambda: fv.get_batch_data(dataframe_type="spark"),
        lambda: fv.training_data(dataframe_type="spark"),
        lambda: fv.train_test_split(test_size=0.5, dataframe_type="spark"),
    ]
    errors = [_raised(read) for read in reads]
    assert {type(e) for e in errors} == {InvalidArgumentError}, [repr(e) for e in errors]
    assert {str(e) for e in errors} == {str(errors[0])} and "'spark'" in str(errors[0])
    assert {_exit_code(read) for read in reads} == {EXIT_USAGE}
    assert fg.read(dataframe_type="PANDAS").shape[0] == 6  # any case, as hsfs
    # "polars" and "pyarrow" were refused like "spark" until issue 18 made them real reads
    # (tests/contract/test_frame_formats.py); numpy, spark and python frames stay refused
    for other in ("numpy", "python", None):
        assert type(_raised(lambda o=other: fg.read(dataframe_type=o))) is InvalidArgumentError


def test_argument_values_are_argument_errors_still_caught_as_schema_errors(
        project: Project, fg: FeatureGroup, fv: FeatureView) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: fv.train_test_split(test_size=1.5),
        lambda: fv.train_test_split(test_size=0.5, train_end="2024-01-01"),
        lambda: fg.select(["x"]).join(fg.select(["label"]), join_type="sideways"),
        lambda: fg.select(["x"]).join(fg.select(["label"]), on=["id"], left_on=["id"]),
        lambda: fg.select(["x"]).join("label", on=["id"]),  # type: ignore[arg-type]
        lambda: fg.filter("x > 5"),  # type: ignore[arg-type]
        lambda: fg.read(wallclock_time="last tuesday"),
        lambda: project.get_model_registry().get_best_model("m", "acc", "up"),  # type: ignore
        lambda: project.get_model_registry().python.create_model("m", metrics={"acc": "high"}),
    ]
    for call in calls:
        err = _raised(call)
        assert isinstance(err, ArgumentSchemaError), repr(err)
        assert isinstance(err, InvalidArgumentError) and isinstance(err, SchemaError)
        assert err.reason == SchemaError.ARGUMENT
        assert _exit_code(call) == EXIT_USAGE


def test_a_frame_misfit_exits_1_and_an_argument_error_2(fg: FeatureGroup) -> None:
    assert _exit_code(lambda: fg.insert(frame([9], [9.0]).drop(columns=["x"]))) == EXIT_FAILED
    assert _exit_code(lambda: fg.insert(frame([9], [9.0]), operation="append")) == EXIT_USAGE


def test_invalid_name_error_for_unsafe_names(project: Project) -> None:
    fs = project.get_feature_store()
    for call in (lambda: fs.get_feature_group("Bad Name!", 1),
                 lambda: project.get_dataset_api().exists("../outside")):
        assert isinstance(_raised(call), InvalidNameError)


def test_not_found_error_lists_what_exists(project: Project, fg: FeatureGroup) -> None:
    err = _raised(lambda: project.get_feature_store().get_feature_group("no_such_group", 1))
    assert isinstance(err, NotFoundError) and f"{fg.name} v1" in err.existing


def test_already_exists_error_without_overwrite(project: Project, name: Name,
                                                tmp_path: Path) -> None:
    api = project.get_dataset_api()
    src = tmp_path / "note.txt"
    src.write_text("one")
    folder = f"Resources/{name('error_kinds')}"
    api.upload(str(src), folder)
    assert isinstance(_raised(lambda: api.upload(str(src), folder)), AlreadyExistsError)
    api.remove(folder)


def test_expectation_suite_error_for_a_group_without_suite(fg: FeatureGroup) -> None:
    err = _raised(lambda: fg.validate(frame([1], [1.0])))
    assert isinstance(err, ExpectationSuiteError) and "save_expectation_suite" in str(err)
