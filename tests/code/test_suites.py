"""The Great Expectations engine: every accepted suite format, rejections, and real validation."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlsys.errors import ExpectationSuiteError, NotFoundError, SchemaError
from mlsys.validation.engine import validate_frame
from mlsys.validation.ge import import_ge, to_ge_suite
from mlsys.validation.suite_io import (
    ACCEPTED_FORMATS,
    load_suite_file,
    parse_suite,
    suite_directories,
)
from mlsys.validation.types import ExpectationSuite, ValidationReport

REPO = Path(__file__).resolve().parents[2]

SUITE_1X = {
    "name": "wine_checks",
    "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 8.0, "max_value": 15.0}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "colour", "value_set": ["red", "white"]},
         "meta": {"why": "two wine colours"}},
        {"type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 9.0, "max_value": 12.0}},
    ],
    "meta": {"owner": "tests"},
}

# The same suite as Hopsworks / GE 0.x store it: other key names, run options in the kwargs.
SUITE_LEGACY = {
    "expectation_suite_name": "wine_checks",
    "data_asset_type": None,
    "ge_cloud_id": None,
    "expectations": [
        {"expectation_type": "expect_column_values_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 8.0, "max_value": 15.0,
                    "result_format": "COMPLETE"},
         "meta": {}},
        {"expectation_type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "colour", "value_set": ["red", "white"], "include_config": True,
                    "catch_exceptions": False},
         "meta": {"why": "two wine colours"}},
        {"expectation_type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "alcohol", "min_value": 9.0, "max_value": 12.0}},
    ],
    "meta": {"owner": "tests"},
}


def _summary(suite: ExpectationSuite) -> list[tuple[str, dict, dict]]:
    return [(e.type, e.kwargs, e.meta) for e in suite.expectations]


# --------------------------------------------------------------------------- accepted formats


def test_dict_in_ge_1x_form() -> None:
    suite = parse_suite(SUITE_1X)
    assert suite.name == "wine_checks"
    assert suite.meta == {"owner": "tests"}
    assert [e.type for e in suite.expectations] == [e["type"] for e in SUITE_1X["expectations"]]
    assert suite.expectations[0].kwargs == {"column": "alcohol", "min_value": 8.0,
                                            "max_value": 15.0}
    assert suite.expectations[1].kwargs["value_set"] == ["red", "white"]
    assert suite.expectations[1].meta == {"why": "two wine colours"}


def test_json_text_path_and_str_path_give_the_same_suite(tmp_path: Path) -> None:
    expected = parse_suite(SUITE_1X)
    text = json.dumps(SUITE_1X)
    path = tmp_path / "suite.json"
    path.write_text(text, encoding="utf-8")
    assert parse_suite(text) == expected
    assert parse_suite(path) == expected
    assert parse_suite(str(path)) == expected


def test_ge_suite_object() -> None:
    gx = import_ge()
    import great_expectations.expectations as gxe

    ge_suite = gx.ExpectationSuite(name="objects", expectations=[
        gxe.ExpectColumnValuesToNotBeNull(column="a"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=10),
    ])
    suite = parse_suite(ge_suite)
    assert suite.name == "objects"
    assert [(e.type, e.kwargs) for e in suite.expectations] == [
        ("expect_column_values_to_not_be_null", {"column": "a"}),
        ("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 10}),
    ]


def test_mlsys_suite_is_returned_as_is() -> None:
    suite = parse_suite(SUITE_1X)
    assert parse_suite(suite) is suite


def test_legacy_hopsworks_form_is_converted_to_1x() -> None:
    legacy = parse_suite(SUITE_LEGACY)
    assert _summary(legacy) == _summary(parse_suite(SUITE_1X))
    assert legacy.name == "wine_checks"
    # run options of GE 0.x are not expectation arguments in 1.x
    for e in legacy.expectations:
        assert not {"result_format", "include_config", "catch_exceptions"} & set(e.kwargs)


def test_hsfs_camel_case_form_with_json_string_fields() -> None:
    # what hsfs's ExpectationSuite.to_dict() sends: camelCase keys, kwargs/meta as JSON text
    camel = {
        "expectationSuiteName": "wine_checks",
        "expectations": [
            {"expectationType": e["expectation_type"], "kwargs": json.dumps(e["kwargs"]),
             "meta": json.dumps(e.get("meta", {}))}
            for e in SUITE_LEGACY["expectations"]
        ],
        "meta": json.dumps({"owner": "tests"}),
    }
    assert parse_suite(camel) == parse_suite(SUITE_1X)


def test_legacy_capitalised_expectation_name() -> None:
    suite = parse_suite({"expectation_suite_name": "pairs", "expectations": [{
        "expectation_type": "expect_column_pair_values_A_to_be_greater_than_B",
        "kwargs": {"column_A": "hi", "column_B": "lo"}}]})
    assert suite.expectations[0].type == "expect_column_pair_values_a_to_be_greater_than_b"


def test_round_trips_through_ge_and_json() -> None:
    suite = parse_suite(SUITE_1X)
    ge_suite = to_ge_suite(suite)
    assert isinstance(ge_suite, import_ge().ExpectationSuite)
    assert [e.expectation_type for e in ge_suite.expectations] == [
        e.type for e in suite.expectations]
    assert parse_suite(ge_suite) == suite
    assert parse_suite(suite.to_json()) == suite
    # the plain types carry no GE hook (it made types <-> engine a cycle); ge.py builds GE objects
    assert not any(hasattr(t, "to_ge_type") for t in (ExpectationSuite, ValidationReport))


def test_to_ge_suite_takes_the_plain_type_and_names_the_parser_for_others() -> None:
    with pytest.raises(ExpectationSuiteError, match="parse_suite"):
        to_ge_suite(SUITE_1X)  # type: ignore[arg-type]


def test_shipped_suites_load_by_name() -> None:
    shipped = sorted(p.stem for p in (REPO / "expectations").glob("*.json"))
    assert shipped, "the repo ships suites in expectations/"
    for stem in shipped:
        raw = json.loads((REPO / "expectations" / f"{stem}.json").read_text(encoding="utf-8"))
        suite = load_suite_file(stem)
        assert suite == load_suite_file(f"{stem}.json")
        assert suite.name == raw["name"]
        assert len(suite.expectations) == len(raw["expectations"])
    assert REPO / "expectations" in suite_directories()


@pytest.mark.parametrize("name", ["no_such_suite", "../pyproject", ""])
def test_unknown_shipped_suite_lists_the_available_ones(name: str) -> None:
    shipped = sorted(p.stem for p in (REPO / "expectations").glob("*.json"))
    with pytest.raises(NotFoundError) as info:
        load_suite_file(name)
    assert info.value.existing == shipped


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize("obj", [42, None, ["expect_column_values_to_not_be_null"], 3.5])
def test_unsupported_objects_name_the_accepted_formats(obj: object) -> None:
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite(obj)
    assert type(obj).__name__ in str(info.value)
    assert ACCEPTED_FORMATS in str(info.value)


def test_unknown_expectation_type_suggests_the_close_name() -> None:
    bad = {"name": "typo", "expectations": [
        {"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "a", "min_value": 0}}]}
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite(bad)
    msg = str(info.value)
    assert "'expect_column_values_to_be_betwen'" in msg
    assert "expect_column_values_to_be_between" in msg.split("did you mean")[1]
    assert "#0" in msg


def test_invented_expectation_is_rejected() -> None:
    with pytest.raises(ExpectationSuiteError, match="expect_rows_to_be_nice"):
        parse_suite({"name": "x", "expectations": [{"type": "expect_rows_to_be_nice",
                                                    "kwargs": {}}]})


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"min_value": 0, "max_value": 1}, "column"),  # required argument missing
    ({"column": "a", "min_value": 0, "mostly": 3}, "mostly"),  # out of range
    ({"column": "a", "min_value": 0, "colour": "red"}, "colour"),  # unknown argument
])
def test_bad_arguments_are_named(kwargs: dict, field: str) -> None:
    with pytest.raises(ExpectationSuiteError) as info:
        parse_suite({"name": "args", "expectations": [
            {"type": "expect_column_values_to_be_between", "kwargs": kwargs}]})
    assert field in str(info.value)
    assert "expect_column_values_to_be_between" in str(info.value)


@pytest.mark.parametrize(("obj", "fragment"), [
    ({"expectations": []}, "no suite name"),
    ({"name": "x", "expectations": {"type": "a"}}, "'expectations' as a list"),
    ({"name": "x"}, "'expectations' as a list"),
    ({"name": "x", "expectations": ["expect_column_values_to_not_be_null"]}, "must be a dict"),
    ({"name": "x", "expectations": [{"kwargs": {"column": "a"}}]}, "no 'type'"),
    ('{"name": "x", "expectations": [', "not valid JSON"),
    ("[1, 2]", "JSON list"),
    ("/nowhere/suite.json", "does not exist"),
])
def test_malformed_suites_say_what_is_wrong(obj: object, fragment: str) -> None:
    with pytest.raises(ExpectationSuiteError, match=fragment):
        parse_suite(obj)


def test_suite_errors_are_value_errors_too() -> None:
    # callers that predate mlsys catch ValueError, as GE raises for bad suites
    with pytest.raises(ValueError, match="accepted"):
        parse_suite(object())


# --------------------------------------------------------------------------- validation


def _wine_like(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "alcohol": rng.uniform(9.0, 12.0, size=n),
        "colour": rng.choice(["red", "white"], size=n),
        "score": rng.integers(3, 9, size=n),
    })


def test_passing_frame() -> None:
    df = _wine_like(500)
    report = validate_frame(df, parse_suite(SUITE_1X))
    assert isinstance(report, ValidationReport)
    assert report.success
    assert report.row_count == 500
    assert report.suite_name == "wine_checks"
    between, in_set, mean = report.results
    assert between.success and in_set.success and mean.success
    assert between.element_count == 500 and between.unexpected_count == 0
    assert in_set.partial_unexpected_list == []
    assert mean.observed_value == pytest.approx(df["alcohol"].mean())
    assert report.statistics["success_percent"] == 100.0


def test_failing_frame_counts_match_pandas() -> None:
    df = _wine_like(400, seed=1)
    df.loc[[3, 50, 77], "alcohol"] = [7.5, 16.0, 30.0]
    df.loc[[5, 6], "colour"] = ["rosé", "<script>alert(1)</script>"]
    df.loc[9, "colour"] = None
    report = validate_frame(df, parse_suite(SUITE_1X))
    assert not report.success
    between, in_set, mean = report.results  # the suite's order is kept

    out_of_range = df["alcohol"][(df["alcohol"] < 8.0) | (df["alcohol"] > 15.0)]
    assert not between.success
    assert between.unexpected_count == len(out_of_range)
    assert between.unexpected_percent == pytest.approx(100 * len(out_of_range) / len(df))
    assert sorted(between.partial_unexpected_list) == sorted(out_of_range.tolist())

    colours = df["colour"].dropna()
    odd = colours[~colours.isin(["red", "white"])]
    assert not in_set.success
    assert in_set.unexpected_count == len(odd)
    assert in_set.element_count == len(df)
    # GE counts unexpected among non-null values
    assert in_set.unexpected_percent == pytest.approx(100 * len(odd) / len(colours))
    assert sorted(in_set.partial_unexpected_list) == sorted(odd.tolist())

    assert mean.observed_value == pytest.approx(df["alcohol"].mean())
    assert mean.success == (9.0 <= df["alcohol"].mean() <= 12.0)
    assert {r.expectation_type for r in report.failures} == {
        "expect_column_values_to_be_between", "expect_column_values_to_be_in_set"}
    assert "alcohol" in report.describe_failures()


def test_partial_unexpected_list_is_capped_and_json_safe() -> None:
    df = pd.DataFrame({"n": np.arange(1000, dtype="int64"),
                       "x": np.linspace(0.0, 1.0, 1000)})
    df.loc[0, "x"] = np.nan
    suite = parse_suite({"name": "caps", "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "n", "min_value": 0, "max_value": 100}},
        {"type": "expect_column_max_to_be_between",
         "kwargs": {"column": "n", "min_value": 0, "max_value": 10}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
    ]})
    report = validate_frame(df, suite)
    values, maximum, nulls = report.results
    assert values.unexpected_count == int((df["n"] > 100).sum())
    assert len(values.partial_unexpected_list) == 20
    assert all(type(v) is int for v in values.partial_unexpected_list)
    assert maximum.observed_value == int(df["n"].max())
    assert type(maximum.observed_value) is int
    assert nulls.unexpected_count == int(df["x"].isna().sum())
    # strict JSON (no NaN, no numpy scalars) and a lossless round trip
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert ValidationReport.from_dict(json.loads(text)) == report
    assert len(validate_frame(df, suite, partial_unexpected_count=5).results[0]
               .partial_unexpected_list) == 5


def test_missing_column_fails_with_the_exception_message() -> None:
    df = _wine_like(20)
    suite = parse_suite({"name": "missing", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "acidity"}},
        {"type": "expect_column_to_exist", "kwargs": {"column": "acidity"}},
        {"type": "expect_table_row_count_to_be_between",
         "kwargs": {"min_value": 1, "max_value": 100}},
    ]})
    report = validate_frame(df, suite)
    not_null, exists, rows = report.results
    assert not not_null.success
    assert not_null.exception_message and "acidity" in not_null.exception_message
    assert not exists.success
    assert rows.success and rows.observed_value == 20
    assert not report.success


def test_empty_suite_passes_without_running_ge() -> None:
    report = validate_frame(_wine_like(3), ExpectationSuite("empty", ()))
    assert report.success and report.results == () and report.row_count == 3


def test_validation_accepts_any_suite_format_and_leaves_the_frame_alone() -> None:
    df = _wine_like(50)
    before = df.copy()
    a = validate_frame(df, SUITE_1X)
    b = validate_frame(df, json.dumps(SUITE_LEGACY))
    assert [r.success for r in a.results] == [r.success for r in b.results]
    pd.testing.assert_frame_equal(df, before)


def test_not_a_frame_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="list"):
        validate_frame([{"alcohol": 10.0}], parse_suite(SUITE_1X))  # type: ignore[arg-type]


def test_no_warnings_and_no_progress_bars(capfd: pytest.CaptureFixture[str]) -> None:
    df = _wine_like(100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_frame(df, parse_suite(SUITE_1X))
    assert [str(w.message) for w in caught] == []
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err


def test_concurrent_validations_agree() -> None:
    frames = [_wine_like(300, seed=s) for s in range(4)]
    for f in frames[::2]:
        f.loc[0, "alcohol"] = 99.0
    suite = parse_suite(SUITE_1X)
    expected = [validate_frame(f, suite) for f in frames]
    got: dict[int, ValidationReport] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            got[i] = validate_frame(frames[i], suite)
        except BaseException as err:  # surfaced below: a thread's exception is otherwise lost
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, want in enumerate(expected):
        assert [(r.success, r.unexpected_count, r.observed_value) for r in got[i].results] == [
            (r.success, r.unexpected_count, r.observed_value) for r in want.results]
    assert got[0].results[0].success is False


def test_module_import_does_not_import_great_expectations() -> None:
    code = ("import sys, mlsys.validation.engine, mlsys.validation.schemas, "
            "mlsys.reports.quality, mlsys.reports.pages, mlsys.reports.plots\n"
            "print(sorted(m for m in ('great_expectations', 'matplotlib', 'pandera') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
