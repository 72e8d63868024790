"""A child process of the reliability tests: one store operation, run for real, to be killed.

Usage: ``python rel_child.py '<json>'`` with ``{"command": ..., ...}``. It prints ``READY`` just
before the operation under test and ``DONE <seconds>`` after it, so a test can kill it mid-way.

With ``REL_CRASH_AT=k`` in the environment the process SIGKILLs itself just before its k-th
file-system mutation (rename, replace, unlink, rmdir, copyfile): a crash at an exact point, with
the store's own code running unmodified. It prints ``MUTATIONS <n>`` at the end, so a test can
enumerate every crash point.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from rel_support import make_frame

_calls = 0
_armed = False  # only the operation under test counts, not imports or set-up


def _install_crash_points() -> None:
    crash_at = int(os.environ.get("REL_CRASH_AT", "0"))

    def wrap(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            global _calls
            if not _armed:
                return original(*args, **kwargs)
            _calls += 1
            if _calls == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        setattr(owner, name, counted)

    for owner, name in ((os, "rename"), (os, "replace"), (os, "unlink"), (os, "rmdir"),
                        (shutil, "copyfile")):
        wrap(owner, name)


def _wait_for(go_file: str | None) -> None:
    """A barrier: start the operation only when the test creates ``go_file``."""
    if go_file:
        while not Path(go_file).exists():
            time.sleep(0.002)


def _ready() -> float:
    global _armed
    _armed = True
    print("READY", flush=True)
    return time.monotonic()


def _done(t0: float, extra: str = "") -> None:
    global _armed
    _armed = False
    print(f"DONE {time.monotonic() - t0:.4f} {extra}".rstrip(), flush=True)


def cmd_insert(a: dict[str, Any]) -> None:
    import mlsys

    fg = mlsys.login(home=a["home"]).get_feature_store().get_feature_group(a["group"], 1)
    frame = make_frame(a["start"], a["n"], a["gen"], a["seed"])
    if fg.get_expectation_suite() is not None:
        fg.validate(frame.head(5))  # warm GE up now, so the kill window is the insert itself
    print("LOADED", flush=True)
    _wait_for(a.get("go_file"))
    t0 = _ready()
    fg.insert(frame, overwrite=bool(a.get("overwrite")))
    _done(t0)


def cmd_batches(a: dict[str, Any]) -> None:
    """``count`` inserts of ``size`` new rows each, keyed by worker so no two workers clash."""
    import pandas as pd

    import mlsys

    fg = mlsys.login(home=a["home"]).get_feature_store().get_feature_group(a["group"], 1)
    w, size = int(a["worker"]), int(a["size"])
    _wait_for(a.get("go_file"))
    t0 = _ready()
    for i in range(int(a["count"])):
        ids = [w * 1_000_000 + i * size + j for j in range(size)]
        fg.insert(pd.DataFrame({
            "id": ids, "ts": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(ids, "s"),
            "batch": f"w{w}-{i}", "size": size, "gen": 0,
        }))
    _done(t0)


def cmd_writer(a: dict[str, Any]) -> None:
    """New batches of random size, and upserts that move a whole batch to its next generation."""
    import numpy as np
    import pandas as pd

    import mlsys

    fg = mlsys.login(home=a["home"]).get_feature_store().get_feature_group(a["group"], 1)
    rng = np.random.default_rng(a["seed"])
    batches: list[tuple[list[int], int]] = []
    next_id = 0
    t0 = _ready()
    for i in range(int(a["count"])):
        if batches and rng.random() < 0.4:
            b = int(rng.integers(len(batches)))
            ids, gen = batches[b]
            batches[b] = (ids, gen + 1)
            name, gen = f"b{b}", gen + 1
        else:
            size = int(rng.integers(1, 400))
            ids = list(range(next_id, next_id + size))
            next_id += size
            batches.append((ids, 0))
            name, gen = f"b{len(batches) - 1}", 0
        fg.insert(pd.DataFrame({
            "id": ids, "ts": pd.Timestamp("2026-01-01", tz="UTC"), "batch": name,
            "size": len(ids), "gen": gen, "x": rng.random(len(ids)),
        }))
        print(f"WROTE {i} {name} {gen}", flush=True)
    _done(t0)


def cmd_save_model(a: dict[str, Any]) -> None:
    import mlsys

    mr = mlsys.login(home=a["home"]).get_model_registry()
    _wait_for(a.get("go_file"))
    t0 = _ready()
    versions = []
    for _ in range(int(a.get("count", 1))):
        model = mr.python.create_model(a["name"], metrics=a.get("metrics") or {"score": 1.0})
        model.save(a["src"])
        versions.append(f"v{model.version}")
    _done(t0, " ".join(versions))


def cmd_upload(a: dict[str, Any]) -> None:
    import mlsys

    ds = mlsys.login(home=a["home"]).get_dataset_api()
    _wait_for(a.get("go_file"))
    t0 = _ready()
    for _ in range(int(a.get("count", 1))):
        ds.upload(a["src"], a["dest"], overwrite=bool(a.get("overwrite")))
    _done(t0)


def cmd_daily(a: dict[str, Any]) -> None:
    import mlsys
    from mlsys.pipelines.daily import daily
    from mlsys.systems import get_system

    project = mlsys.login(home=a["home"])
    system = get_system(a["system"])
    _wait_for(a.get("go_file"))
    t0 = _ready()
    r = daily(project, system, day=date.fromisoformat(a["day"]))
    _done(t0, f"added={len(r.added)}")


def cmd_delete(a: dict[str, Any]) -> None:
    """``fg.delete()`` of a group (``force`` when views use it)."""
    import mlsys

    fg = mlsys.login(home=a["home"]).get_feature_store().get_feature_group(a["group"], 1)
    t0 = _ready()
    fg.delete(**({"force": True} if a.get("force") else {}))
    _done(t0)


COMMANDS = {"insert": cmd_insert, "delete": cmd_delete, "batches": cmd_batches,
            "writer": cmd_writer, "save_model": cmd_save_model, "upload": cmd_upload,
            "daily": cmd_daily}


def main() -> None:
    args = json.loads(sys.argv[1])
    _install_crash_points()
    COMMANDS[args["command"]](args)
    print(f"MUTATIONS {_calls}", flush=True)


if __name__ == "__main__":
    main()
