"""SDK calls made safe: SDK exceptions become mlsys errors, and secrets never reach a message."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mlsys.errors import (
    AlreadyExistsError,
    BackendUnavailableError,
    DataValidationError,
    MlsysError,
    NotFoundError,
    SchemaError,
)

MAX_MESSAGE = 1200
"""Characters of an SDK message kept in ours (server bodies can be pages of HTML)."""

# Great Expectations (imported by hsfs) imports modules Python 3.11 deprecates.
GE_IMPORT_NOISE = r"module 'sre_(constants|parse|compile)' is deprecated"

# hsml 5.2 deprecates its whole ModelSchema class (every method warns, also inside
# Model.save) in favour of the schema it derives from a feature view's training dataset. It
# still stores and serves explicit schemas, and mlsys registers the same explicit schema on
# both backends; see mlsys.store.hopsworks.models.
MODEL_SCHEMA_DEPRECATION = r"ModelSchema\.\w+ is deprecated"

SCHEMA_MARKERS = (
    "not compatible with Feature Group schema",
    "schema validation errors found",
    "is missing in input dataframe",
)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _short(err: BaseException, secrets: Iterable[str]) -> str:
    message = scrub(str(err), secrets).strip() or type(err).__name__
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + " ..."
    text = f"{type(err).__name__}: {message}"
    cause = err.__cause__
    if cause is not None:  # e.g. the SSLError behind the SDK's generic TLS advice
        cause_text = scrub(str(cause), secrets).strip()[:MAX_MESSAGE // 2]
        text += f" (caused by {type(cause).__name__}: {cause_text})"
    return text


def _sdk_classes() -> dict[str, type[BaseException]]:
    """The SDK's exception classes by name (the SDK is installed when this runs)."""
    import requests
    from hopsworks_common.client import exceptions as ex

    return {
        "RestAPIError": ex.RestAPIError,
        "DataValidationException": ex.DataValidationException,
        "FeatureStoreException": ex.FeatureStoreException,
        "DatasetException": ex.DatasetException,
        "ModelRegistryException": ex.ModelRegistryException,
        "ProjectException": ex.ProjectException,
        "JobException": ex.JobException,
        "JobExecutionException": ex.JobExecutionException,
        "ExternalClientError": ex.ExternalClientError,
        "HopsworksSSLClientError": ex.HopsworksSSLClientError,
        "RequestException": requests.exceptions.RequestException,
    }


def translate(err: BaseException, what: str, secrets: Iterable[str] = (),
              not_found: tuple[str, str] | None = None,
              existing: Callable[[], list[str]] | None = None) -> MlsysError | None:
    """The mlsys error for an SDK exception raised while trying to ``what``; None when ``err``
    is not the SDK's (a bug or a pandas error: the caller re-raises it unchanged).

    ``not_found=(kind, wanted)`` names the entity a 404 means; ``existing`` lists the others.
    """
    secrets = tuple(secrets)
    cls = _sdk_classes()
    detail = _short(err, secrets)
    if isinstance(err, MlsysError):
        return err
    if isinstance(err, cls["DataValidationException"]):
        return DataValidationError(f"could not {what}: the frame failed its expectation suite "
                                   f"under the STRICT policy; nothing was written ({detail})")
    if isinstance(err, cls["RestAPIError"]):
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status == 404 and not_found is not None:
            names: list[str] = []
            if existing is not None:
                with contextlib.suppress(Exception):  # the listing is a hint, never the error
                    names = existing()
            return NotFoundError(not_found[0], not_found[1], names)
        if status in (401, 403):
            return BackendUnavailableError(
                f"Hopsworks refused to {what} (HTTP {status}): check that HOPSWORKS_API_KEY is "
                f"valid, not expired, and has the scopes it needs ({detail})")
        if status == 409:
            return AlreadyExistsError(f"could not {what}: it already exists on Hopsworks "
                                      f"({detail})")
        return MlsysError(f"Hopsworks could not {what} (HTTP {status}): {detail}")
    if isinstance(err, cls["HopsworksSSLClientError"] | cls["RequestException"]):
        return BackendUnavailableError(
            f"Hopsworks is not reachable to {what}: {detail}; check HOPSWORKS_HOST / "
            "HOPSWORKS_PORT and the network (TLS: HOPSWORKS_HOSTNAME_VERIFICATION, "
            "HOPSWORKS_TRUST_STORE_PATH)")
    if isinstance(err, cls["DatasetException"]) and "already exists" in str(err):
        return AlreadyExistsError(f"could not {what}: {detail}; pass overwrite=True to replace")
    if isinstance(err, cls["ModelRegistryException"]) and "already exists" in str(err):
        return AlreadyExistsError(f"could not {what}: {detail}")
    if isinstance(err, cls["FeatureStoreException"] | ValueError) and any(
            m in str(err) for m in SCHEMA_MARKERS):
        return SchemaError(f"could not {what}: {detail}")
    if isinstance(err, cls["ProjectException"] | cls["ExternalClientError"]):
        return BackendUnavailableError(f"could not {what} on Hopsworks: {detail}")
    sdk_module = type(err).__module__.split(".")[0]
    if isinstance(err, tuple(cls.values())) or sdk_module in ("hsfs", "hsml", "hopsworks",
                                                               "hopsworks_common"):
        return MlsysError(f"Hopsworks could not {what}: {detail}")
    return None


@contextlib.contextmanager
def quiet_sdk(unverified_tls: bool = False) -> Iterator[None]:
    """Keep the SDK's chatter out of mlsys output: its prints go to stderr (stdout carries
    command results), and its informational warnings (versions, GE import) are dropped.

    ``unverified_tls``: the login turned certificate checks off (hostname_verification=False,
    the SDK's default), so urllib3's InsecureRequestWarning on every request says nothing new.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.filterwarnings("ignore", message=GE_IMPORT_NOISE, category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=MODEL_SCHEMA_DEPRECATION)
        if unverified_tls:
            from urllib3.exceptions import InsecureRequestWarning

            warnings.simplefilter("ignore", InsecureRequestWarning)
        try:
            from hopsworks_common.util import VersionWarning
        except ImportError:  # only the SDK-less test path gets here
            pass
        else:
            # "No version provided, defaulting to 1" / "Incremented version to 3": mlsys always
            # passes versions and reports the new one itself.
            warnings.simplefilter("ignore", VersionWarning)
        yield


class SdkCalls:
    """One place that runs SDK calls for every adapter object of a login.

    ``with calls.call("read iris v1"): ...`` runs the block with :func:`quiet_sdk` and turns
    SDK exceptions into mlsys errors whose text has every secret scrubbed. The original
    exception is not shown as the cause (``from None``): its frames hold the client, and the
    mlsys message already carries its type and text.
    """

    def __init__(self, secrets: Iterable[str] = (), unverified_tls: bool = False) -> None:
        self._secrets = tuple(secrets)
        self._unverified_tls = unverified_tls

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    @contextlib.contextmanager
    def call(self, what: str, not_found: tuple[str, str] | None = None,
             existing: Callable[[], list[str]] | None = None) -> Iterator[None]:
        try:
            with quiet_sdk(self._unverified_tls):
                yield
        except MlsysError:
            raise
        except Exception as err:
            mapped = translate(err, what, self._secrets, not_found, existing)
            if mapped is None:
                raise
            raise mapped from None

    def run(self, what: str, fn: Callable[..., Any], *args: Any,
            not_found: tuple[str, str] | None = None,
            existing: Callable[[], list[str]] | None = None, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` with the translation of :meth:`call`; here the mlsys error
        is raised after the handler, so it carries no reference to the SDK exception at all."""
        mapped: MlsysError | None = None
        try:
            with quiet_sdk(self._unverified_tls):
                return fn(*args, **kwargs)
        except MlsysError:
            raise
        except Exception as err:
            mapped = translate(err, what, self._secrets, not_found, existing)
            if mapped is None:
                raise
        raise mapped
