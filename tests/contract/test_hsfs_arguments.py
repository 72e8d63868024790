"""hsfs 5 keyword arguments that Hopsworks code passes are accepted (or refused by name)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from contract_data import X_IN_RANGE, frame

from mlsys.errors import InvalidArgumentError
from mlsys.store.api import FeatureGroup, Project

Name = Callable[[str], str]


@pytest.fixture
def fg(project: Project, name: Name) -> FeatureGroup:
    return project.get_feature_store().get_or_create_feature_group(
        name("hsfs_args"), 1, primary_key=["id"], event_time="ts", online_enabled=True)


def test_insert_takes_operation_and_wait(fg: FeatureGroup) -> None:
    job, _ = fg.insert(frame([1, 2], [1.0, 2.0]), operation="insert", wait=True)
    assert job.rows == 2
    fg.insert(frame([2], [20.0]), operation="upsert")  # keyed: "insert" and "upsert" both upsert
    assert sorted(fg.read()["x"]) == [1.0, 20.0]
    with pytest.raises(InvalidArgumentError, match="'append'"):
        fg.insert(frame([3], [3.0]), operation="append")
    assert sorted(fg.read()["id"]) == [1, 2]  # the refused insert wrote nothing


def test_reports_come_as_great_expectations_results_with_ge_type(fg: FeatureGroup) -> None:
    fg.save_expectation_suite(X_IN_RANGE, validation_ingestion_policy="always")
    fg.insert(frame([1, 2], [1.0, 50.0]))
    ours = fg.get_latest_validation_report()
    ge = fg.get_latest_validation_report(ge_type=True)
    assert type(ge).__name__ == "ExpectationSuiteValidationResult"
    assert ge.success is False is ours.success
    assert ge.results[0].expectation_config.type == "expect_column_values_to_be_between"
    assert ge.results[0].result["unexpected_count"] == 1
    assert [type(r).__name__ for r in fg.get_all_validation_reports(ge_type=True)] == [
        "ExpectationSuiteValidationResult"]
    with pytest.raises(InvalidArgumentError, match="'SOMETIMES'"):
        fg.validate(frame([1], [1.0]), ingestion_result="SOMETIMES")


def test_views_take_serving_keys_entry_and_pandas_dataframe_type(
        project: Project, name: Name, fg: FeatureGroup) -> None:
    fg.insert(frame(list(range(8)), [float(i) for i in range(8)]))
    fv = project.get_feature_store().get_or_create_feature_view(
        name("hsfs_args_view"), 1, fg.select(["x", "label"]), labels=["label"])
    x_train, _, _, _ = fv.train_test_split(test_size=0.25, seed=0, dataframe_type="pandas")
    assert len(x_train) == 6
    assert len(fv.get_batch_data(dataframe_type="default")) == 8
    with pytest.raises(InvalidArgumentError, match="'spark'"):
        fv.training_data(dataframe_type="spark")
    fv.init_serving()
    assert fv.get_feature_vector(serving_keys={"id": 3}) == [3.0]
    assert fv.get_feature_vector(entry={"id": 4}) == [4.0]
    assert fv.get_feature_vectors(serving_keys=[{"id": 1}, {"id": 2}]) == [[1.0], [2.0]]
    with pytest.raises(InvalidArgumentError, match="not both"):
        fv.get_feature_vector(serving_keys={"id": 3}, entry={"id": 3})
    with pytest.raises(InvalidArgumentError, match="primary key"):
        fv.get_feature_vector()
