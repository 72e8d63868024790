"""Whole-object storage under one prefix: an S3-compatible bucket, or a local folder.

The store's metadata on object storage (``catalog.objects``) and its artefacts are whole
objects: a reader sees an object before or after a write, never half of one. Changes that must
not lose another writer's are compare-and-swap: ``create`` succeeds only if the key is absent
(S3 ``If-None-Match: *``), ``replace`` only if the object is unchanged since it was read
(``If-Match: <etag>``). Where the bucket is and who may use it comes only from the environment
(``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` or the
standard AWS config), as delta-rs reads it too; credentials are never held in a field, a
``repr`` or a message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsys.errors import ConfigurationError, StoreWriteError

_SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
_KEY = re.compile(r"^[^\x00-\x1f/\\]+(/[^\x00-\x1f/\\]+)*$")  # relative, no empty parts


@dataclass(frozen=True)
class Stored:
    """An object's bytes and the tag (S3 ETag) that names this content for ``replace``."""

    data: bytes
    tag: str


def check_key(key: str) -> str:
    """``key`` if it is a plain relative key (no ``..``, no empty parts); ValueError otherwise
    (keys are made by mlsys from checked names, so a bad one is a bug, not user input)."""
    if not _KEY.fullmatch(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"object key {key!r} is not a plain relative key")
    return key


class Objects(ABC):
    """Objects under one prefix. Besides what a method lists, every method may raise
    :class:`~mlsys.errors.ConfigurationError` (the storage refused the credentials or does not
    exist: the message names the location and the variables to set) and
    :class:`~mlsys.errors.StoreWriteError` (the storage could not be reached or refused a
    write; nothing of that write is visible)."""

    location: str
    """Where the objects live, e.g. ``s3://bucket/prefix`` (never with credentials)."""

    @abstractmethod
    def read(self, key: str) -> Stored | None:
        """The object at ``key`` with its tag, or None when there is none."""

    @abstractmethod
    def create(self, key: str, data: bytes) -> str | None:
        """Write ``data`` at ``key`` only if no object is there; its tag, or None (one is)."""

    @abstractmethod
    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        """Write ``data`` at ``key`` only if the object there still has ``tag``; the new tag,
        or None (another writer changed or removed it since it was read)."""

    @abstractmethod
    def write(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` whatever is there (for objects named by their content or
        owned by one writer)."""

    @abstractmethod
    def upload(self, key: str, source: Path) -> None:
        """Write the file ``source`` at ``key`` as one object (streamed, not held in memory)."""

    @abstractmethod
    def download(self, key: str, dest: Path) -> bool:
        """Write the object at ``key`` to the file ``dest``; False when there is no object."""

    @abstractmethod
    def keys(self, prefix: str = "") -> list[str]:
        """The keys under ``prefix`` (relative to this store's prefix), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object at ``key`` (none there: no-op)."""


def _scrub(text: str) -> str:
    """``text`` without any credential the environment holds (an SDK message might echo one)."""
    for var in _SECRET_VARS:
        value = os.environ.get(var)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def _no_bucket(err: BaseException) -> bool:
    """Whether a not-found error is about the bucket (a configuration mistake), not a key."""
    return "NoSuchBucket" in str(err)


class BucketObjects(Objects):
    """Objects in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, ...), via obstore:
    the Rust ``object_store`` crate delta-rs commits through, configured from the same
    environment."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        try:
            from obstore.store import S3Store
        except ImportError:
            from mlsys.errors import MissingExtraError

            raise MissingExtraError(
                "a store on object storage (MLSYS_HOME=s3://...) needs obstore: "
                "pip install 'mlsys[s3]'") from None
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")
        options: dict[str, Any] = {}
        if storage_options().get("AWS_ALLOW_HTTP") == "true":
            options["client_options"] = {"allow_http": True}
        from obstore.exceptions import BaseError

        try:
            self._store = S3Store(bucket, prefix=self.prefix or None, **options)
        except BaseError as err:  # e.g. "Missing AccessKeyId": a secret key set without its id
            first = _scrub(str(err).splitlines()[0] if str(err) else type(err).__name__)
            raise ConfigurationError(
                f"cannot use {self.location} ({first[:200]}); set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY together (or AWS_PROFILE), and AWS_ENDPOINT_URL for a "
                "server other than AWS S3") from None

    def __repr__(self) -> str:
        return f"BucketObjects({self.location!r})"

    @contextlib.contextmanager
    def _calls(self, what: str, key: str) -> Iterator[None]:
        """Turn obstore's errors into mlsys's, naming the location and never a credential."""
        from obstore import exceptions as ox

        try:
            yield
        except (ox.PermissionDeniedError, ox.UnauthenticatedError) as err:
            raise ConfigurationError(
                f"{self.location} refused to {what} {key!r} ({type(err).__name__}); set "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an AWS profile) to keys that may "
                "read and write the bucket") from None
        except (ox.BaseError, OSError) as err:  # obstore raises FileNotFoundError for 404s too
            first = _scrub(str(err).splitlines()[0] if str(err) else type(err).__name__)
            if "169.254.169.254" in first or "credential" in first.lower():
                # no keys in the environment: the SDK fell back to an instance's metadata
                raise ConfigurationError(
                    f"found no credentials to {what} {key!r} at {self.location}; set "
                    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and "
                    "AWS_ENDPOINT_URL for a server other than AWS S3") from None
            if _no_bucket(err):
                raise ConfigurationError(
                    f"the bucket {self.bucket!r} does not exist at "
                    f"{os.environ.get('AWS_ENDPOINT_URL') or 'AWS S3'}; create it, or point "
                    "MLSYS_HOME (and AWS_ENDPOINT_URL) at one that does") from None
            raise StoreWriteError(
                f"could not {what} {key!r} at {self.location} ({type(err).__name__}: "
                f"{first[:300]}); check AWS_ENDPOINT_URL and the network, then run again") from None

    def read(self, key: str) -> Stored | None:
        import obstore
        from obstore.exceptions import NotFoundError as Missing

        with self._calls("read", key):
            try:
                got = obstore.get(self._store, check_key(key))
            except (Missing, FileNotFoundError) as err:
                if _no_bucket(err):
                    raise
                return None
            return Stored(bytes(got.bytes()), str(got.meta["e_tag"]))
        raise AssertionError("unreachable")  # pragma: no cover (for mypy)

    def create(self, key: str, data: bytes) -> str | None:
        import obstore
        from obstore.exceptions import AlreadyExistsError, PreconditionError

        with self._calls("create", key):
            try:
                return str(obstore.put(self._store, check_key(key), data, mode="create")["e_tag"])
            except (AlreadyExistsError, PreconditionError):
                return None
        raise AssertionError("unreachable")  # pragma: no cover

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        import obstore
        from obstore.exceptions import NotFoundError as Missing
        from obstore.exceptions import PreconditionError

        with self._calls("replace", key):
            try:
                return str(obstore.put(self._store, check_key(key), data,
                                       mode={"e_tag": tag})["e_tag"])
            except (PreconditionError, Missing, FileNotFoundError) as err:
                if _no_bucket(err):
                    raise
                return None
        raise AssertionError("unreachable")  # pragma: no cover

    def write(self, key: str, data: bytes) -> None:
        import obstore

        with self._calls("write", key):
            obstore.put(self._store, check_key(key), data)

    def upload(self, key: str, source: Path) -> None:
        import obstore

        with self._calls("upload", key):
            obstore.put(self._store, check_key(key), Path(source))  # multipart when large

    def download(self, key: str, dest: Path) -> bool:
        import obstore
        from obstore.exceptions import NotFoundError as Missing

        with self._calls("download", key):
            try:
                got = obstore.get(self._store, check_key(key))
            except (Missing, FileNotFoundError) as err:
                if _no_bucket(err):
                    raise
                return False
            with Path(dest).open("wb") as out:
                for chunk in got:
                    out.write(chunk)
            return True
        raise AssertionError("unreachable")  # pragma: no cover

    def keys(self, prefix: str = "") -> list[str]:
        import obstore

        with self._calls("list", prefix or "/"):
            found: list[str] = []
            for page in obstore.list(self._store, prefix=prefix or None):
                found.extend(str(meta["path"]) for meta in page)
            return sorted(found)
        raise AssertionError("unreachable")  # pragma: no cover

    def delete(self, key: str) -> None:
        import obstore
        from obstore.exceptions import NotFoundError as Missing

        with self._calls("delete", key):
            try:
                obstore.delete(self._store, check_key(key))
            except (Missing, FileNotFoundError) as err:
                if _no_bucket(err):
                    raise


class FolderObjects(Objects):
    """Objects as files under a local folder, with the same atomicity: a write lands by
    rename, ``create`` by a hard link (which fails if the name exists), ``replace`` under a lock
    comparing the content's sha256 (the tag). For tests and for a store moved between a folder
    and a bucket by copying."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)

    def __repr__(self) -> str:
        return f"FolderObjects({self.location!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    @staticmethod
    def _tag(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def _staged(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        with tmp.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return tmp

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.with_name(f".{path.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def read(self, key: str) -> Stored | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        return Stored(data, self._tag(data))

    def create(self, key: str, data: bytes) -> str | None:
        path = self._path(key)
        tmp = self._staged(path, data)
        try:
            os.link(tmp, path)  # atomic, and refuses an existing name
        except FileExistsError:
            return None
        finally:
            tmp.unlink(missing_ok=True)
        return self._tag(data)

    def replace(self, key: str, data: bytes, tag: str) -> str | None:
        path = self._path(key)
        with self._locked(path):
            current = self.read(key)
            if current is None or current.tag != tag:
                return None
            self._staged(path, data).replace(path)
        return self._tag(data)

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        with self._locked(path):
            self._staged(path, data).replace(path)

    def upload(self, key: str, source: Path) -> None:
        self.write(key, Path(source).read_bytes())

    def download(self, key: str, dest: Path) -> bool:
        found = self.read(key)
        if found is None:
            return False
        Path(dest).write_bytes(found.data)
        return True

    def keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                      if p.is_file() and not p.name.startswith(".")
                      and p.relative_to(self.root).as_posix().startswith(prefix))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage_options() -> dict[str, str]:
    """What delta-rs and obstore need beyond the standard AWS variables: plain-HTTP endpoints
    (MinIO, a test server) must be allowed explicitly. Never credentials: both read those from
    the environment themselves."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3") or ""
    return {"AWS_ALLOW_HTTP": "true"} if endpoint.startswith("http://") else {}


__all__ = ["BucketObjects", "FolderObjects", "Objects", "Stored", "check_key", "storage_options"]
