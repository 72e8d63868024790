"""``mlsys verify``: the local store checked against what its catalog recorded.

Per feature group: the table's log still reaches every commit the catalog recorded (a deleted
latest commit silently rolls a group back), the table is the one recorded (its metadata id),
every data file the latest version and each recorded training dataset read is present and has
the sha256 recorded at its commit, and the online store holds exactly the latest row per key of
the offline table. Per model: every file matches its recorded sha256. The catalog itself gets
SQLite's ``quick_check``. Only the online store is repaired in place (rebuilt from the offline
table); everything else names the file to restore from a backup.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.errors import IntegrityError, MlsysError
from mlsys.store.api.verify import Problem, VerifyResult
from mlsys.store.local import tables
from mlsys.store.local.checksums import file_sha256, recorded_files
from mlsys.store.local.damage import RESTORE, table_damaged, table_read_errors

if TYPE_CHECKING:
    from mlsys.store.local.catalog import Catalog
    from mlsys.store.local.catalog.records import GroupRecord, ModelRecord
    from mlsys.store.local.config import LocalConfig
    from mlsys.store.local.feature_store import LocalFeatureStore


class _Run:
    """The state of one verify run."""

    def __init__(self, config: LocalConfig, catalog: Catalog, fs: LocalFeatureStore,
                 repair: bool) -> None:
        self.config = config
        self.catalog = catalog
        self.fs = fs
        self.repair = repair
        self.problems: list[Problem] = []
        self.repaired: list[Problem] = []
        self.checked: list[str] = []
        self.unverified: list[str] = []

    def problem(self, what: str, damage: str, repair: str = RESTORE) -> None:
        self.problems.append(Problem(what, damage, repair))

    def result(self) -> VerifyResult:
        return VerifyResult(tuple(self.problems), tuple(self.repaired), tuple(self.checked),
                            tuple(self.unverified))


def _recorded_reads(catalog: Catalog) -> dict[str, list[tuple[str, int]]]:
    """Table key -> (training dataset label, Delta version it read)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for r in catalog.views.dataset_reads():
        label = f"training dataset {r.version} of feature view {r.view_name} v{r.view_version}"
        for key, version in r.table_versions.items():
            if version is not None:
                out.setdefault(str(key), []).append((label, int(version)))
    return out


def _check_catalog(run: _Run) -> None:
    run.checked.append("catalog")
    found = run.catalog.problems()
    if found:
        run.problem(f"the catalog {run.config.catalog_path}", "; ".join(found[:5]))


def _check_group(run: _Run, row: GroupRecord, reads: dict[str, list[tuple[str, int]]]) -> None:
    name, version, group_id = row.name, row.version, row.id
    what = f"feature group {name} v{version}"
    run.checked.append(what)
    path = run.config.table_dir(name, version)
    files = recorded_files(run.catalog, group_id)
    commits = [c for c, _, _ in files.values()]
    commits += run.catalog.reports.commits(group_id)
    if not tables.exists(path):
        if row.features is not None or commits:
            run.problem(what, f"its table {str(path)!r} is missing or has no readable log")
        return
    try:
        table = tables.open_table(path)
    except table_read_errors() as err:
        run.problem(what, str(table_damaged(path, what, err)))
        return
    current = table.version()
    if commits and current < max(commits):
        run.problem(what, f"its log ends at version {current}, but commits up to "
                          f"{max(commits)} were recorded: the newest commit file(s) in "
                          f"{str(path)!r}/_delta_log were deleted, so the group reads as "
                          "of an older version")
    if row.table_id and tables.table_id(table) != row.table_id:
        run.problem(what, f"the table at {str(path)!r} is not the one recorded (table id "
                          f"{tables.table_id(table)}, recorded {row.table_id}): it was "
                          "replaced by another table's folder")
    needed = {f: "the latest version" for f in tables.data_files(table)}
    for label, v in reads.get(f"{name}_{version}", []):
        try:
            for f in tables.data_files(tables.open_table(path, v)):
                needed.setdefault(f, label)
        except table_read_errors():
            run.problem(what, f"version {v}, which {label} read, is gone from the log",
                        f"{RESTORE}; or make a new training dataset")
    for rel, used in sorted(needed.items()):
        _check_file(run, what, path, rel, used, files.get(rel))
    for rel in sorted(set(files) - set(needed)):  # older versions' files, until gc removes them
        if tables.file_digest(path, rel) is not None:
            _check_file(run, what, path, rel, "an older version (time travel)", files[rel])
    if row.online_enabled and row.features is not None:
        _check_online(run, name, version, current)


def _check_file(run: _Run, what: str, table: tables.TablePath, rel: str, used: str,
                recorded: tuple[int, int, str] | None) -> None:
    digest = tables.file_digest(table, rel)
    if digest is None:
        run.problem(what, f"data file {rel!r} of {used} is missing")
        return
    if recorded is None:
        run.unverified.append(f"{str(table).rstrip('/').rsplit('/', 1)[-1]}/{rel}")
        return
    commit, size, sha = recorded
    got_size, got_sha = digest
    if (got_size, got_sha) != (size, sha):
        run.problem(what, f"data file {rel!r} (of {used}, added by commit {commit}) has "
                          f"sha256 {got_sha[:12]}... ({got_size} bytes), but {sha[:12]}... "
                          f"({size} bytes) was recorded: it changed after its commit, so "
                          "reads return other data")


def _norm(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row comparable with ``==`` (NaN equals NaN here)."""
    return tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)


def _check_online(run: _Run, name: str, version: int, current: int) -> None:
    what = f"the online store of feature group {name} v{version}"
    fs = run.fs
    path = run.config.table_dir(name, version)
    fg = fs.get_feature_group(name, version)
    try:
        store = fg.online_store()
        synced = store.synced_version()
        stored = Counter(map(_norm, store.stored_rows()))
        expected = Counter(map(_norm, store.expected_rows(tables.read_arrow(path, current))))
        if stored == expected:  # a lagging version with the same rows (gc's compaction
            return              # commit) is caught up by the next online read
        damage = (f"it holds {sum(stored.values())} row(s) (as of table version {synced}), "
                  f"the offline table's latest rows per key are {sum(expected.values())} (version "
                  f"{current}); {sum((stored - expected).values())} stored row(s) differ")
    except (MlsysError, OSError) as err:
        damage = f"it cannot be read ({err})"
    except Exception as err:  # sqlite3.DatabaseError of a damaged file
        damage = f"it cannot be read ({type(err).__name__}: {err})"
    problem = Problem(what, damage, "mlsys verify --repair rebuilds it from the offline table",
                      repairable=True)
    if not run.repair:
        run.problems.append(problem)
        return
    _rebuild_online(run, name, version)
    run.repaired.append(problem)


def _rebuild_online(run: _Run, name: str, version: int) -> None:
    from mlsys.store.local.locks import file_lock

    fs = run.fs
    fg = fs.get_feature_group(name, version)
    with file_lock(run.config.table_lock(name, version), run.config.lock_timeout_s,
                   f"feature group {name} v{version}"):
        fs.forget_online_store(name, version)
        online = run.config.online_path(name, version)
        for p in (online, Path(f"{online}-wal"), Path(f"{online}-shm")):
            p.unlink(missing_ok=True)  # a damaged file is replaced, not patched
        path = run.config.table_dir(name, version)
        current = tables.current_version(path)
        if current is not None:
            fg.online_store().rebuild(tables.read_arrow(path, current), current)


def _check_model(run: _Run, row: ModelRecord) -> None:
    from mlsys.store.local.artefacts import stored_files

    name, version = row.name, row.version
    what = f"model {name} v{version}"
    run.checked.append(what)
    if run.config.bucket is not None:
        _check_model_objects(run, row, what)
        return
    root = run.config.model_dir(name, version)
    records = {r.path: (r.size, r.sha256) for r in run.catalog.models.files(row.id)}
    fix = f"re-save the model, or restore {str(root)!r} from a backup"
    on_disk = stored_files(root) if root.is_dir() else set()
    missing, extra = sorted(set(records) - on_disk), sorted(on_disk - set(records))
    if missing:
        run.problem(what, f"file(s) {missing} are missing from {str(root)!r}", fix)
    if extra:
        run.problem(what, f"file(s) {extra} in {str(root)!r} were not registered", fix)
    for rel in sorted(set(records) & on_disk):
        size, sha = file_sha256(root / rel)
        if (size, sha) != records[rel]:
            run.problem(what, f"file {rel!r} has sha256 {sha[:12]}... ({size} bytes), but "
                              f"{records[rel][1][:12]}... ({records[rel][0]} bytes) was "
                              "recorded at save", fix)


def _check_model_objects(run: _Run, row: ModelRecord, what: str) -> None:
    """A model in a bucket: every recorded file's object is there and holds its sha256."""
    import tempfile

    from mlsys.store.local import bucket_models

    objects = run.config.objects("models")
    with tempfile.TemporaryDirectory(prefix="mlsys-verify-") as tmp:
        try:
            bucket_models.download(objects, row.name, run.catalog.models.files(row.id),
                                   Path(tmp) / "model", what)
        except IntegrityError as err:
            run.problem(what, str(err), "re-save the model")


def verify(config: LocalConfig, catalog: Catalog, fs: LocalFeatureStore,
           repair: bool = False) -> VerifyResult:
    """Check the whole store (see the module doc); with ``repair``, rebuild online stores.
    It is handed the project's parts, not the project, which calls it."""
    run = _Run(config, catalog, fs, repair)
    _check_catalog(run)
    reads = _recorded_reads(run.catalog)
    for group in run.catalog.groups.all():
        _check_group(run, group, reads)
    for model in run.catalog.models.all():
        _check_model(run, model)
    return run.result()


def check(project: object, repair: bool = False) -> VerifyResult:
    """``verify`` of a project opened with ``mlsys.login()`` (other backends: their own
    ``verify`` refuses), closing it afterwards."""
    from mlsys.store.api import Project

    assert isinstance(project, Project)
    try:
        return project.verify(repair)
    finally:
        project.close()


__all__ = ["check", "verify"]
