"""Concurrency: parallel writers, racing daily runs, and a dashboard reading during writes.

Every writer is a real process (``rel_child.py`` or the ``mlsys`` CLI) on one store, started
together behind a barrier file so their writes overlap.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from rel_support import child_env, finish, line_value, spawn, tree_digest, wait_all

import mlsys
from mlsys.systems import get_system
from mlsys.systems.base import day_start


def _go(procs: list[subprocess.Popen[str]], go_file: Path) -> None:
    """Release the barrier once every child is up (so all of them start writing together)."""
    time.sleep(0.2)
    assert all(p.poll() is None for p in procs), "a child died before the barrier"
    go_file.touch()


def check_batches(df: pd.DataFrame, context: str) -> dict[str, int]:
    """Every batch seen is complete (all its rows, one generation); batch -> generation."""
    if df.empty:
        return {}
    g = df.groupby("batch")
    counts, sizes, gens = g["id"].count(), g["size"].max(), g["gen"].nunique()
    partial = counts[counts != sizes]
    assert partial.empty, f"{context}: partial batches {dict(partial)} (sizes {dict(sizes)})"
    mixed = gens[gens != 1]
    assert mixed.empty, f"{context}: batches half-upserted (several generations): {dict(mixed)}"
    return {str(k): int(v) for k, v in g["gen"].max().items()}


# --------------------------------------------------------------------------- parallel inserts


@pytest.mark.parametrize("inserts", [
    pytest.param(8, id="4x8"),
    pytest.param(50, id="4x50", marks=pytest.mark.slow),
])
def test_parallel_inserts_of_distinct_keys_all_land(tmp_path: Path, inserts: int) -> None:
    home, workers, size = tmp_path / "store", 4, 5
    fs = mlsys.login(home=home).get_feature_store()
    fs.get_or_create_feature_group("many", 1, primary_key=["id"], event_time="ts",
                                   online_enabled=True)  # no schema yet: the first insert races
    go = tmp_path / "go"
    procs = [spawn("batches", home=str(home), group="many", worker=w, count=inserts, size=size,
                   go_file=str(go)) for w in range(workers)]
    _go(procs, go)
    wait_all(procs)

    fg = fs.get_feature_group("many", 1)
    rows = fg.read()
    expected = {w * 1_000_000 + i for w in range(workers) for i in range(inserts * size)}
    assert set(rows["id"]) == expected and len(rows) == len(expected)
    assert len(check_batches(rows, "after the writers")) == workers * inserts
    assert len(fg.commit_details()) == workers * inserts  # one commit per insert, none lost
    assert set(fg.read(online=True)["id"]) == expected


# --------------------------------------------------------------------------- daily races


def _rows_of_day(home: Path, day: date) -> int:
    system = get_system("iris")
    fg = mlsys.login(home=home).get_feature_store().get_feature_group(system.feature_group,
                                                                     system.version)
    rows = fg.read()
    times = pd.to_datetime(rows[system.event_time], utc=True)
    return int((times == pd.Timestamp(day_start(day))).sum())


def _daily_race(home: Path, day: date, go: Path) -> None:
    procs = [spawn("daily", home=str(home), system="iris", day=day.isoformat(),
                   go_file=str(go)) for _ in range(2)]
    _go(procs, go)
    wait_all(procs)
    go.unlink()


def _cli_race(home: Path, day: date) -> None:
    env = child_env({"MLSYS_HOME": str(home), "MLSYS_BACKEND": "local"})
    cmd = [sys.executable, "-m", "mlsys.cli", "daily", "iris", "--date", day.isoformat()]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for p in procs:
        out, _ = finish(p)
        assert "iris:" in out


def test_two_daily_runs_for_the_same_day_write_one_row(tmp_path: Path) -> None:
    """Two library runs behind a barrier, on an empty store (so the first insert races too)."""
    home, day = tmp_path / "store", date(2026, 3, 1)
    _daily_race(home, day, tmp_path / "go")
    assert _rows_of_day(home, day) == 1


@pytest.mark.slow
def test_daily_races_soak(tmp_path: Path) -> None:
    """Six rounds: two library runs, then two ``mlsys daily`` CLI processes, for a new day."""
    home, go = tmp_path / "store", tmp_path / "go"
    first = date(2026, 3, 1)
    for r in range(6):
        day = first + timedelta(days=2 * r)
        _daily_race(home, day, go)
        assert _rows_of_day(home, day) == 1, f"library race, round {r}"
        _cli_race(home, day + timedelta(days=1))
        assert _rows_of_day(home, day + timedelta(days=1)) == 1, f"CLI race, round {r}"
    assert _rows_of_day(home, first) == 1  # later rounds did not touch earlier days


# --------------------------------------------------------------------------- reader during writes


@pytest.mark.parametrize("writes", [
    pytest.param(40, id="40-writes"),
    pytest.param(400, id="400-writes", marks=pytest.mark.slow),
])
def test_reader_during_writes_never_sees_a_partial_insert(tmp_path: Path, writes: int) -> None:
    home = tmp_path / "store"
    fs = mlsys.login(home=home).get_feature_store()
    fg = fs.get_or_create_feature_group("dash", 1, primary_key=["id"], event_time="ts",
                                        online_enabled=True)
    writer = spawn("writer", home=str(home), group="dash", count=writes, seed=7)
    seen: dict[str, int] = {}
    reads = 0
    while writer.poll() is None:
        online = reads % 3 == 2
        df = fg.read(online=online)
        now = check_batches(df, f"read {reads} ({'online' if online else 'offline'})")
        lost = {b for b in seen if b not in now}
        assert not lost, f"read {reads}: batches {lost} vanished"
        went_back = {b for b, g in now.items() if g < seen.get(b, 0)}
        assert not went_back, f"read {reads}: batches {went_back} went back a generation"
        seen, reads = now, reads + 1
    out, _ = finish(writer)
    assert reads >= 5, f"only {reads} reads overlapped the writer"

    final: dict[str, int] = {}
    for line in out.splitlines():
        if line.startswith("WROTE"):
            _, _, batch, gen = line.split()
            final[batch] = int(gen)
    assert check_batches(fg.read(), "final offline") == final
    assert check_batches(fg.read(online=True), "final online") == final


# --------------------------------------------------------------------------- registry and files


def test_parallel_model_saves_get_distinct_complete_versions(tmp_path: Path) -> None:
    home, go = tmp_path / "store", tmp_path / "go"
    sources = []
    for w in range(3):
        src = tmp_path / f"src-{w}"
        src.mkdir()
        (src / "model.pkl").write_bytes(bytes([w]) * 200_000)
        sources.append(src)
    mlsys.login(home=home)  # create the catalog before the race
    procs = [spawn("save_model", home=str(home), name="raced", src=str(src), count=4,
                   go_file=str(go)) for src in sources]
    _go(procs, go)
    claimed = [line_value(out, "DONE").split()[1:] for out in wait_all(procs)]
    flat = [v for vs in claimed for v in vs]
    assert sorted(flat, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(1, 13)]
    mr = mlsys.login(home=home).get_model_registry()
    assert [m.version for m in mr.get_models("raced")] == list(range(1, 13))
    for w, versions in enumerate(claimed):  # each version holds the files its saver gave it
        for v in versions:
            got = tree_digest(Path(mr.get_model("raced", int(v[1:])).download()))
            assert got == tree_digest(sources[w]), f"{v} of saver {w}"


def test_parallel_uploads_to_one_path_leave_one_whole_upload(tmp_path: Path) -> None:
    home, go = tmp_path / "store", tmp_path / "go"
    contents = {}
    for w in range(3):
        src = tmp_path / f"w{w}" / "shared.bin"
        src.parent.mkdir()
        src.write_bytes(bytes([w + 1]) * 3_000_000)
        contents[w] = src
    mlsys.login(home=home)
    procs = [spawn("upload", home=str(home), src=str(src), dest="Resources", overwrite=True,
                   count=5, go_file=str(go)) for src in contents.values()]
    _go(procs, go)
    wait_all(procs)
    ds = mlsys.login(home=home).get_dataset_api()
    assert ds.list("Resources") == ["Resources/shared.bin"]
    data = ds.read_bytes("Resources/shared.bin")
    assert data in {p.read_bytes() for p in contents.values()}, "a mixed or partial file"
