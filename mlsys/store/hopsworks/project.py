"""Log in to Hopsworks and open the project: the entry point of the Hopsworks backend.

``connect`` (registered as ``hopsworks`` in :mod:`mlsys.store`) imports the SDK lazily, checks
the settings, probes the host with a short TCP timeout (the SDK's own requests have none, so an
unreachable cluster would otherwise hang a scheduled job) and calls ``hopsworks.login``. Every
failure is a :class:`~mlsys.errors.BackendUnavailableError` or
:class:`~mlsys.errors.ConfigurationError` whose message never contains the API key.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from mlsys.errors import BackendUnavailableError, MissingExtraError, MlsysError
from mlsys.store.api import Project
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.errors import SdkCalls, quiet_sdk, scrub, translate

if TYPE_CHECKING:
    from types import ModuleType

    from mlsys.config import Settings
    from mlsys.store.hopsworks.datasets import HopsworksDatasetApi
    from mlsys.store.hopsworks.feature_store import HopsworksFeatureStore
    from mlsys.store.hopsworks.models import HopsworksModelRegistry

INSTALL_HINT = "pip install 'mlsys[hopsworks]'"


def import_sdk() -> ModuleType:
    """``hopsworks``, or MissingExtraError naming the extra to install."""
    try:
        with quiet_sdk():
            import hopsworks
    except ImportError as err:
        raise MissingExtraError(
            f"the hopsworks backend needs the Hopsworks SDK, which is not installed: "
            f"{INSTALL_HINT} (import failed: {err})") from None
    return hopsworks


def default_host() -> str:
    """The SDK's default host: Hopsworks serverless."""
    from hopsworks_common import constants

    return str(constants.HOSTS.SAAS_HOST)


def probe(host: str, port: int, timeout: float) -> float:
    """Open and close a TCP connection to ``host:port``; the seconds it took.

    Raises BackendUnavailableError within ``timeout`` seconds when nothing answers.
    """
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        if isinstance(err, TimeoutError | socket.timeout):
            reason = f"no answer within {timeout:g}s"
        raise BackendUnavailableError(
            f"Hopsworks at {host}:{port} is not reachable ({reason}); check HOPSWORKS_HOST and "
            "HOPSWORKS_PORT, or unset MLSYS_BACKEND to use the local store") from None
    return time.monotonic() - start


def connect(settings: Settings, **options: Any) -> HopsworksProject:
    """Log in (``hopsworks.login``) and return the project; see the module docstring.

    ``options`` are :class:`HopsworksConfig` fields, e.g. ``api_key_value``, ``host``,
    ``project``, ``port``, ``connect_timeout``, ``wait_for_jobs``.
    """
    hopsworks = import_sdk()
    config = HopsworksConfig.from_settings(settings, **options)
    config.require_key()
    host = config.host or default_host()
    inside_hopsworks = bool(os.environ.get("REST_ENDPOINT"))
    if not inside_hopsworks:
        probe(host, config.port, config.connect_timeout)
    secrets = config.secrets()
    where = f"log in to Hopsworks at {host}:{config.port} (project {config.project!r})"
    unverified = not config.hostname_verification
    outcome: dict[str, Any] = {}

    def login() -> None:
        try:
            outcome["project"] = hopsworks.login(**config.login_kwargs(host))
        except Exception as err:  # handed to the caller's thread below
            outcome["error"] = err

    # The SDK's requests have no timeout: a host that accepts connections but never answers
    # would block forever. Login runs in a daemon thread the caller waits for a bounded time.
    worker = threading.Thread(target=login, name="mlsys-hopsworks-login", daemon=True)
    with quiet_sdk(unverified):
        worker.start()
        worker.join(config.login_timeout)
    if worker.is_alive():
        raise BackendUnavailableError(
            f"could not {where}: the host accepted the connection but the login did not finish "
            f"within {config.login_timeout:g}s (MLSYS_HOPSWORKS_LOGIN_TIMEOUT); check that "
            "HOPSWORKS_HOST / HOPSWORKS_PORT point at Hopsworks")
    failure: MlsysError | None = None
    err = outcome.pop("error", None)
    if err is not None:  # every SDK failure at login means: not usable
        failure = translate(err, where, secrets) or BackendUnavailableError(
            f"could not {where}: {type(err).__name__}: {scrub(str(err), secrets)[:1200]}")
        if not isinstance(failure, BackendUnavailableError):
            failure = BackendUnavailableError(str(failure))
        del err  # its frames hold the key; the message above is scrubbed
    if failure is not None:
        raise failure
    sdk_project = outcome.get("project")
    if sdk_project is None:
        raise BackendUnavailableError(f"could not {where}: the API key sees no project; create "
                                      "one in Hopsworks or set HOPSWORKS_PROJECT")
    return HopsworksProject(Context(config, SdkCalls(secrets, unverified), sdk_project))


class HopsworksProject(Project):
    """A logged-in Hopsworks project; ``sdk`` is the ``hopsworks`` Project (an escape hatch)."""

    backend = "hopsworks"

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.sdk = ctx.sdk_project
        self.name = str(self.sdk.name)
        self._fs: dict[str | None, HopsworksFeatureStore] = {}
        self._mr: HopsworksModelRegistry | None = None
        self._datasets: HopsworksDatasetApi | None = None

    @property
    def config(self) -> HopsworksConfig:
        """The login settings (their repr hides the key)."""
        return self._ctx.config

    def __repr__(self) -> str:
        return f"HopsworksProject({self.name!r}, host={self.config.host or default_host()!r})"

    def get_feature_store(self, name: str | None = None) -> HopsworksFeatureStore:
        from mlsys.store.hopsworks.feature_store import HopsworksFeatureStore

        if name not in self._fs:
            sdk_fs = self._ctx.calls.run("open the feature store", self.sdk.get_feature_store,
                                         name=name)
            self._fs[name] = HopsworksFeatureStore(sdk_fs, self._ctx)
        return self._fs[name]

    def get_model_registry(self) -> HopsworksModelRegistry:
        from mlsys.store.hopsworks.models import HopsworksModelRegistry

        if self._mr is None:
            sdk_mr = self._ctx.calls.run("open the model registry", self.sdk.get_model_registry)
            self._mr = HopsworksModelRegistry(sdk_mr, self._ctx)
        return self._mr

    def get_dataset_api(self) -> HopsworksDatasetApi:
        from mlsys.store.hopsworks.datasets import HopsworksDatasetApi

        if self._datasets is None:
            self._datasets = HopsworksDatasetApi(self._ctx.dataset_api(), self._ctx)
        return self._datasets

    def close(self) -> None:
        """``hopsworks.logout()``: closes the connection and removes downloaded certificates."""
        import hopsworks

        self._ctx.calls.run("log out", hopsworks.logout)
