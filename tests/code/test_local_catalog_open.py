"""Several processes opening one fresh local store at the same moment all succeed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

# Each child imports everything first, then waits for the "go" file, so the opens collide.
OPEN = """
import sys, time
from pathlib import Path
import mlsys
import mlsys.store.local.project
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
mlsys.login(backend="local", home=sys.argv[1]).get_feature_store().get_feature_groups()
"""


def test_concurrent_first_opens_of_a_store(tmp_path: Path) -> None:
    # SQLite answers "database is locked" at once to concurrent journal-mode changes (its busy
    # handler does not apply), which a fresh catalog makes; every opener must still get in
    for trial in range(4):
        home, go = tmp_path / f"store{trial}", tmp_path / f"go{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", OPEN, str(home), str(go)],
                                  stderr=subprocess.PIPE, text=True) for _ in range(8)]
        time.sleep(2.0)  # let every child finish importing
        go.touch()
        errors = [p.communicate(timeout=120)[1] for p in procs]
        failed = [e for p, e in zip(procs, errors, strict=True) if p.returncode != 0]
        assert not failed, failed[0]
