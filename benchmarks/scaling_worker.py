"""One scaling measurement in a fresh process: time and peak memory of one insert or read.

``python -m benchmarks.scaling_worker OP ROWS HOME`` prints one JSON object. OP is
``mlsys_insert`` / ``delta_insert`` (generate ROWS wine-shaped rows, then write them) or
``mlsys_read`` / ``delta_read`` (read the table an ``mlsys_insert`` of ROWS left in HOME).

Memory: ``rss_base`` is the resident size after imports, before any data exists; the peak is
the kernel's high-water mark (VmHWM), reset after the data is generated (``clear_refs``) so the
generator's temporaries do not count. ``need_bytes = peak - rss_base`` is what holding the data
and running the operation took, compared with the data's ``memory_usage(deep=True)``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

GROUP = "scaling"
WARMUP = "warmup"  # a 10-row group every mlsys_insert run leaves for the readers' warm-up
OPS = ("mlsys_insert", "delta_insert", "mlsys_read", "delta_read")


def _status_kib(field: str) -> int:
    """A ``/proc/self/status`` field (VmRSS, VmHWM) in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status (Linux only)")


def rss() -> int:
    return _status_kib("VmRSS") * 1024


def peak() -> int:
    return _status_kib("VmHWM") * 1024


def reset_peak() -> bool:
    """Free what the allocator holds, then make the high-water mark the current RSS."""
    gc.collect()
    # not glibc: the peak may include freed memory the allocator did not return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
        return True
    except OSError:
        return False


def measure(op: str, rows: int, home: Path) -> dict[str, Any]:
    import pandas as pd
    from deltalake import DeltaTable, write_deltalake

    import mlsys
    from benchmarks.data import frame_bytes, wine_rows
    from mlsys.systems.wine import data as wine

    project = mlsys.login(backend="local", home=home)
    fs = project.get_feature_store()

    def insert(df: pd.DataFrame, name: str) -> None:
        if op == "mlsys_insert":
            fs.get_or_create_feature_group(name, 1, primary_key=list(wine.PRIMARY_KEY),
                                           event_time=wine.EVENT_TIME).insert(df)
        else:
            write_deltalake(str(home / f"delta_{name}"), df, mode="append", name=name)

    def read(name: str = GROUP) -> pd.DataFrame:
        fg = fs.get_feature_group(name, 1)
        if op == "mlsys_read":
            return fg.read()
        return DeltaTable(str(getattr(fg, "_path"))).to_pandas()  # noqa: B009

    # Warm-up on a 10-row table: the first call of each path imports modules and fills caches;
    # that one-off cost is not what grows with the data, so it is paid before the measurement.
    if op.endswith("insert"):
        insert(wine_rows(10, seed=1), WARMUP)
    else:
        read(WARMUP)
    reset_peak()
    rss_base = rss()
    frame: pd.DataFrame | None = None
    if op.endswith("insert"):
        frame = wine_rows(rows, seed=0)
        data_bytes = frame_bytes(frame)
    reset_ok = reset_peak()
    rss_before = rss()
    t0 = time.perf_counter()
    if frame is not None:
        insert(frame, GROUP)
    else:
        frame = read()
    seconds = time.perf_counter() - t0
    top = peak()
    if len(frame) != rows:
        raise RuntimeError(f"{op}: {len(frame)} rows, expected {rows}")
    data_bytes = frame_bytes(frame)
    project.close()
    return {"op": op, "rows": rows, "seconds": seconds, "data_bytes": data_bytes,
            "rss_base": rss_base, "rss_before": rss_before, "peak": top,
            "need_bytes": top - rss_base, "peak_reset": reset_ok}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in OPS:
        print(f"usage: python -m benchmarks.scaling_worker {{{'|'.join(OPS)}}} ROWS HOME",
              file=sys.stderr)
        return 2
    print(json.dumps(measure(argv[0], int(argv[1]), Path(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
