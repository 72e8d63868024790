"""The Hopsworks adapter's mapping of the feature store API onto the real hsfs classes.

Every SDK call is checked against the real method's signature (see ``hopsworks_sdk.spy``);
queries, filters, suites and reports are the SDK's own objects, built offline. Where the SDK is
not installed, the first tests check what happens there for real (login names the extra to
install) and the rest skip with that reason.
"""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import pandas as pd
import pytest
from hopsworks_sdk import (
    KEY,
    iris_group,
    labels_group,
    load_sdk,
    named_parameters,
    rest_error,
    spy,
    stored_report,
    stored_suite,
)

import mlsys
from mlsys.errors import (
    BackendUnavailableError,
    DataValidationError,
    ExpectationSuiteError,
    InvalidNameError,
    NotFoundError,
    SchemaError,
)
from mlsys.store.api import Filter
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.errors import SdkCalls
from mlsys.store.hopsworks.feature_group import HopsworksFeatureGroup
from mlsys.store.hopsworks.feature_store import HopsworksFeatureStore
from mlsys.store.hopsworks.validation import report_from_sdk, suite_from_sdk
from mlsys.validation.types import IngestionResult

HAS_SDK = importlib.util.find_spec("hopsworks") is not None
SUITE = {"name": "iris", "expectations": [
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "sepal_length", "min_value": 4, "max_value": 8}}]}


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    return load_sdk(monkeypatch)


@pytest.fixture
def ctx() -> Context:
    return Context(HopsworksConfig(api_key_value=KEY), SdkCalls((KEY,)), sdk_project=None)


def _fs(sdk: SimpleNamespace, ctx: Context) -> HopsworksFeatureStore:
    real = sdk.feature_store.FeatureStore(
        featurestore_id=67, featurestore_name="p_featurestore", created=None, project_name="p",
        project_id=1, offline_featurestore_name="p", online_enabled=True)
    return HopsworksFeatureStore(real, ctx)


def _frame(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"Flower ID": range(n), "ts": pd.date_range("2024-01-01", periods=n,
                                                                      tz="UTC"),
                         "sepal_length": [5.0 + i for i in range(n)], "variety": ["a"] * n})


# ----------------------------------------------------------------- without the SDK


@pytest.mark.skipif(HAS_SDK, reason="the SDK is installed in this environment; the next test "
                    "hides it to check the same message")
def test_login_without_the_sdk_names_the_extra() -> None:
    with pytest.raises(BackendUnavailableError, match=r"pip install 'mlsys\[hopsworks\]'") as ei:
        mlsys.login(backend="hopsworks", api_key_value=KEY)
    assert KEY not in str(ei.value)


def test_login_with_the_sdk_hidden_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hopsworks", None)  # makes `import hopsworks` fail
    with pytest.raises(BackendUnavailableError, match=r"pip install 'mlsys\[hopsworks\]'"):
        mlsys.login(backend="hopsworks", api_key_value=KEY)


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    import subprocess

    code = ("import sys, mlsys.store.hopsworks.project, mlsys.store.hopsworks.feature_store, "
            "mlsys.store.hopsworks.models, mlsys.store.hopsworks.datasets\n"
            "print(sorted(m for m in ('hopsworks', 'hsfs', 'hsml', 'great_expectations') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# ----------------------------------------------------------------- login arguments


def test_login_kwargs_are_parameters_of_hopsworks_login(sdk: SimpleNamespace) -> None:
    cfg = HopsworksConfig(api_key_value=KEY, project="p")
    assert set(cfg.login_kwargs("h.example")) <= named_parameters(sdk.hopsworks.login)


# ----------------------------------------------------------------- feature store


def test_get_or_create_group_passes_real_keywords_and_a_ge_suite(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.feature_store.FeatureStore, "get_or_create_feature_group",
                result=iris_group(sdk, fg_id=None))
    fg = _fs(sdk, ctx).get_or_create_feature_group(
        "iris", 1, primary_key=["Flower ID"], event_time="TS", description="d",
        online_enabled=True, expectation_suite=SUITE)
    _, kw = calls.last
    assert (kw["name"], kw["version"], kw["primary_key"], kw["event_time"]) == (
        "iris", 1, ["flower_id"], "ts")
    assert isinstance(kw["expectation_suite"], sdk.gx.ExpectationSuite)
    assert fg.features == [] and fg.read().empty  # hsfs creates the group at its first insert


def test_group_arguments_are_checked_before_any_request(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.feature_store.FeatureStore, "get_or_create_feature_group",
                result=iris_group(sdk, fg_id=None))
    fs = _fs(sdk, ctx)
    with pytest.raises(InvalidNameError):
        fs.get_or_create_feature_group("Iris Flowers", 1, primary_key=["id"])
    with pytest.raises(InvalidNameError):
        fs.get_or_create_feature_group("iris", 0, primary_key=["id"])
    with pytest.raises(SchemaError, match="also in the primary key"):
        fs.get_or_create_feature_group("iris", 1, primary_key=["ts"], event_time="ts")
    assert len(calls) == 0
    with pytest.raises(SchemaError, match="needs a primary key"):
        fs.get_or_create_feature_group("iris", 1)


def test_existing_group_with_another_key_is_refused(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    spy(monkeypatch, sdk.feature_store.FeatureStore, "get_or_create_feature_group",
        result=iris_group(sdk))
    with pytest.raises(SchemaError, match="exists with primary key"):
        _fs(sdk, ctx).get_or_create_feature_group("iris", 1, primary_key=["other"])


def test_missing_group_is_not_found_listing_existing(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    get = spy(monkeypatch, sdk.feature_store.FeatureStore, "get_feature_group", result=None)
    spy(monkeypatch, sdk.feature_store.FeatureStore, "get_feature_groups",
        result=[iris_group(sdk)])
    with pytest.raises(NotFoundError, match=r"'wine v1' does not exist; existing: iris v1"):
        _fs(sdk, ctx).get_feature_group("wine")
    assert get.last[1]["version"] == 1  # mlsys defaults the version itself: no hsfs warning


def test_missing_view_is_not_found(sdk: SimpleNamespace, ctx: Context,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hsfs.core.feature_view_api import FeatureViewApi

    spy(monkeypatch, sdk.feature_store.FeatureStore, "get_feature_view", result=None)
    listing = spy(monkeypatch, FeatureViewApi, "_get_all", result=[])
    with pytest.raises(NotFoundError, match="feature view 'iris_view v2' does not exist"):
        _fs(sdk, ctx).get_feature_view("iris_view", 2)
    assert listing.last[1] == {"latest_version_only": False}


def test_listing_views_every_one_or_one_name(sdk: SimpleNamespace, ctx: Context,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from hsfs.core.feature_view_api import FeatureViewApi

    spy(monkeypatch, FeatureViewApi, "_get_all", result=[
        {"name": "iris_view", "version": 2}, {"name": "iris_view", "version": 1}])
    get = spy(monkeypatch, sdk.feature_store.FeatureStore, "get_feature_view",
              effect=lambda self, name, version=None: sdk.feature_view.FeatureView(
                  name=name, query=iris_group(sdk).select_all(), featurestore_id=67,
                  version=version, labels=["variety"]))
    fs = _fs(sdk, ctx)
    assert [(v.name, v.version) for v in fs.get_feature_views()] == [
        ("iris_view", 1), ("iris_view", 2)]
    assert len(get) == 2
    spy(monkeypatch, sdk.feature_store.FeatureStore, "get_feature_views",
        result=rest_error(sdk, 404))
    assert fs.get_feature_views("wine_view") == []


def test_view_from_a_query_of_this_store(sdk: SimpleNamespace, ctx: Context,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.feature_store.FeatureStore, "get_or_create_feature_view",
                result=sdk.feature_view.FeatureView(
                    name="iris_view", query=iris_group(sdk).select_all(), featurestore_id=67,
                    version=1, labels=["variety"]))
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    fv = _fs(sdk, ctx).get_or_create_feature_view("iris_view", 1, fg.select_all(),
                                                  labels=["Variety"])
    _, kw = calls.last
    assert kw["labels"] == ["variety"] and isinstance(kw["query"], sdk.query.Query)
    assert fv.labels == ["variety"] and fv.primary_keys == ["flower_id"]
    with pytest.raises(NotFoundError, match="label"):
        _fs(sdk, ctx).get_or_create_feature_view("iris_view", 1, fg.select_all(),
                                                 labels=["colour"])


# ----------------------------------------------------------------- inserts


def test_insert_waits_for_the_job_and_returns_an_mlsys_report(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    ge_result = stored_report(sdk, "INGESTED").to_ge_type()
    calls = spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert", result=(None, ge_result))
    fg = HopsworksFeatureGroup(iris_group(sdk, online=True), ctx)
    job, report = fg.insert(_frame())
    (frame,), kw = calls.last
    assert list(frame.columns) == ["flower_id", "ts", "sepal_length", "variety"]
    assert kw["write_options"] == {"wait_for_job": True, "wait_for_online_ingestion": True}
    assert job.state == "FINISHED" and job.rows == 3
    assert report is not None and report.ingestion_result is IngestionResult.INGESTED
    assert (report.feature_group, report.feature_group_version, report.row_count) == (
        "iris", 1, 3)
    fg.insert(_frame(), write_options={"wait_for_job": False})
    assert calls.last[1]["write_options"]["wait_for_job"] is False


@pytest.mark.parametrize("change, match", [
    (lambda df: df.drop(columns=["Flower ID"]), "missing feature"),
    (lambda df: df.assign(extra=1), "extra feature"),
    (lambda df: df.assign(**{"Flower ID": [1, None, 3]}), "null"),
])
def test_a_bad_frame_is_refused_before_upload(sdk: SimpleNamespace, ctx: Context,
                                              monkeypatch: pytest.MonkeyPatch, change: object,
                                              match: str) -> None:
    calls = spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert", result=(None, None))
    with pytest.raises(SchemaError, match=match):
        HopsworksFeatureGroup(iris_group(sdk), ctx).insert(change(_frame()))  # type: ignore
    assert len(calls) == 0


def test_repeated_keys_go_to_hsfs_with_a_warning_or_are_refused_when_strict(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsys.errors import DuplicateKeyWarning

    calls = spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert", result=(None, None))
    twice = pd.concat([_frame(), _frame()], ignore_index=True)
    with pytest.warns(DuplicateKeyWarning, match="3 row"):  # hsfs stores them as given
        HopsworksFeatureGroup(iris_group(sdk), ctx).insert(twice)
    assert len(calls) == 1 and len(calls.last[0][0]) == 6
    assert "reject_duplicate_keys" not in calls.last[1]["write_options"]  # mlsys's own option
    with pytest.raises(SchemaError, match="share a primary key"):
        HopsworksFeatureGroup(iris_group(sdk), ctx).insert(
            twice, write_options={"reject_duplicate_keys": True})
    with pytest.raises(SchemaError, match="rejects duplicate keys"):
        HopsworksFeatureGroup(iris_group(sdk), ctx, reject_duplicate_keys=True).insert(twice)
    assert len(calls) == 1


def test_frames_are_cast_as_the_local_store_casts_them(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert", result=(None, None))
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    naive = _frame(2).assign(ts=pd.to_datetime(["2024-01-01 12:00", "2024-01-02 00:00"]),
                             sepal_length=[5, 6])  # ints for a double feature, naive times
    fg.insert(naive)
    (sent,), _ = calls.last
    assert str(sent["sepal_length"].dtype) == "float64"
    assert sent["ts"].tolist()[0] == pd.Timestamp("2024-01-01 12:00", tz="UTC")
    with pytest.raises(SchemaError, match=r"'sepal_length'.*double"):
        fg.insert(_frame(1).assign(sepal_length="five"))
    job, report = fg.insert(_frame(0))
    assert (job.rows, job.state, report) == (0, "FINISHED", None)
    assert len(calls) == 1  # neither the bad nor the empty frame reached hsfs
    with pytest.raises(SchemaError, match="to_datetime"):
        HopsworksFeatureGroup(iris_group(sdk, fg_id=None), ctx).insert(
            _frame(1).assign(ts=["2024-01-01"]))
    with pytest.raises(SchemaError, match="not a date"):
        fg.read(wallclock_time="yesterday-ish")


def test_strict_rejection_raises_with_the_stored_report(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert",
        result=sdk.exceptions.DataValidationException("Data validation failed"))
    latest = spy(monkeypatch, sdk.feature_group.FeatureGroup, "get_latest_validation_report",
                 result=stored_report(sdk, "REJECTED"))
    with pytest.raises(DataValidationError, match="sepal_length") as ei:
        HopsworksFeatureGroup(iris_group(sdk), ctx).insert(_frame())
    assert latest.last[1] == {"ge_type": False}
    report = ei.value.report
    assert report.ingestion_result is IngestionResult.REJECTED and not report.success
    assert [r.success for r in report.results] == [True, False]
    assert ei.value.__context__ is None or ei.value.__suppress_context__


def test_hopsworks_schema_mismatch_is_a_schema_error(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "insert",
        result=sdk.exceptions.FeatureStoreException(
            "Features are not compatible with Feature Group schema: \n - sepal_length "
            "(expected type: 'double', derived from input: 'string') has the wrong type."))
    with pytest.raises(SchemaError, match="wrong type"):
        HopsworksFeatureGroup(iris_group(sdk), ctx).insert(_frame())


def test_commit_details_are_keyed_by_commit_time(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "commit_details", result={
        "1704067200000": {"committedOn": "20240101000000", "rowsInserted": 3,
                          "rowsUpdated": 0, "rowsDeleted": 0},
        "1704153600000": {"committedOn": "20240102000000", "rowsInserted": 1,
                          "rowsUpdated": 2, "rowsDeleted": 0}})
    details = HopsworksFeatureGroup(iris_group(sdk), ctx).commit_details(limit=5)
    assert list(details) == [1704153600000, 1704067200000]
    assert details[1704153600000]["rows_updated"] == 2
    assert details[1704067200000]["committed_on"].isoformat() == "2024-01-01T00:00:00+00:00"


def test_read_page_reads_the_commit_by_its_time_and_pages_the_frame(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """hsfs has no offset: the adapter reads the group as of the commit and slices it."""
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "commit_details", result={
        "1704067200000": {"committedOn": "20240101000000", "rowsInserted": 5,
                          "rowsUpdated": 0, "rowsDeleted": 0}})
    read = spy(monkeypatch, sdk.feature_group.FeatureGroup, "read", result=_frame(5))
    page = HopsworksFeatureGroup(iris_group(sdk), ctx).read_page(1, 2, commit=1704067200000)
    assert (page.offset, page.total_rows, page.commit, len(page.rows)) == (1, 5, 1704067200000, 2)
    pd.testing.assert_frame_equal(page.rows, _frame(5).iloc[1:3].reset_index(drop=True))
    assert read.items[0][1]["wallclock_time"].isoformat() == "2024-01-01T00:00:00+00:00"


# ----------------------------------------------------------------- suites and reports


def test_suites_go_to_hsfs_as_ge_objects_and_come_back_as_mlsys(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    save = spy(monkeypatch, sdk.feature_group.FeatureGroup, "save_expectation_suite")
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "get_expectation_suite",
        result=stored_suite(sdk))
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    fg.save_expectation_suite(SUITE, validation_ingestion_policy="Strict", overwrite=True)
    (ge_suite,), kw = save.last
    assert isinstance(ge_suite, sdk.gx.ExpectationSuite)
    assert kw["validation_ingestion_policy"] == "strict" and kw["overwrite"] is True
    with pytest.raises(ExpectationSuiteError, match="not known"):
        fg.save_expectation_suite(SUITE, validation_ingestion_policy="sometimes")
    assert len(save) == 1
    suite = fg.get_expectation_suite()
    assert suite.name == "iris" and suite.expectations[0].meta == {}  # hsfs's id dropped
    assert suite.expectations[0].kwargs == SUITE["expectations"][0]["kwargs"]
    assert fg.validation_ingestion_policy == "STRICT"
    assert isinstance(fg.get_expectation_suite(ge_type=True), sdk.gx.ExpectationSuite)


def test_mlsys_suite_survives_the_hsfs_round_trip(sdk: SimpleNamespace) -> None:
    from mlsys.validation.ge import to_ge_suite
    from mlsys.validation.suite_io import parse_suite

    suite = parse_suite(SUITE)
    back = suite_from_sdk(sdk.expectation_suite.ExpectationSuite.from_ge_type(
        to_ge_suite(suite), validation_ingestion_policy="strict"))
    assert [(e.type, e.kwargs["column"]) for e in back.expectations] == [
        (e.type, e.kwargs["column"]) for e in suite.expectations]


def test_validate_needs_a_suite_and_maps_hsfs_reports(
        sdk: SimpleNamespace, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "get_expectation_suite", result=None)
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    with pytest.raises(ExpectationSuiteError, match="has no expectation suite"):
        fg.validate(_frame())
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "get_expectation_suite",
        result=stored_suite(sdk))
    validate = spy(monkeypatch, sdk.feature_group.FeatureGroup, "validate",
                   result=stored_report(sdk, "EXPERIMENT"))
    report = fg.validate(_frame(), ingestion_result="EXPERIMENT")
    assert validate.last[1]["ingestion_result"] == "EXPERIMENT"
    assert validate.last[1]["ge_type"] is False
    assert report.ingestion_result is IngestionResult.EXPERIMENT and report.row_count == 3
    assert "sepal_length" in report.describe_failures()


def test_reports_from_hsfs_and_from_ge_agree(sdk: SimpleNamespace) -> None:
    hsfs_report = stored_report(sdk, "INGESTED")
    a = report_from_sdk(hsfs_report, feature_group="iris", version=1)
    b = report_from_sdk(hsfs_report.to_ge_type().to_json_dict(), feature_group="iris",
                        version=1, ingestion=IngestionResult.INGESTED)
    assert a.id == 41 and a.ingestion_result is IngestionResult.INGESTED
    assert a.validation_time.isoformat().startswith("2024-01-01")
    failed = a.failures[0]
    assert (failed.expectation_type, failed.column, failed.unexpected_count,
            failed.partial_unexpected_list) == (
        "expect_column_values_to_be_between", "sepal_length", 1, [99.0])
    # hsfs's to_ge_type() drops the expectation type under GE 1.x; the counts survive
    assert [(r.success, r.unexpected_count) for r in b.results] == [
        (r.success, r.unexpected_count) for r in a.results]


# ----------------------------------------------------------------- queries


@pytest.mark.parametrize("op, condition", [
    ("<", "LESS_THAN"), ("<=", "LESS_THAN_OR_EQUAL"), (">", "GREATER_THAN"),
    (">=", "GREATER_THAN_OR_EQUAL"), ("==", "EQUALS"), ("!=", "NOT_EQUALS"), ("in", "IN"),
    ("like", "LIKE")])
def test_each_filter_becomes_the_hsfs_condition(sdk: SimpleNamespace, ctx: Context, op: str,
                                                condition: str) -> None:
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    value = ("a", "b") if op == "in" else "a%" if op == "like" else 5
    built = fg.filter(Filter("Sepal Length", op, value)).to_sdk()  # type: ignore[attr-defined]
    single = built.filters.to_dict()["leftFilter"].to_dict()
    assert single["condition"] == condition and single["feature"].name == "sepal_length"


def test_queries_are_immutable_and_combine_with_and_or(sdk: SimpleNamespace,
                                                       ctx: Context) -> None:
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    base = fg.select(["sepal_length", "variety"])
    narrowed = base.filter((fg["sepal_length"] > 5) | (fg["variety"] == "a"))
    assert base.to_sdk().filters is None  # type: ignore[attr-defined]
    assert narrowed.to_sdk().filters.to_dict()["type"] == "OR"  # type: ignore[attr-defined]
    dated = narrowed.as_of("2024-01-01")
    assert narrowed.to_sdk().left_feature_group_end_time is None  # type: ignore[attr-defined]
    assert dated.to_sdk().left_feature_group_end_time == 1704067200000  # type: ignore


def test_joins_need_a_prefix_on_a_clash_and_prefix_every_right_name(sdk: SimpleNamespace,
                                                                    ctx: Context) -> None:
    left = HopsworksFeatureGroup(iris_group(sdk), ctx)
    right = HopsworksFeatureGroup(labels_group(sdk), ctx)
    with pytest.raises(SchemaError, match=r"\['sepal_length'\]"):
        left.select_all().join(right.select_all())
    joined = left.select_all().join(right.select(["sepal_length", "source"]), prefix="r_")
    assert [f.name for f in joined.features] == [
        "flower_id", "ts", "sepal_length", "variety", "r_sepal_length", "r_source"]
    built = joined.as_of("2024-01-01").to_sdk()  # type: ignore[attr-defined]
    assert built.joins[0].query.left_feature_group_end_time == 1704067200000
    assert built.joins[0].to_dict()["type"] == "LEFT"


def test_select_keeps_the_key_columns_as_the_local_store_does(sdk: SimpleNamespace,
                                                                ctx: Context) -> None:
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    built = fg.select(["Variety"]).to_sdk()  # type: ignore[attr-defined]
    assert [f.name for f in built.features] == ["flower_id", "ts", "variety"]
    assert [f.name for f in fg.select_except(["variety", "ts"]).features] == [
        "flower_id", "ts", "sepal_length"]


def test_unknown_features_are_not_found(sdk: SimpleNamespace, ctx: Context) -> None:
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    with pytest.raises(NotFoundError, match="'petal_colour'"):
        fg.select(["petal_colour"])
    with pytest.raises(NotFoundError, match="'petal_colour'"):
        fg.select_all().filter(Filter("petal_colour", "==", 1))


def test_query_read_passes_real_keywords(sdk: SimpleNamespace, ctx: Context,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy(monkeypatch, sdk.query.Query, "read", result=pd.DataFrame({"a": [1]}))
    fg = HopsworksFeatureGroup(iris_group(sdk), ctx)
    assert fg.select_all().read(online=True).equals(pd.DataFrame({"a": [1]}))
    assert calls.last[1] == {"online": True, "dataframe_type": "pandas", "read_options": None}
