"""Two processes writing one catalog on an S3-compatible bucket (moto's server) at once: every
model version and every report of both is kept, versions distinct and contiguous (the
registry's "next version" transaction is refused on a lost race and picked again)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from s3_server import S3Server

from mlsys.store.local.catalog import ObjectCatalog
from mlsys.store.local.catalog.records import NewGroup
from mlsys.store.local.config import LocalConfig
from mlsys.store.local.objects import BucketObjects

CHILD = Path(__file__).resolve().parent / "object_catalog_child.py"
COUNT = 20


def test_two_processes_lose_no_model_version_and_no_report(
        s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    catalog = ObjectCatalog(BucketObjects(s3_bucket, "team/project"))
    catalog.open()
    group = catalog.groups.add(NewGroup("items", 1, ("id",)))
    go = tmp_path / "go"  # each writer has a home of its own: two machines on one bucket
    env = {**os.environ, **s3_server.env()}
    children = [subprocess.Popen(
        [sys.executable, str(CHILD), s3_bucket, str(tmp_path / writer), writer, str(COUNT),
         str(go)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for writer in ("a", "b")]
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0 and "DONE" in out, err[-3000:]

    models = catalog.models.all("m")
    assert [m.version for m in models] == list(range(1, 2 * COUNT + 1))
    assert sorted(m.description for m in models) == ["a"] * COUNT + ["b"] * COUNT
    for m in models:  # each version's folder holds the files of the save that registered it
        config = LocalConfig(tmp_path / m.description, "proj")
        assert (config.model_dir("m", m.version) / "weights.txt").read_text() == m.description
    for writer in "ab":  # and no folder of a lost race is left behind
        versions = {m.version for m in models if m.description == writer}
        folders = (LocalConfig(tmp_path / writer, "proj").models_dir / "m").iterdir()
        assert sorted(f.name for f in folders) == sorted(str(v) for v in versions)
    reports = catalog.reports.latest(group.id)
    assert sorted((r.body["writer"], r.body["i"]) for r in reports) == sorted(
        (w, i) for w in "ab" for i in range(COUNT))
    assert all(r.body["id"] == r.id for r in reports)
    assert len({r.id for r in reports}) == 2 * COUNT
