"""The one error hierarchy of mlsys: every failure a user can cause is an ``MlsysError``."""

from __future__ import annotations

from collections.abc import Iterable


class MlsysError(Exception):
    """Base class of every error mlsys raises on purpose.

    Messages name the bad value and say how to fix it, so the CLI can print ``str(err)`` as is.
    """


class ConfigurationError(MlsysError):
    """A setting (environment variable, backend name, store path) is missing or invalid."""


class BackendUnavailableError(MlsysError):
    """The selected backend cannot be used (optional extra missing, cluster unreachable)."""


class MissingExtraError(BackendUnavailableError):
    """An optional dependency is not installed; the message names the mlsys extra that brings it
    (``pip install 'mlsys[ui]'``). The CLI treats it as a usage error (exit 2)."""


class InvalidNameError(MlsysError, ValueError):
    """A feature group / view / model / dataset name or path is empty or unsafe."""


class InvalidArgumentError(MlsysError, ValueError):
    """An argument is out of its allowed range or conflicts with another (bad usage)."""


class NotFoundError(MlsysError, LookupError):
    """An entity (feature group, view, model, version, file) does not exist.

    The message lists what does exist, so the user can correct the name or version.
    """

    def __init__(self, kind: str, wanted: str, existing: Iterable[str] = ()) -> None:
        existing = sorted(existing)
        shown = ", ".join(existing) if existing else "none"
        super().__init__(f"{kind} {wanted!r} does not exist; existing: {shown}")
        self.kind = kind
        self.wanted = wanted
        self.existing = existing


class AlreadyExistsError(MlsysError, OSError):
    """An entity or file exists and the call was not allowed to replace it.

    Also an ``OSError``: Hopsworks raises ``OSError`` there, so ``except OSError`` ports unchanged.
    """


class SchemaError(MlsysError, ValueError):
    """A DataFrame does not fit the schema it is written to or read with.

    Raised for missing or extra features, wrong dtypes, nulls in primary keys, and duplicate
    primary keys in one insert when the strict duplicate check is on (see
    :class:`DuplicateKeyWarning`). Bad argument values are :class:`InvalidArgumentError`.

    ``column`` names the offending column where there is one, and ``reason`` says what kind of
    misfit it is (one of the ``SchemaError.*`` reason names below), so apps and tests need not
    parse the message; ``str(err)`` stays the full, human message.
    """

    NOT_A_FRAME = "not_a_frame"
    NAME_CLASH = "name_clash"
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    WRONG_TYPE = "wrong_type"
    NULL_KEY = "null_key"
    UNHASHABLE_KEY = "unhashable_key"
    DUPLICATE_KEY = "duplicate_key"
    KEY_MISMATCH = "key_mismatch"
    UNKNOWN_TYPE = "unknown_type"
    ARGUMENT = "argument"  # an ArgumentSchemaError: an argument, not a frame, is wrong

    def __init__(self, message: str = "", *, column: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        # keep the fields across processes (pickling passes only ``args`` by default)
        return _rebuild_schema_error, (type(self), str(self), self.column, self.reason)


class ArgumentSchemaError(InvalidArgumentError, SchemaError):
    """A bad argument value that mlsys used to report as :class:`SchemaError`.

    It is an :class:`InvalidArgumentError` (bad usage: the CLI exits 2), and stays a
    ``SchemaError`` so ``except SchemaError`` written against earlier releases still catches it
    (``test_size``, unknown keywords, join arguments, times, metrics, lookup keys).
    """

    def __init__(self, message: str = "", *, column: str | None = None) -> None:
        super().__init__(message, column=column, reason=SchemaError.ARGUMENT)


def _rebuild_schema_error(cls: type[SchemaError], message: str, column: str | None,
                          reason: str | None) -> SchemaError:
    err = cls.__new__(cls)
    SchemaError.__init__(err, message, column=column, reason=reason)
    return err


class DuplicateKeyWarning(UserWarning):
    """An insert held rows sharing a primary key (+ event time); they were stored as given.

    Hopsworks stores such rows as given too (its online copy keeps the last row per key). The
    strict check turns this into a :class:`SchemaError` that writes nothing:
    ``write_options={"reject_duplicate_keys": True}`` for one insert, or
    ``reject_duplicate_keys=True`` when creating the group for every insert.
    """


class DataValidationError(MlsysError):
    """An insert failed its expectation suite under the STRICT policy; nothing was written.

    Mirrors hsfs's ``DataValidationException``. ``report`` is the stored REJECTED report.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


# The name Hopsworks users know, so ``except DataValidationException`` ports unchanged.
DataValidationException = DataValidationError


class ExpectationSuiteError(MlsysError, ValueError):
    """An expectation suite is in an unsupported format or holds an unknown expectation."""


class IntegrityError(MlsysError):
    """A stored artefact does not match the sha256 recorded when it was saved; it is not loaded."""


class StoreDamagedError(MlsysError):
    """A file of the store is damaged or missing (a zeroed catalog, a table whose log or data
    files were changed or lost); the message names the file and how to restore it.

    The store is never opened as empty over existing data: nothing is overwritten while it is
    in this state. The CLI exits 1.
    """


class StoreWriteError(MlsysError, OSError):
    """A write could not finish because the disk refused it (full, read-only, I/O error).

    The message says what did commit before the failure (e.g. "rows committed as version 3;
    the online store will be rebuilt") so nothing is written twice.
    """


class InUseError(MlsysError):
    """An entity cannot be deleted while others use it (a feature group read by feature views);
    the message names them and the way out."""


class ArtefactMovedWarning(UserWarning):
    """A folder that no registry entry owned was in the way of a save; it was moved aside
    (``<version>.orphaned-<time>``), never deleted. The warning names both paths."""


class UpkeepWarning(UserWarning):
    """An insert's rows were committed, but compacting or checkpointing the table afterwards
    failed; reads are unaffected and ``mlsys gc`` does the same work."""


class ConcurrencyError(MlsysError):
    """A write could not be committed because of concurrent writers, even after retries."""


class PipelineError(MlsysError):
    """A pipeline step could not run (e.g. nothing to train on, no model registered yet)."""


__all__ = [
    "AlreadyExistsError",
    "ArgumentSchemaError",
    "ArtefactMovedWarning",
    "BackendUnavailableError",
    "ConcurrencyError",
    "ConfigurationError",
    "DataValidationError",
    "DataValidationException",
    "DuplicateKeyWarning",
    "ExpectationSuiteError",
    "InUseError",
    "IntegrityError",
    "InvalidArgumentError",
    "InvalidNameError",
    "MissingExtraError",
    "MlsysError",
    "NotFoundError",
    "PipelineError",
    "SchemaError",
    "StoreDamagedError",
    "StoreWriteError",
    "UpkeepWarning",
]
