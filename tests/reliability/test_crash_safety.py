"""Crash safety of feature-group writes: a child process killed with SIGKILL mid-insert.

Each trial copies a prepared store, starts a real child process that inserts (creates, appends,
upserts or overwrites) a frame, and SIGKILLs it at a random moment. Afterwards the group must
read as exactly its before- or its after-state (compared with frames the test holds), the
catalog must agree with the table (schema, commit history, one INGESTED report per data
commit, the online store), and the next insert must work.

The default run makes a few trials with small frames; ``-m slow`` makes 24 with 1M rows.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from rel_support import SCHEMA, SUITE, fingerprint, make_frame, spawn, upsert, wait_for_line

import mlsys

GROUP = "crash"


@dataclass(frozen=True)
class Scenario:
    """A prepared store and the two states a killed write may leave it in."""

    mode: str
    template: Path
    frame_args: dict[str, int]
    overwrite: bool
    before: pd.DataFrame
    after: pd.DataFrame
    commits_before: int
    operation: str

    @property
    def rows_written(self) -> int:
        return self.frame_args["n"]


def prepare(root: Path, mode: str, n: int) -> Scenario:
    """A store holding group ``crash`` (online, with an ALWAYS suite) in its before-state."""
    home = root / f"template-{mode}"
    fg = mlsys.login(home=home).get_feature_store().get_or_create_feature_group(
        GROUP, 1, primary_key=["id"], online_enabled=True)
    fg.save_expectation_suite(SUITE, validation_ingestion_policy="always")
    base = make_frame(0, n, 0, seed=1)
    before = base.iloc[0:0]
    if mode != "create":
        fg.insert(base)
        before = base
    args = {"create": dict(start=0, n=n, gen=1, seed=11),
            "append": dict(start=n, n=n, gen=1, seed=12),
            "upsert": dict(start=n // 2, n=n, gen=1, seed=13),
            "overwrite": dict(start=n // 4, n=n // 2, gen=1, seed=14)}[mode]
    frame = make_frame(**args)
    after = frame if mode in ("create", "overwrite") else upsert(before, frame)
    op = {"create": "INSERT", "overwrite": "OVERWRITE"}.get(mode, "UPSERT")
    return Scenario(mode, home, args, mode == "overwrite", before, after,
                    len(fg.commit_details()), op)


def start_writer(s: Scenario, home: Path, go_file: Path | None = None) -> subprocess.Popen[str]:
    """A child inserting the scenario's frame into a copy of its store at ``home``; it starts
    at once, or (given ``go_file``) when the test creates that file."""
    shutil.copytree(s.template, home)
    proc = spawn("insert", home=str(home), group=GROUP, overwrite=s.overwrite,
                 go_file=str(go_file) if go_file else None, **s.frame_args)
    wait_for_line(proc, "READY" if go_file is None else "LOADED")
    return proc


def kill(proc: subprocess.Popen[str], delay: float | None = 0.0) -> tuple[bool, str]:
    """SIGKILL ``proc`` after ``delay`` s if it still runs (``None``: let it finish).

    Returns whether it was killed (rather than finishing on its own) and its stdout.
    """
    if delay is None:
        proc.wait(timeout=300)
    elif delay > 0:
        time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"writer failed by itself ({proc.returncode}): {err[-3000:]}")
    return proc.returncode == -signal.SIGKILL, out


def check_consistent(home: Path, s: Scenario, context: str) -> str:
    """The group is in its before- or after-state, everywhere; returns which."""
    project = mlsys.login(home=home)
    fg = project.get_feature_store().get_feature_group(GROUP, 1)
    rows = fg.read()
    states = {fingerprint(s.before): "before", fingerprint(s.after): "after"}
    got = fingerprint(rows)
    assert got in states, (f"{context}: the group holds {len(rows)} rows that are neither the "
                           f"before ({len(s.before)}) nor the after ({len(s.after)}) state")
    state = states[got]

    # The catalog's schema is the table's, and is fixed exactly when there is data.
    features = [(f.name, f.type) for f in fg.features]
    assert features == ([] if rows.empty else SCHEMA), f"{context}: catalog schema {features}"

    # Commit history: one commit more in the after-state, describing exactly this write.
    commits = fg.commit_details()
    expected = s.commits_before + (state == "after")
    assert len(commits) == expected, f"{context}: {len(commits)} commits, expected {expected}"
    if state == "after":
        newest = commits[max(commits)]
        assert newest["operation"] == s.operation, f"{context}: newest commit {newest}"
        assert newest["rows_inserted"] + newest["rows_updated"] == s.rows_written, \
            f"{context}: newest commit {newest} does not describe the {s.rows_written}-row write"

    # ALWAYS policy: every data commit has its INGESTED report, and no other report exists.
    reports = fg.get_all_validation_reports()
    ingested = [r for r in reports if r.ingestion_result == "INGESTED"]
    assert len(ingested) == len(reports) == len(commits), (
        f"{context} ({state}-state): {len(commits)} data commit(s) but {len(ingested)} INGESTED "
        f"report(s) of {len(reports)}; a write's report was lost or invented")
    if state == "after":
        assert ingested[0].row_count == s.rows_written, f"{context}: newest report {ingested[0]}"

    # The online store serves exactly the offline rows (rebuilt if the crash left it behind).
    assert fingerprint(fg.read(online=True)) == got, f"{context}: online store differs"

    # The next insert works and lands.
    extra = make_frame(50_000_000, 7, 9, seed=99)
    job, report = fg.insert(extra)
    assert job.rows == 7 and report is not None and report.success
    assert fingerprint(fg.read()) == fingerprint(upsert(rows, extra)), f"{context}: next insert"
    assert len(fg.commit_details()) == expected + 1
    project.close()
    return state


def soak(tmp_path: Path, mode: str, n: int, trials: int) -> list[tuple[str, bool, float]]:
    """One uninterrupted run (to time the write), then ``trials`` randomly killed ones."""
    s = prepare(tmp_path, mode, n)
    killed, out = kill(start_writer(s, tmp_path / "calibration"), None)
    assert not killed
    duration = float(next(x for x in out.splitlines() if x.startswith("DONE")).split()[1])
    assert check_consistent(tmp_path / "calibration", s, f"{mode}: uninterrupted") == "after"

    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    outcomes, failures = [], []
    for i in range(trials):  # every trial runs; the failures are reported together
        delay = rng.uniform(0.0, duration * 1.15)
        home = tmp_path / f"trial-{i}"
        killed, _ = kill(start_writer(s, home), delay)
        context = f"{mode} trial {i} (seed {seed}, killed {killed} after {delay:.3f} s)"
        try:
            outcomes.append((check_consistent(home, s, context), killed, delay))
        except AssertionError as err:
            failures.append(str(err).splitlines()[0])
        shutil.rmtree(home)
    assert not failures, f"{len(failures)} of {trials} trials broke a promise:\n" + \
        "\n".join(failures)
    return outcomes


# --------------------------------------------------------------------------- default run


def test_killed_inserts_leave_before_or_after_state(tmp_path: Path) -> None:
    """Three writers (create, upsert, overwrite) started together, each killed at random."""
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    scenarios = [prepare(tmp_path, mode, 60_000) for mode in ("create", "upsert", "overwrite")]
    go = tmp_path / "go"
    procs = [start_writer(s, tmp_path / f"trial-{s.mode}", go) for s in scenarios]
    delays = [rng.uniform(0.0, 0.3) for _ in procs]  # a 60,000-row insert takes ~0.1-0.4 s
    go.touch()  # all three inserts start now; each child is killed at its own moment
    start = time.monotonic()
    for i in sorted(range(len(procs)), key=delays.__getitem__):
        time.sleep(max(0.0, start + delays[i] - time.monotonic()))
        if procs[i].poll() is None:
            procs[i].send_signal(signal.SIGKILL)
    for s, proc, delay in zip(scenarios, procs, delays, strict=True):
        killed, _ = kill(proc, None)
        context = f"{s.mode} (seed {seed}, killed {killed} after {delay:.3f} s)"
        assert check_consistent(tmp_path / f"trial-{s.mode}", s, context) in ("before", "after")


def test_kill_right_after_the_data_commit_keeps_the_catalog_in_step(tmp_path: Path) -> None:
    """The hardest moment: the Delta commit has landed, the catalog/online work has not."""
    s = prepare(tmp_path, "upsert", 150_000)
    home = tmp_path / "trial"
    log = home / "mlsys" / "feature_store" / f"{GROUP}_1" / "_delta_log"
    next_commit = log / f"{s.commits_before:020d}.json"
    proc = start_writer(s, home)
    deadline = time.monotonic() + 120
    while not next_commit.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.0005)
    assert kill(proc)[0], "the writer finished before the kill; the test needs a bigger frame"
    assert check_consistent(home, s, "killed just after its Delta commit") == "after"


# --------------------------------------------------------------------------- soak (slow)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["create", "append", "upsert", "overwrite"])
def test_killed_1m_row_writes_soak(tmp_path: Path, mode: str) -> None:
    outcomes = soak(tmp_path, mode, n=1_000_000, trials=6)
    killed = [o for o in outcomes if o[1]]
    print(f"{mode}: {[(st, round(d, 2)) for st, _, d in outcomes]}")
    assert killed, "no trial was killed mid-write; the delays are too long"
