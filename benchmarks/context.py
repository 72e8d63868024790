"""The run's shared state: sizes, repetitions, a scratch directory and data built once."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from benchmarks.data import PitFrames
    from benchmarks.harness import Case
    from mlsys.store.api import FeatureGroup, Project

# Sizes of the table at --scale 1.
BIG_ROWS = 1_000_000
UPSERT_ROWS = 10_000
PIT_ENTITY_ROWS = 100_000
BATCH_ROWS = 100_000
MIN_ROWS = 200  # below this a "table" is mostly fixed overhead


@dataclass
class Sizes:
    """Row counts of one run (the issue's sizes times ``scale``)."""

    scale: float

    def rows(self, full: int) -> int:
        return max(MIN_ROWS, round(full * self.scale))

    def samples(self, full: int) -> int:
        """Latency samples: all ``full`` from scale 0.01 up, fewer below (tiny test runs)."""
        return max(50, round(full * min(1.0, self.scale * 100)))

    @property
    def big(self) -> int:
        return self.rows(BIG_ROWS)

    @property
    def upsert(self) -> int:
        return max(MIN_ROWS // 2, round(UPSERT_ROWS * self.scale))

    @property
    def pit_entities(self) -> int:
        return self.rows(PIT_ENTITY_ROWS)

    @property
    def batch(self) -> int:
        return self.rows(BATCH_ROWS)


@dataclass
class Context:
    """What benchmarks share within one run; ``close()`` deletes the scratch directory."""

    scale: float = 1.0
    repeat: int | None = None  # None: each benchmark's own default
    full: bool = False  # include the 10M-row scaling point
    only: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()  # figure names to profile with pyinstrument
    profile_dir: Path | None = None
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mlsys-bench-")))
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def sizes(self) -> Sizes:
        return Sizes(self.scale)

    def reps(self, default: int) -> int:
        return max(1, self.repeat if self.repeat is not None else default)

    def dir(self, name: str) -> Path:
        """A fresh scratch directory ``name`` (emptied if it exists)."""
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def maybe_profile(self, name: str, case: Case) -> Path | None:
        """Run ``case`` once more under pyinstrument when ``name`` was asked for (--profile);
        the text report goes to ``profile_dir/<name>.txt``."""
        if name not in self.profile:
            return None
        from benchmarks.harness import profile_case

        out = (self.profile_dir or self.root) / f"profile_{name}.txt"
        profile_case(case, out)
        return out

    def close(self) -> None:
        project = self._cache.pop("project", None)
        if project is not None:
            project.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- shared resources, built on first use
    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def store_home(self) -> Path:
        return self.root / "store"

    @property
    def project(self) -> Project:
        import mlsys

        return self._cached("project", lambda: mlsys.login(backend="local",
                                                           home=self.store_home))

    def big_frame(self) -> pd.DataFrame:
        """``sizes.big`` wine-shaped rows (the 1M-row table at scale 1)."""
        from benchmarks.data import wine_rows

        return self._cached("big_frame", lambda: wine_rows(self.sizes.big, seed=0))

    def big_group(self) -> FeatureGroup:
        """An offline group holding :meth:`big_frame` (keyed like the wine system)."""
        return self._cached("big_group", lambda: self.new_group("wine_big", self.big_frame()))

    def new_group(self, name: str, frame: pd.DataFrame | None = None, online: bool = False,
                  primary_key: tuple[str, ...] | None = None,
                  project: Project | None = None) -> FeatureGroup:
        """A new wine-keyed group ``name`` v1 of ``project`` (default: the run's), filled with
        ``frame`` when given."""
        from mlsys.systems.wine import data as wine

        fg = (project or self.project).get_feature_store().get_or_create_feature_group(
            name, 1, primary_key=list(primary_key or wine.PRIMARY_KEY),
            event_time=wine.EVENT_TIME, online_enabled=online)
        if frame is not None:
            fg.insert(frame)
        return fg

    def pit(self) -> PitFrames:
        from benchmarks.data import pit_frames

        return self._cached("pit", lambda: pit_frames(self.sizes.pit_entities, self.sizes.big))

    def knn(self) -> tuple[Any, float]:
        from benchmarks.data import trained_knn

        return trained_knn()


def delta_path(fg: FeatureGroup) -> str:
    """The Delta table directory of a local group, so a baseline reads the very same table."""
    path = getattr(fg, "_path", None)  # the local backend's table directory (not in the API)
    if path is None:
        raise TypeError(f"{fg!r} is not a local feature group")
    return str(path)


def table_options(path: str) -> dict[str, str] | None:
    """deltalake's ``storage_options`` for a baseline's table at ``path``: what mlsys passes
    for a bucket (plain HTTP allowed for a local server; keys come from the environment), None
    for a folder."""
    if not path.startswith("s3://"):
        return None
    from mlsys.store.local.objects import storage_options

    return storage_options()


CHECKOUT = Path(__file__).resolve().parents[1]  # where `benchmarks` is importable from
WORKER_TIMEOUT_S = 1800


def run_worker(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> ARGS`` in a fresh process (offline, from the
    checkout); the JSON object its last line prints. A failure is a ``BenchmarkError`` with
    the child's stderr."""
    import json

    from benchmarks.bench_models import subprocess_env
    from benchmarks.harness import BenchmarkError

    done = subprocess.run([python(), "-m", f"benchmarks.{module}", *args], capture_output=True,
                          text=True, env=subprocess_env(), check=False,
                          timeout=WORKER_TIMEOUT_S, cwd=CHECKOUT)
    if done.returncode != 0:
        raise BenchmarkError(f"{module} {' '.join(args[:2])} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@functools.cache
def python() -> str:
    """The interpreter running the benchmarks (subprocess benchmarks use the same one)."""
    import sys

    return sys.executable


def stop_process(proc: subprocess.Popen[Any], timeout_s: float = 10.0) -> None:
    """Terminate a server the benchmark started; killed if it has not ended in ``timeout_s``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
