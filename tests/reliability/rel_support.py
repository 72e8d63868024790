"""Shared helpers of the reliability tests: deterministic frames, fingerprints, child processes.

The child processes (``rel_child.py``) import this module too, so a frame a child writes and the
frame the test expects are built by the same function from the same seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CHILD = HERE / "rel_child.py"
COLUMNS = ["id", "gen", "x", "s"]
SCHEMA = [("id", "bigint"), ("gen", "bigint"), ("x", "double"), ("s", "string")]
# A suite every make_frame() frame passes: cheap, so validation is part of every insert.
SUITE = {
    "name": "crash_suite",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "x", "min_value": 0.0, "max_value": 1.0}},
    ],
}


def make_frame(start: int, n: int, gen: int, seed: int) -> pd.DataFrame:
    """``n`` rows, ids ``start..start+n-1``, all of generation ``gen``; same seed, same frame."""
    rng = np.random.default_rng(seed)
    ids = np.arange(start, start + n, dtype="int64")
    return pd.DataFrame({
        "id": ids,
        "gen": np.full(n, gen, dtype="int64"),
        "x": rng.random(n),
        "s": pd.Series(ids).map("r{}".format).astype("str"),
    })


def upsert(before: pd.DataFrame, frame: pd.DataFrame, key: str = "id") -> pd.DataFrame:
    """What an upsert of ``frame`` into ``before`` must leave (the contract's MERGE)."""
    if key not in before.columns:  # an empty group reads as a frame without columns
        return frame.reset_index(drop=True)
    kept = before[~before[key].isin(frame[key])]
    return pd.concat([kept, frame], ignore_index=True)


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` in a fixed column order and row order, with fixed dtypes, for comparisons."""
    if df.empty and not len(df.columns):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(COLUMNS, ["int64", "int64", "float64", "str"], strict=True)})
    out = df[COLUMNS].sort_values("id", kind="stable").reset_index(drop=True)
    return out.astype({"id": "int64", "gen": "int64", "x": "float64", "s": "str"})


def fingerprint(df: pd.DataFrame) -> str:
    """An order-independent digest of a make_frame()-shaped frame's content (rows and values)."""
    c = canonical(df)
    hashed = pd.util.hash_pandas_object(c, index=False).to_numpy()
    return f"{len(c)}:{hashlib.sha256(hashed.tobytes()).hexdigest()[:16]}"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256)."""
    return {p.relative_to(root).as_posix(): file_digest(p)
            for p in sorted(root.rglob("*")) if p.is_file()}


def all_paths(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# --------------------------------------------------------------------------- child processes


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSYS_")}
    env.update({"GX_ANALYTICS_ENABLED": "False", "GRADIO_ANALYTICS_ENABLED": "False",
                "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def spawn(command: str, env: dict[str, str] | None = None, **args: Any) -> subprocess.Popen[str]:
    """Start ``rel_child.py`` running ``command`` with ``args`` (JSON); stdout is a pipe."""
    payload = json.dumps({"command": command, **args}, default=str)
    return subprocess.Popen([sys.executable, str(CHILD), payload], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env(env))


def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float = 120.0) -> str:
    """The first stdout line of ``proc`` starting with ``prefix``; fails if it exits first."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"child exited ({proc.wait()}) before {prefix!r}: {err[-3000:]}")
        if line.startswith(prefix):
            return line.strip()
    proc.kill()
    raise AssertionError(f"child printed no {prefix!r} within {timeout} s")


def finish(proc: subprocess.Popen[str], timeout: float = 300.0) -> tuple[str, str]:
    """Wait for a child that must succeed; its stdout and stderr."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"child failed ({proc.returncode}): {err[-3000:]}"
    return out, err


def run_child(command: str, env: dict[str, str] | None = None, timeout: float = 300.0,
              **args: Any) -> tuple[str, str]:
    return finish(spawn(command, env, **args), timeout)


def line_value(out: str, prefix: str) -> str:
    for line in out.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"no {prefix!r} line in child output: {out[-2000:]}")


def wait_all(procs: Iterable[subprocess.Popen[str]], timeout: float = 600.0) -> list[str]:
    return [finish(p, timeout)[0] for p in procs]
