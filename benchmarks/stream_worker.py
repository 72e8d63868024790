"""One streamed insert in a fresh process: time and peak memory (issue 18 item 2).

``python -m benchmarks.stream_worker OP HOME FILE...`` prints one JSON object. OP is
``mlsys_stream`` (``fg.insert(files)``: checked and written batch by batch in one commit) or
``delta_stream`` (``write_deltalake`` of a ``RecordBatchReader`` over the same files). Memory is
measured as in :mod:`benchmarks.scaling_worker`: the kernel's high-water mark minus the resident
size after imports and a warm-up insert, so it is what streaming the files needed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.scaling_worker import peak, reset_peak, rss

OPS = ("mlsys_stream", "delta_stream")
BATCH_ROWS = 1 << 20  # the batch size of mlsys's Parquet reader (dataframes.STREAM_BATCH_ROWS)


def measure(op: str, home: Path, files: list[str]) -> dict[str, Any]:
    import pyarrow.dataset as pads
    from deltalake import DeltaTable, write_deltalake

    import mlsys
    from mlsys.systems.wine import data as wine

    project = mlsys.login(backend="local", home=home)
    fs = project.get_feature_store()
    run = f"{op}_{time.time_ns()}"  # a new table for each run

    def insert(paths: list[str], name: str) -> str:
        if op == "mlsys_stream":
            fg = fs.get_or_create_feature_group(name, 1, primary_key=list(wine.PRIMARY_KEY),
                                                event_time=wine.EVENT_TIME)
            fg.insert(paths)
            return str(getattr(fg, "_path"))  # noqa: B009
        path = str(home / name)
        reader = pads.dataset(paths, format="parquet").scanner(batch_size=BATCH_ROWS)
        write_deltalake(path, reader.to_reader(), mode="append", name=name)
        return path

    insert(files[:1], f"{run}_warmup")  # imports and caches, not what grows with the data
    reset_ok = reset_peak()
    rss_base = rss()
    t0 = time.perf_counter()
    path = insert(files, run)
    seconds = time.perf_counter() - t0
    top = peak()
    table = DeltaTable(path)
    rows = table.count()
    commits = table.version() + 1
    project.close()
    return {"op": op, "rows": rows, "commits": commits, "seconds": seconds,
            "rss_base": rss_base, "peak": top, "need_bytes": top - rss_base,
            "peak_reset": reset_ok}


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in OPS:
        print(f"usage: python -m benchmarks.stream_worker {{{'|'.join(OPS)}}} HOME FILE...",
              file=sys.stderr)
        return 2
    print(json.dumps(measure(argv[0], Path(argv[1]), argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
