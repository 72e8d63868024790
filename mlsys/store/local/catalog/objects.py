"""The catalog on object storage: one JSON document changed only by compare-and-swap.

Every record of a project (groups with their table files and reports, views with their training
datasets, models with their files), the id counters and a schema version are one document,
``catalog.json``, under an :class:`~mlsys.store.local.objects.Objects` prefix (an S3-compatible
bucket, or a folder). Each change is ONE atomic object write: ``create`` the first time,
``replace`` with the tag that was read after that; a writer that finds the tag stale reads the
document again and re-applies its change, so two machines never lose each other's changes.

Large write-once values (report bodies, a suite's JSON, a training dataset's recorded keys)
past :data:`INLINE_MAX` bytes live in immutable side objects ``blobs/<sha256>``, named by their
content and written BEFORE the document's swap: the document never names a missing one, and one
left by a lost race or a failed transaction is an unreferenced orphan, harmless (deleting a
record leaves its blobs too, since another record may name the same content).

Transactions are optimistic: they work on a copy of the document, recording every call with
its answer, and commit with one swap. On a stale tag the calls are replayed in order on the
new document; if every one gives the same answer (an unrelated change came in between) the
replayed document is swapped in, otherwise :class:`~mlsys.errors.ConcurrencyError` says what
changed and nothing of the transaction is kept (the caller runs it again; the registry's "next
version" does). A write's answer counts as a read: an id handed out inside the transaction
must be the one stored, so two machines adding records of one kind at once refuse one of the
two transactions (the registry's save and the store of a validation report run theirs again).
Within one process, writers on one location take turns under a lock, so only other processes
can make a transaction's reads stale. This was chosen over a lease lock object:
a lease held by a killed machine blocks every writer until it expires, and needs clocks to agree.

The document is read again on every call outside a transaction (no cache: object stores give no
cheap revalidation), so a read sees every committed change of every machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlsys.errors import ConcurrencyError, ConfigurationError, StoreDamagedError
from mlsys.store.local.catalog.base import Catalog
from mlsys.store.local.catalog.objects_doc import Doc, Pending, damaged_records, referenced_blobs
from mlsys.store.local.catalog.objects_groups import ObjectGroups, ObjectReports, ObjectTableFiles
from mlsys.store.local.catalog.objects_views import ObjectModels, ObjectViews
from mlsys.store.local.damage import RESTORE
from mlsys.store.local.objects import Objects

SCHEMA = 1
"""The document's schema version; a newer one is refused (an older mlsys would drop fields)."""
KEY = "catalog.json"
BLOBS = "blobs/"
INLINE_MAX = 512
"""Values up to this many bytes stay in the document; larger ones become side objects."""
ATTEMPTS = 50

T = TypeVar("T")

_LOCKS: dict[tuple[int, str], threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()


def _location_lock(location: str) -> threading.RLock:
    """One lock per storage location and process (a fresh one after a fork)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((os.getpid(), location), threading.RLock())


def empty_doc() -> Doc:
    """The document of a catalog with nothing in it."""
    return {"schema": SCHEMA, "next": {"group": 1, "report": 1, "view": 1, "model": 1},
            "groups": {}, "views": {}, "models": {}}


@dataclass
class _Op:
    """One call of a transaction: how to run it on a document, what it answered, its name."""

    run: Callable[[Doc, Pending], Any]
    outcome: tuple[Any, ...]
    what: str
    writes: bool


@dataclass
class _Tx:
    """An open transaction's working copy, the tag it was read at, and its calls."""

    doc: Doc
    tag: str | None
    thread: int
    ops: list[_Op] = field(default_factory=list)
    pending: Pending = field(default_factory=dict)


def _outcome(run: Callable[[Doc, Pending], Any], doc: Doc, pending: Pending) -> tuple[Any, ...]:
    """What ``run`` answers on ``doc``: its result, or the error it raised (also an answer)."""
    try:
        return ("ok", run(doc, pending))
    except Exception as err:  # an error is compared on replay like a result
        return ("raised", type(err), str(err), err)


def _unwrap(outcome: tuple[Any, ...]) -> Any:
    if outcome[0] == "raised":
        raise outcome[3]
    return outcome[1]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return a[:3] == b[:3] if a[0] == "raised" else a == b


class ObjectCatalog(Catalog):
    """One project's catalog as ``catalog.json`` (and its blobs) in ``objects``."""

    def __init__(self, objects: Objects, attempts: int = ATTEMPTS) -> None:
        self.objects = objects
        self.attempts = attempts
        self._tx: _Tx | None = None
        self._blob_cache: dict[str, bytes] = {}
        self.groups = ObjectGroups(self)
        self.reports = ObjectReports(self)
        self.table_files = ObjectTableFiles(self)
        self.views = ObjectViews(self)
        self.models = ObjectModels(self)

    def __repr__(self) -> str:
        return f"ObjectCatalog({self.objects!r})"

    @property
    def where(self) -> str:
        """The document's location, for messages."""
        return f"{self.objects.location.rstrip('/')}/{KEY}"

    # -- the document
    def _parse(self, data: bytes) -> Doc:
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise StoreDamagedError(
                f"the catalog {self.where!r} is damaged (not JSON: {err}); {RESTORE}") from None
        schema = doc.get("schema") if isinstance(doc, dict) else None
        if isinstance(schema, int) and schema > SCHEMA:  # before its shape: that may be new too
            raise ConfigurationError(
                f"the catalog {self.where!r} has schema version {schema}, newer than this "
                f"mlsys knows ({SCHEMA}); upgrade mlsys")
        if not isinstance(schema, int) or not all(
                isinstance(doc.get(k), dict) for k in ("next", "groups", "views", "models")):
            raise StoreDamagedError(
                f"the catalog {self.where!r} is damaged (not a catalog document: its schema, "
                f"next, groups, views or models is missing); {RESTORE}")
        bad = damaged_records(doc)
        if bad:
            raise StoreDamagedError(
                f"the catalog {self.where!r} is damaged ({'; '.join(bad[:3])}"
                f"{f'; and {len(bad) - 3} more' if len(bad) > 3 else ''}); {RESTORE}")
        return doc

    def _load(self) -> tuple[Doc, str | None, bytes | None]:
        """The latest document (an empty one when there is none), its tag and bytes."""
        found = self.objects.read(KEY)
        if found is None:
            return empty_doc(), None, None
        return self._parse(found.data), found.tag, found.data

    @staticmethod
    def _encode(doc: Doc) -> bytes:
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def _swap(self, data: bytes, tag: str | None) -> bool:
        """Write the document if it is still at ``tag`` (absent for None); whether it was."""
        if tag is None:
            return self.objects.create(KEY, data) is not None
        return self.objects.replace(KEY, data, tag) is not None

    def _flush(self, pending: Pending) -> None:
        """Write the side objects a change names, before the document names them."""
        for key, data in pending.items():
            self.objects.create(key, data)  # None: already there, with this very content
            self._blob_cache[key] = data

    @staticmethod
    def _backoff(attempt: int) -> None:
        time.sleep(random.uniform(0, min(0.005 * 2 ** min(attempt, 6), 0.25)))

    def _mine(self) -> _Tx | None:
        tx = self._tx
        return tx if tx is not None and tx.thread == threading.get_ident() else None

    # -- what the repositories call
    def read(self, what: str, run: Callable[[Doc, Pending], T]) -> T:
        """``run``'s answer on the latest document (in a transaction: its working copy, and the
        answer is recorded to be checked again at the commit)."""
        tx = self._mine()
        if tx is None:
            return run(self._load()[0], {})
        outcome = _outcome(run, tx.doc, tx.pending)
        tx.ops.append(_Op(run, outcome, what, writes=False))
        return _unwrap(outcome)

    def write(self, what: str, run: Callable[[Doc, Pending], T]) -> T:
        """Apply ``run`` (which changes the document it is given, checking before it changes
        anything) as one atomic change; its answer.

        Raises:
            ConcurrencyError: other writers kept changing the document for every attempt.
        """
        tx = self._mine()
        if tx is not None:
            outcome = _outcome(run, tx.doc, tx.pending)
            tx.ops.append(_Op(run, outcome, what, writes=True))
            return _unwrap(outcome)
        with _location_lock(self.objects.location):
            for attempt in range(self.attempts):
                doc, tag, before = self._load()
                pending: Pending = {}
                result = run(doc, pending)
                data = self._encode(doc)
                if data == before:
                    return result  # nothing changed (a no-op delete, an existing group)
                self._flush(pending)
                if self._swap(data, tag):
                    return result
                self._backoff(attempt)
        raise ConcurrencyError(
            f"could not write {what} to the catalog {self.where!r}: other writers changed it "
            f"before each of {self.attempts} attempts; nothing of this change was kept. Run "
            "again")

    def blob(self, data: bytes, pending: Pending) -> dict[str, str]:
        """A slot for ``data``: inline when small, else a side object to write first."""
        if len(data) <= INLINE_MAX:
            return {"b64": base64.b64encode(data).decode()}
        digest = hashlib.sha256(data).hexdigest()
        pending[BLOBS + digest] = data
        return {"blob": digest}

    def unblob(self, slot: dict[str, str], pending: Pending) -> bytes:
        """The bytes of a slot ``blob`` made.

        Raises:
            StoreDamagedError: its side object is missing or not what its name says.
        """
        if "b64" in slot:
            return base64.b64decode(slot["b64"])
        key = BLOBS + str(slot.get("blob"))
        data = pending.get(key) or self._blob_cache.get(key)
        if data is None:
            found = self.objects.read(key)
            if found is None or hashlib.sha256(found.data).hexdigest() != slot["blob"]:
                raise StoreDamagedError(
                    f"the catalog {self.where!r} names the side object "
                    f"{self.objects.location.rstrip('/')}/{key}, which is "
                    f"{'missing' if found is None else 'changed'}; {RESTORE}")
            data = found.data
            if len(self._blob_cache) > 512:
                self._blob_cache.clear()
            self._blob_cache[key] = data
        return data

    # -- the interface
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._mine() is not None:  # nested: part of the outer one, which commits
            yield
            return
        with _location_lock(self.objects.location):
            doc, tag, _ = self._load()
            tx = _Tx(doc, tag, threading.get_ident())
            self._tx = tx
            try:
                yield
            finally:
                self._tx = None
            self._commit(tx)

    def _commit(self, tx: _Tx) -> None:
        if not any(op.writes for op in tx.ops):
            return  # only reads: nothing to write, and they were consistent when made
        doc, tag, pending = tx.doc, tx.tag, tx.pending
        for attempt in range(self.attempts):
            self._flush(pending)
            if self._swap(self._encode(doc), tag):
                return
            self._backoff(attempt)
            doc, tag, _ = self._load()
            pending = {}
            for op in tx.ops:  # replay: every call must answer as it did
                again = _outcome(op.run, doc, pending)
                if not _same(again, op.outcome):
                    raise ConcurrencyError(
                        f"another writer changed the catalog {self.where!r} during a "
                        f"transaction, so {op.what} no longer gives the answer the transaction "
                        "acted on; nothing of the transaction was kept. Run it again")
        raise ConcurrencyError(
            f"could not commit a transaction to the catalog {self.where!r}: other writers "
            f"changed it before each of {self.attempts} attempts; nothing of the transaction "
            "was kept. Run it again")

    def open(self) -> None:
        found = self.objects.read(KEY)
        if found is None:
            if self.objects.create(KEY, self._encode(empty_doc())) is not None:
                return
            found = self.objects.read(KEY)  # another machine created it first
            if found is None:
                raise StoreDamagedError(
                    f"the catalog {self.where!r} was created and removed at once; {RESTORE}")
        self._parse(found.data)

    def problems(self) -> list[str]:
        doc = self._load()[0]
        found: list[str] = []
        present = set(self.objects.keys(BLOBS))
        for what, digest in referenced_blobs(doc):
            if BLOBS + digest not in present:
                found.append(f"{what} names the side object {BLOBS}{digest}, which is missing")
        return found

    def close(self) -> None:
        self._blob_cache.clear()


__all__ = ["INLINE_MAX", "KEY", "SCHEMA", "ObjectCatalog", "empty_doc"]
