"""Pandera helpers: failures become readable SchemaErrors; run_schema collects failure cases."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from mlsys.errors import SchemaError
from mlsys.validation.schemas import (
    FAILURE_CASE_COLUMNS,
    check_frame,
    guard,
    resolve_schema,
    run_schema,
)


def _schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema({
        "alcohol": pa.Column(float, pa.Check.in_range(8.0, 15.0)),
        "colour": pa.Column(str, pa.Check.isin(["red", "white"]), nullable=False),
        "score": pa.Column(int),
    }, strict=True, name="wine_features")


def _good() -> pd.DataFrame:
    return pd.DataFrame({"alcohol": [9.5, 11.0, 12.5], "colour": ["red", "white", "red"],
                         "score": [5, 6, 7]})


def test_a_fitting_frame_passes() -> None:
    df = _good()
    pd.testing.assert_frame_equal(check_frame(_schema(), df), df)
    result = run_schema(_schema(), df)
    assert result.passed and result.failure_count == 0 and result.row_count == 3
    assert list(result.failure_cases.columns) == list(FAILURE_CASE_COLUMNS)
    assert result.failure_cases.empty


@pytest.mark.parametrize("changing", [
    pa.DataFrameSchema({"score": pa.Column(float, coerce=True)}),
    pa.DataFrameSchema({"score": pa.Column(float)}, coerce=True),
    pa.DataFrameSchema({"score": pa.Column(int), "extra": pa.Column(int, default=0)},
                       add_missing_columns=True),
    pa.DataFrameSchema({"score": pa.Column(int)}, strict="filter"),
], ids=["column coerce", "schema coerce", "default column", "strict filter"])
def test_a_schema_that_changes_the_frame_never_changes_the_callers(
        changing: pa.DataFrameSchema) -> None:
    # check_frame validates in place only when the schema cannot alter the frame
    df = pd.DataFrame({"score": [5, 6, 7], "other": [1, 2, 3]}) if changing.strict == "filter" \
        else pd.DataFrame({"score": [5, 6, 7]})
    before = df.copy()
    out = check_frame(changing, df)
    pd.testing.assert_frame_equal(df, before)
    assert not out.equals(before)


def test_failures_name_column_check_values_and_fix() -> None:
    df = _good()
    df.loc[1, "alcohol"] = 42.0
    df.loc[2, "colour"] = "<script>"
    df = df.rename(columns={"score": "points"})
    with pytest.raises(SchemaError) as info:
        check_frame(_schema(), df, "the wine frame")
    msg = str(info.value)
    assert msg.startswith("the wine frame does not fit schema 'wine_features'")
    assert "'alcohol'" in msg and "in_range(8.0, 15.0)" in msg and "42.0" in msg
    assert "'<script>'" in msg
    assert "missing column(s) 'score'" in msg and "add them" in msg
    assert "unexpected column(s) 'points'" in msg and "drop them" in msg


def test_run_schema_counts_every_failure_case() -> None:
    df = pd.DataFrame({"alcohol": [1.0, 2.0, 9.0, 20.0] * 30,
                       "colour": ["red", None, "white", "blue"] * 30,
                       "score": [1, 2, 3, 4] * 30})
    bad_alcohol = int((~df["alcohol"].between(8.0, 15.0)).sum())
    nulls = int(df["colour"].isna().sum())
    odd_colours = int((~df["colour"].dropna().isin(["red", "white"])).sum())
    result = run_schema(_schema(), df, max_cases=10)
    assert not result.passed
    assert result.failure_count == bad_alcohol + nulls + odd_colours
    assert len(result.failure_cases) == 10
    assert "failure case(s)" in result.describe()


def test_dtype_and_null_messages() -> None:
    df = _good().assign(score=[5.0, None, 7.0])
    with pytest.raises(SchemaError) as info:
        check_frame(_schema(), df)
    msg = str(info.value)
    assert "'score'" in msg and "int64" in msg and "cast" in msg


def test_schema_factories_are_accepted_and_non_schemas_rejected() -> None:
    assert resolve_schema(_schema).name == "wine_features"
    with pytest.raises(SchemaError, match="not a Pandera schema"):
        resolve_schema(42)


def test_guard_checks_inputs_and_outputs() -> None:
    loose = _schema().update_column("alcohol", checks=[pa.Check.in_range(4.0, 10.0)])

    @guard(input_schema=loose, output_schema=_schema, arg="df")
    def double_alcohol(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(alcohol=df["alcohol"] * 2)

    ok = _good().assign(alcohol=[4.0, 5.0, 6.0])
    assert double_alcohol(ok)["alcohol"].tolist() == [8.0, 10.0, 12.0]
    with pytest.raises(SchemaError, match="argument 'df' of"):
        double_alcohol(ok.drop(columns="score"))
    with pytest.raises(SchemaError, match=r"the result of .*20\.0"):
        double_alcohol(ok.assign(alcohol=[4.0, 5.0, 10.0]))  # fits in, 2 x 10 is out of range
