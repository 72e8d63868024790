"""Real processes: concurrent writers lose nothing, readers see whole commits, crashes leave
no trace. Local backend (these tests start processes against one store directory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

import mlsys

CHUNK = 200

# A writer process: waits for the "go" file, then inserts `count` chunks of its own keys.
WRITER = """
import sys, time, pathlib
import numpy as np, pandas as pd
import mlsys
home, first, count, chunk, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \\
    int(sys.argv[4]), pathlib.Path(sys.argv[5])
fg = mlsys.login(home=home).get_feature_store().get_feature_group("shared", 1)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
for k in range(count):
    ids = np.arange(first + k * chunk, first + (k + 1) * chunk)
    fg.insert(pd.DataFrame({"id": ids, "ts": pd.Timestamp("2024-01-01", tz="UTC"),
                            "x": ids * 0.5}))
    print("inserted", k, flush=True)
"""


def _group(home: Path, online: bool = False) -> mlsys.store.api.FeatureGroup:
    project = mlsys.login(backend="local", home=home)
    return project.get_feature_store().get_or_create_feature_group(
        "shared", 1, primary_key=["id"], event_time="ts", online_enabled=online)


def _writer(home: Path, first: int, count: int, chunk: int, go: Path,
            output: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(home), str(first), str(count),
                             str(chunk), str(go)],
                            stdout=subprocess.PIPE if output else subprocess.DEVNULL, text=True)


def test_two_processes_insert_distinct_keys_and_nothing_is_lost(tmp_path: Path) -> None:
    home, go = tmp_path / "store", tmp_path / "go"
    fg = _group(home)
    fg.insert(pd.DataFrame({"id": [-1], "ts": pd.Timestamp("2024-01-01", tz="UTC"),
                            "x": [0.0]}))
    count = 10
    procs = [_writer(home, first, count, CHUNK, go, output=True) for first in (0, 100_000)]
    for p in procs:  # both have imported everything and wait: start them together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    seen = set()
    while any(p.poll() is None for p in procs):
        seen.add(len(fg.read()))  # a reader during the writes: whole commits only
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0 and out.count("inserted") == count
    rows = fg.read()
    expected = {-1, *range(count * CHUNK), *range(100_000, 100_000 + count * CHUNK)}
    assert set(rows["id"]) == expected and len(rows) == len(expected)
    assert all((n - 1) % CHUNK == 0 for n in seen), seen
    assert len(fg.commit_details()) == 1 + 2 * count


def test_a_killed_insert_leaves_the_table_whole(tmp_path: Path) -> None:
    home, go = tmp_path / "store", tmp_path / "go"
    fg = _group(home)
    big = 100_000
    go.touch()
    with _writer(home, 0, 50, big, go, output=True) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.stdout.readline()  # one insert has committed; kill during a later one
        time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    rows = fg.read()
    assert len(rows) > 0 and len(rows) % big == 0
    assert rows["id"].is_unique
    # the dead writer's lock is gone and the table takes new commits
    fg.insert(pd.DataFrame({"id": [-1], "ts": pd.Timestamp("2024-01-01", tz="UTC"),
                            "x": [0.0]}))
    assert len(fg.read()) == len(rows) + 1


# A writer that dies right after its Delta commit, before the online store is updated.
DIES_AFTER_COMMIT = """
import os, sys
import pandas as pd
import mlsys
from mlsys.store.local.group_online import GroupOnline
GroupOnline.after_commit = lambda *a, **k: os._exit(9)
fg = mlsys.login(home=sys.argv[1]).get_feature_store().get_feature_group("shared", 1)
fg.insert(pd.DataFrame({"id": [1, 2], "ts": pd.Timestamp("2024-01-01", tz="UTC"),
                        "x": [10.0, 2.0]}))
"""


def test_online_store_catches_up_after_a_writer_died(tmp_path: Path) -> None:
    home = tmp_path / "store"
    fg = _group(home, online=True)
    fg.insert(pd.DataFrame({"id": [1], "ts": pd.Timestamp("2024-01-01", tz="UTC"),
                            "x": [1.0]}))
    done = subprocess.run([sys.executable, "-c", DIES_AFTER_COMMIT, str(home)], check=False)
    assert done.returncode == 9
    assert sorted(fg.read()["x"]) == [2.0, 10.0]  # the Delta commit landed
    online = fg.read(online=True).sort_values("id")
    assert online["x"].tolist() == [10.0, 2.0]  # rebuilt from Delta on read
    fv = mlsys.login(home=home).get_feature_store().get_or_create_feature_view(
        "shared_view", 1, fg.select(["x"]))
    assert fv.get_feature_vector({"id": 2}) == [2.0]


# A first insert that dies after its Delta commit, before the catalog records the schema.
DIES_BEFORE_SCHEMA = """
import os, sys
import pandas as pd
import mlsys
from mlsys.store.local.feature_group import LocalFeatureGroup
LocalFeatureGroup._save_columns = lambda *a, **k: os._exit(9)
fg = mlsys.login(home=sys.argv[1]).get_feature_store().get_feature_group("shared", 1)
fg.insert(pd.DataFrame({"id": [1], "ts": pd.Timestamp("2024-01-01", tz="UTC"), "x": [1.0]}))
"""


def test_schema_is_recovered_from_delta_after_a_first_insert_died(tmp_path: Path) -> None:
    home = tmp_path / "store"
    fg = _group(home)
    done = subprocess.run([sys.executable, "-c", DIES_BEFORE_SCHEMA, str(home)], check=False)
    assert done.returncode == 9
    assert [(f.name, f.type) for f in fg.features] == [("id", "bigint"), ("ts", "timestamp"),
                                                       ("x", "double")]
    fg.insert(pd.DataFrame({"id": [2], "ts": pd.Timestamp("2024-01-02", tz="UTC"),
                            "x": [2.0]}))
    assert sorted(fg.read()["id"]) == [1, 2]
