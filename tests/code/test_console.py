"""The console's pages over a real local store, through Starlette's TestClient (no browser)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_store import HOSTILE, MODEL, ConsoleStore, build
from starlette.testclient import TestClient

import mlsys
from mlsys.console import build_console


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ConsoleStore:
    return build(tmp_path_factory.mktemp("console") / "store")


@pytest.fixture
def client(store: ConsoleStore) -> Iterator[TestClient]:
    with (mlsys.login(backend="local", home=store.home, create=False) as project,
          TestClient(build_console(project)) as c):
        yield c


def text(html: str) -> str:
    """The page's text without tags (entities left as they are)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("path", ["/groups", "/groups/items/1", "/groups/items/1/stats",
                                  "/views", "/views/items_view/1", "/models",
                                  f"/models/{MODEL}/1", "/monitoring"])
def test_every_page_renders_and_no_stored_text_becomes_markup(client: TestClient,
                                                              path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "<script" not in r.text  # the hostile label and descriptions are shown as text


def test_the_group_list_shows_rows_keys_and_the_last_commit(client: TestClient) -> None:
    row = text(client.get("/groups").text)
    assert re.search(r"items 1 71 id ts no \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row), row


def test_the_group_page_shows_schema_suite_and_the_failed_validation(client: TestClient) -> None:
    page = client.get("/groups/items/1").text
    assert html.escape(HOSTILE, quote=True) in page  # escaped, so shown as text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    shown = text(page)
    assert "id bigint primary key" in shown and "ts timestamp event time" in shown
    assert "x_in_range" in shown and "ALWAYS" in shown
    validations = shown.split("Validation history", 1)[1]
    assert "INGESTED FAILED 1 expect_column_values_to_be_between on x" in validations
    assert "999" in validations  # the observed, unexpected value
    assert validations.count("passed") == 2  # the first two inserts passed


def test_rows_page_on_the_server(client: TestClient) -> None:
    first = text(client.get("/groups/items/1").text)
    assert "rows 1–50 of 71" in first and "next »" in first
    last = client.get("/groups/items/1?page=1").text
    assert "rows 51–71 of 71" in text(last) and 'rel="prev"' in last and 'rel="next"' not in last
    table = last.split('id="data"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 21  # the header and rows 51-71 only


def test_time_travel_shows_the_rows_of_an_older_commit(client: TestClient,
                                                       store: ConsoleStore) -> None:
    old = text(client.get(f"/groups/items/1?commit={store.first_commit}&page=1").text)
    assert "Rows at the commit" in old and "rows 51–60 of 60" in old
    assert "999" not in old.split("Rows at the", 1)[1].split("Commits", 1)[0]
    stats = text(client.get(f"/groups/items/1/stats?commit={store.first_commit}").text)
    assert "60 rows at the commit" in stats


def test_statistics_describe_every_feature(client: TestClient) -> None:
    shown = text(client.get("/groups/items/1/stats").text)
    assert "71 rows at the latest commit" in shown
    for feature in ("id (bigint)", "x (double)", "label (string)"):
        assert feature in shown
    assert re.search(r"count missing distinct min max mean std 71 0 3 1\.0 999\.0", shown), shown


def test_the_view_lists_its_training_dataset_and_the_models_trained_on_it(
        client: TestClient) -> None:
    shown = text(client.get("/views/items_view/1").text)
    assert "label string label" in shown
    assert re.search(r"1 [\d-]+ [\d:]+ UTC train 75% / test 25% 7 71 all rows", shown), shown
    for v in (1, 2, 3):
        assert f"{MODEL} v{v}" in shown


def test_the_served_model_is_marked_beside_its_baseline(client: TestClient) -> None:
    page = client.get(f"/models/{MODEL}/1").text
    versions = page.split('id="versions"', 1)[1].split("</table>", 1)[0]
    rows = versions.split("<tr>")[2:]
    assert ["SERVED" in r for r in rows] == [False, True, False]
    assert "macro F1 0.800 (majority-class baseline 0.300)" in text(rows[1])
    assert f"{MODEL} v1, v2, v3 v2 (best macro_f1)" in text(client.get("/models").text)


def test_artefacts_are_verified_and_images_shown_inline(client: TestClient) -> None:
    page = client.get(f"/models/{MODEL}/2").text
    assert "sha256 verified" in page
    src = f"/models/{MODEL}/2/files/confusion_matrix.png"
    assert f'<img src="{src}"' in page
    image = client.get(src)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    other = client.get(f"/models/{MODEL}/2/files/model.pkl")
    assert other.status_code == 200 and "attachment" in other.headers["content-disposition"]


@pytest.mark.parametrize("path", ["%2e%2e/%2e%2e/catalog.db", "..%2F..%2Fcatalog.db",
                                  "nothing.txt", "/etc/passwd"])
def test_only_the_models_own_files_are_served(client: TestClient, path: str) -> None:
    r = client.get(f"/models/{MODEL}/2/files/{path}")
    assert r.status_code == 404
    assert "confusion_matrix.png" in r.text  # the message lists what exists


def test_a_tampered_artefact_is_shown_as_failed_verification(tmp_path: Path) -> None:
    store = build(tmp_path / "store")
    with mlsys.login(backend="local", home=store.home, create=False) as project:
        model = project.get_model_registry().get_model(MODEL, 1)
        (Path(model.model_files_path) / "model.pkl").write_bytes(b"changed")
        with TestClient(build_console(project)) as client:
            page = client.get(f"/models/{MODEL}/1").text
            assert "sha256 verification FAILED" in page and "model.pkl" in page
            assert client.get(f"/models/{MODEL}/1/files/model.pkl").status_code == 404


def test_monitoring_links_the_systems_groups_and_pictures(client: TestClient) -> None:
    page = client.get("/monitoring").text
    assert "mlsys serve iris-dashboard" in page
    assert 'src="/images/iris_accuracy.png"' in page
    assert client.get("/images/iris_accuracy.png").content.startswith(b"\x89PNG")
    assert client.get("/images/..%2Fcatalog.db").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/groups/items/1", "/groups", f"/models/{MODEL}/1",
                                  "/anything"])
def test_nothing_can_write(client: TestClient, store: ConsoleStore, method: str,
                           path: str) -> None:
    before = client.get("/groups/items/1").text.count("<tr>")
    r = client.request(method, path, content=b"id=1")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert client.get("/groups/items/1").text.count("<tr>") == before


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/groups/items/1?commit=abc", 400, "commit &#x27;abc&#x27; is not a whole number"),
    ("/groups/items/1?page=-1", 400, "page -1 is negative"),
    ("/groups/items/1?commit=9999", 404, "commit of feature group items v1"),
    ("/groups/nothing/1", 404, "existing: items v1"),
    ("/views/nothing/1", 404, "items_view"),
    (f"/models/{MODEL}/9", 404, "v1"),
])
def test_bad_links_get_a_clear_page(client: TestClient, path: str, status: int,
                                    message: str) -> None:
    r = client.get(path)
    assert r.status_code == status and message in r.text, r.text


def test_cli_ui_refuses_a_busy_port_and_a_missing_store(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from typer.testing import CliRunner

    from mlsys.cli import app

    runner = CliRunner()
    monkeypatch.setenv("MLSYS_BACKEND", "local")
    monkeypatch.setenv("MLSYS_HOME", str(tmp_path / "nowhere"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = runner.invoke(app, ["ui", "--port", str(port)])
    assert r.exit_code == 2 and f"port {port}" in r.output and "--port" in r.output
    r = runner.invoke(app, ["ui", "--port", "0"])
    assert r.exit_code == 2 and "--port" in r.output
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    r = runner.invoke(app, ["ui", "--port", str(port)])
    assert r.exit_code == 2 and "no mlsys store at" in r.output, r.output
    assert not (tmp_path / "nowhere").exists()  # read-only: no empty store was made
    assert "Example: mlsys ui" in runner.invoke(app, ["ui", "--help"]).output


@pytest.mark.parametrize("values", [
    [946684800000] * 3,  # one large number, as an epoch in milliseconds
    ["2000-01-01T00:00:00Z"] * 3,  # one event time: every backfilled row has it
], ids=["number", "time"])
def test_statistics_of_a_feature_with_one_value_are_one_bin(values: list[object]) -> None:
    import pandas as pd

    from mlsys.console.stats import feature_stats

    s = pd.Series(values)
    if isinstance(values[0], str):
        s = pd.to_datetime(s, utc=True)
    stats = feature_stats("x", str(s.dtype), s)
    assert [count for _, count in stats.distribution] == [3]
