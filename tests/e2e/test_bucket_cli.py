"""The CLI as a user runs it with the store in a bucket (``MLSYS_HOME=s3://...``, moto's S3
server on 127.0.0.1): backfill, daily, train and infer on one "machine", then status and the
served model seen from a second one (another cache folder), and nothing written to the working
directory (the bug this replaced: an ``s3:/bucket`` folder tree there and an empty bucket)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from s3_server import S3Server

from mlsys.store.local.objects import BucketObjects


def _mlsys(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "mlsys", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (f"mlsys {' '.join(args)}:\n{done.stdout[-2000:]}\n"
                                  f"{done.stderr[-3000:]}")
    return done


def test_the_iris_pipelines_run_on_a_bucket_and_a_second_machine_sees_them(
        s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    base = {**os.environ, **s3_server.env(), "MLSYS_BACKEND": "local",
            "MLSYS_HOME": f"s3://{s3_bucket}/store"}
    base.pop("MLSYS_PROJECT", None)
    first = {**base, "MLSYS_CACHE": str(tmp_path / "machine-a")}
    second = {**base, "MLSYS_CACHE": str(tmp_path / "machine-b")}

    _mlsys(["backfill", "iris"], first, work)
    _mlsys(["daily", "iris", "--date", "2026-01-03", "--since", "2026-01-01"], first, work)
    _mlsys(["train", "iris"], first, work)
    _mlsys(["infer", "iris"], first, work)
    assert list(work.iterdir()) == []  # everything went to the bucket (and the cache)

    keys = BucketObjects(s3_bucket, "store").keys()
    assert any("_delta_log/" in k for k in keys), keys[:20]  # the groups are Delta tables there
    assert "mlsys/catalog/catalog.json" in keys, keys[:20]  # the project "mlsys" catalog

    status = json.loads(_mlsys(["status", "--json"], second, work).stdout)
    iris = next(s for s in status["systems"] if s["system"] == "iris")
    assert iris["groups"], iris
    rows = {g["name"]: g["rows"] for g in iris["groups"]}
    assert rows["iris"] == 150 + 3, rows  # the backfill and three daily rows
    assert iris["model"] == "iris_model v1", iris
    assert iris["held_out"] and iris["predictions"] is not None, iris  # scored beside baseline
    assert list(work.iterdir()) == []
