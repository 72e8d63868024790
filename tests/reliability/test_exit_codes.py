"""A finished command exits with its own code, even when a native thread is busy at exit.

The abort seen under load (``terminate called without an active exception`` /
``Fatal Python error: PyGILState_Release``, exit 134, after the result was printed) comes from
pyarrow worker threads that still touch Python while the interpreter finalizes. The first test
makes that happen on purpose: a pyarrow dataset scan through a Python filesystem handler keeps
Arrow's pool threads calling into Python while ``mlsys`` finishes a real command; the process
must exit with the command's code (0, 1 or 2) and have printed its output, never 134 or hang.
The others run the CLI repeatedly and check every exit code (the long run is ``slow``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("mlsys")

# A child that runs mlsys.cli.main() while Arrow's threads are scanning through Python code.
BUSY_AT_EXIT = textwrap.dedent("""
    import sys, threading, time
    import pyarrow as pa, pyarrow.dataset as ds, pyarrow.parquet as pq
    from pyarrow.fs import FileSystemHandler, LocalFileSystem, PyFileSystem

    folder = sys.argv[1]
    for i in range(8):
        pq.write_table(pa.table({"a": list(range(1000))}), f"{folder}/f{i}.parquet")
    local = LocalFileSystem()

    class Slow(FileSystemHandler):  # every open runs Python on an Arrow I/O thread
        def get_type_name(self): return "slow"
        def normalize_path(self, path): return path
        def get_file_info(self, paths): return local.get_file_info(paths)
        def get_file_info_selector(self, selector): return local.get_file_info(selector)
        def open_input_file(self, path):
            time.sleep(0.02)
            return local.open_input_file(path)
        def open_input_stream(self, path): return local.open_input_stream(path)
        def __eq__(self, other): return self is other
        def __ne__(self, other): return self is not other
        def create_dir(self, *a): raise NotImplementedError
        def delete_dir(self, *a): raise NotImplementedError
        def delete_dir_contents(self, *a): raise NotImplementedError
        def delete_root_dir_contents(self): raise NotImplementedError
        def delete_file(self, *a): raise NotImplementedError
        def move(self, *a): raise NotImplementedError
        def copy_file(self, *a): raise NotImplementedError
        def open_output_stream(self, *a): raise NotImplementedError
        def open_append_stream(self, *a): raise NotImplementedError

    fs = PyFileSystem(Slow())

    def scan():
        while True:
            ds.dataset(folder, filesystem=fs, format="parquet").to_table(use_threads=True)

    threading.Thread(target=scan, daemon=True).start()
    time.sleep(0.3)
    sys.argv = ["mlsys", *sys.argv[2:]]
    from mlsys.cli import main
    main()
""")


def _env(home: Path) -> dict[str, str]:
    return {"MLSYS_HOME": str(home), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "False",
            "PYTHONFAULTHANDLER": "0"}


@pytest.mark.parametrize("args,code,says", [
    (["status"], 0, "project mlsys (local)"),
    (["daily", "iris", "--date", "1999-12-31"], 2, "not after 2000-01-01"),
    (["gc"], 0, "time travel kept"),
])
def test_a_native_thread_busy_at_exit_does_not_change_the_exit_code(
        tmp_path: Path, args: list[str], code: int, says: str) -> None:
    script = tmp_path / "busy.py"
    script.write_text(BUSY_AT_EXIT)
    data = tmp_path / "data"
    data.mkdir()
    import mlsys

    mlsys.login(home=tmp_path / "store")  # read-only verbs (status) refuse a missing store
    for attempt in range(3):  # the race needs no luck, but a few runs show it is not luck
        run = subprocess.run([sys.executable, str(script), str(data), *args],
                             env=_env(tmp_path / "store"), capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == code, (attempt, run.returncode, run.stderr[-2000:])
        assert says in run.stdout + run.stderr
        assert "Fatal Python error" not in run.stderr and "terminate called" not in run.stderr


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], env=_env(home), capture_output=True, text=True,
                          timeout=300)


def _repeat(home: Path, runs: int, parallel: int) -> list[tuple[str, int, str]]:
    """``runs`` CLI calls (daily on distinct days, status, a refused date), ``parallel`` at a
    time; (what, exit code, stderr tail) of each."""
    calls: list[tuple[tuple[str, ...], int]] = []
    for i in range(runs):
        calls.append((("daily", "iris", "--date", f"2026-01-{1 + i % 28:02d}"), 0))
        calls.append((("status",), 0))
        calls.append((("daily", "iris", "--date", "1999-01-01"), 2))

    def one(call: tuple[tuple[str, ...], int]) -> tuple[str, int, str]:
        run = _cli(home, *call[0])
        return " ".join(call[0]), run.returncode, run.stderr[-500:]

    with ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(one, calls))
    expected = [c[1] for c in calls]
    return [(w, got, err) for (w, got, err), want in zip(results, expected, strict=True)
            if got != want]


def test_the_cli_exits_with_its_own_code_every_time(tmp_path: Path) -> None:
    home = tmp_path / "store"
    assert _cli(home, "backfill", "iris").returncode == 0
    assert _repeat(home, runs=3, parallel=2) == []


@pytest.mark.slow
def test_the_cli_exits_with_its_own_code_under_load(tmp_path: Path) -> None:
    home = tmp_path / "store"
    assert _cli(home, "backfill", "iris").returncode == 0
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)]
    try:
        assert _repeat(home, runs=20, parallel=4) == []
    finally:
        for h in hogs:
            h.kill()
            h.wait()
