"""A child process of ``test_object_catalog_concurrency``: one machine writing to a catalog on
an S3-compatible bucket, through the real registry (its "next version" transaction) and reports.

Usage: ``python object_catalog_child.py <bucket> <home> <writer> <count> <go-file>``, with the
server's AWS_* variables in the environment. It waits for ``<go-file>`` (so every writer starts
at once), then registers ``count`` versions of model ``m`` and stores ``count`` reports of group
``items`` v1, alternating; it prints ``DONE``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mlsys.store.local.catalog import ObjectCatalog, now_iso
from mlsys.store.local.config import LocalConfig
from mlsys.store.local.objects import BucketObjects
from mlsys.store.local.registry import LocalModelRegistry


def main(bucket: str, home: str, writer: str, count: int, go: Path) -> None:
    catalog = ObjectCatalog(BucketObjects(bucket, "team/project"))
    catalog.open()
    registry = LocalModelRegistry(LocalConfig(Path(home), "proj"), catalog)
    group = catalog.groups.get("items", 1)
    assert group is not None, "the test creates the group first"
    source = Path(home) / f"source-{writer}"
    source.mkdir(parents=True)
    (source / "weights.txt").write_text(writer)
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(count):
        registry.python.create_model("m", description=writer).save(str(source))
        catalog.reports.add(group.id, now_iso(), "INGESTED", True, None,
                            lambda report_id, i=i: {"writer": writer, "i": i, "id": report_id})
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5]))
