"""Login settings of the Hopsworks backend, read as the SDK reads them; the API key never shows."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlsys.config import DEFAULT_PROJECT
from mlsys.errors import ConfigurationError

if TYPE_CHECKING:
    from mlsys.config import Settings

DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds the reachability probe waits for a TCP connection before login gives up."""

DEFAULT_LOGIN_TIMEOUT = 120.0
"""Seconds the whole ``hopsworks.login`` may take (the SDK's requests have no timeout)."""

ENGINES = ("python", "training", "spark", "spark-no-metastore", "spark-delta")


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("true", "1", "y", "yes")


def _seconds(value: object, name: str) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} {value!r} must be a number of seconds, e.g. 10"
                                 ) from None
    if not seconds > 0:
        raise ConfigurationError(f"{name} {value!r} must be more than 0 seconds")
    return seconds


@dataclass(frozen=True, repr=False)
class HopsworksConfig:
    """Where and how to log in to Hopsworks (``hopsworks.login`` arguments, plus two of mlsys).

    Every field comes from a keyword of ``mlsys.login(backend="hopsworks", ...)`` first, then
    the SDK's own environment variable, then the SDK default:

    ========================= ================================= ============================
    field                     environment variable              default
    ========================= ================================= ============================
    host                      ``HOPSWORKS_HOST``                Hopsworks serverless (SaaS)
    port                      ``HOPSWORKS_PORT``                443
    project                   ``HOPSWORKS_PROJECT``             see below
    api_key_value             ``HOPSWORKS_API_KEY``             — (required)
    api_key_file              —                                 —
    hostname_verification     ``HOPSWORKS_HOSTNAME_VERIFICATION`` False
    trust_store_path          ``HOPSWORKS_TRUST_STORE_PATH``    —
    cert_folder               ``HOPSWORKS_CERT_FOLDER``         SDK default
    engine                    ``HOPSWORKS_ENGINE``              ``python`` (pandas in, out)
    connect_timeout           ``MLSYS_HOPSWORKS_CONNECT_TIMEOUT`` 10 seconds
    login_timeout             ``MLSYS_HOPSWORKS_LOGIN_TIMEOUT`` 120 seconds
    wait_for_jobs             ``MLSYS_HOPSWORKS_WAIT``          True
    ========================= ================================= ============================

    The project is the ``project=`` keyword, else ``mlsys.login(project=...)`` /
    ``MLSYS_PROJECT`` when given, else ``HOPSWORKS_PROJECT``, else ``"mlsys"``: the SDK would
    otherwise prompt on stdin when the key sees several projects, which hangs a scheduled job.

    ``repr`` and ``str`` never show the key (``api_key_value='<set>'`` only); use :meth:`redacted`
    for logs and reports.
    """

    host: str | None = None
    port: int = 443
    project: str = DEFAULT_PROJECT
    api_key_value: str | None = field(default=None, repr=False)
    api_key_file: str | None = None
    hostname_verification: bool = False
    trust_store_path: str | None = None
    cert_folder: str | None = None
    engine: str = "python"
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    login_timeout: float = DEFAULT_LOGIN_TIMEOUT
    wait_for_jobs: bool = True

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> HopsworksConfig:
        """Options (``mlsys.login`` keywords) win over the environment, as in hopsworks.login."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown Hopsworks login option(s) {', '.join(unknown)}; known: "
                f"{', '.join(sorted(known))}"
            )
        env = os.environ

        def pick(name: str, var: str | None, default: Any) -> Any:
            if options.get(name) is not None:
                return options[name]
            if var is not None and env.get(var, "").strip():
                return env[var].strip()
            return default

        project = options.get("project")
        if project is None:
            explicit = settings.project != DEFAULT_PROJECT or bool(env.get("MLSYS_PROJECT"))
            project = settings.project if explicit else (
                env.get("HOPSWORKS_PROJECT", "").strip() or settings.project)
        try:
            port = int(pick("port", "HOPSWORKS_PORT", 443))
        except ValueError:
            raise ConfigurationError(
                f"HOPSWORKS_PORT {env.get('HOPSWORKS_PORT')!r} is not a port number; "
                "set it to e.g. 443") from None
        timeout = _seconds(pick("connect_timeout", "MLSYS_HOPSWORKS_CONNECT_TIMEOUT",
                                DEFAULT_CONNECT_TIMEOUT), "connect_timeout")
        login_timeout = _seconds(pick("login_timeout", "MLSYS_HOPSWORKS_LOGIN_TIMEOUT",
                                      DEFAULT_LOGIN_TIMEOUT), "login_timeout")
        engine = str(pick("engine", "HOPSWORKS_ENGINE", "python")).lower()
        if engine not in ENGINES:
            raise ConfigurationError(
                f"Hopsworks engine {engine!r} is not known; use one of {', '.join(ENGINES)}")
        hv = options.get("hostname_verification")
        wait = options.get("wait_for_jobs")
        return cls(
            host=pick("host", "HOPSWORKS_HOST", None),
            port=port,
            project=str(project),
            api_key_value=pick("api_key_value", "HOPSWORKS_API_KEY", None),
            api_key_file=pick("api_key_file", None, None),
            hostname_verification=bool(hv) if hv is not None else _env_bool(
                "HOPSWORKS_HOSTNAME_VERIFICATION", False),
            trust_store_path=pick("trust_store_path", "HOPSWORKS_TRUST_STORE_PATH", None),
            cert_folder=pick("cert_folder", "HOPSWORKS_CERT_FOLDER", None),
            engine=engine,
            connect_timeout=timeout,
            login_timeout=login_timeout,
            wait_for_jobs=bool(wait) if wait is not None else _env_bool(
                "MLSYS_HOPSWORKS_WAIT", True),
        )

    # ------------------------------------------------------------------ use
    def require_key(self) -> None:
        """Refuse to log in without a key: the SDK would prompt on stdin for one instead."""
        if os.environ.get("REST_ENDPOINT"):
            return  # inside a Hopsworks job the SDK authenticates with the job's own token
        if not self.api_key_value and not self.api_key_file:
            raise ConfigurationError(
                "HOPSWORKS_API_KEY is not set; create an API key in Hopsworks (Account settings "
                "-> API keys) and export HOPSWORKS_API_KEY, or pass api_key_value= / "
                "api_key_file= to mlsys.login(backend='hopsworks')"
            )
        if self.api_key_file and not Path(self.api_key_file).is_file():
            raise ConfigurationError(f"api_key_file {self.api_key_file!r} does not exist")

    def secrets(self) -> tuple[str, ...]:
        """Every secret string that must never appear in a message (for scrubbing)."""
        found = []
        if self.api_key_value:
            found.append(self.api_key_value.strip())
        if self.api_key_file:
            with contextlib.suppress(OSError):  # require_key reports a missing file
                found.append(Path(self.api_key_file).read_text().strip())
        return tuple(s for s in found if s)

    def login_kwargs(self, default_host: str) -> dict[str, Any]:
        """The keyword arguments of ``hopsworks.login`` (holds the key: never log this)."""
        return {
            "host": self.host or default_host,
            "port": self.port,
            "project": self.project,
            "api_key_value": self.api_key_value,
            "api_key_file": None if self.api_key_value else self.api_key_file,
            "hostname_verification": self.hostname_verification,
            "trust_store_path": self.trust_store_path,
            "cert_folder": self.cert_folder,
            "engine": self.engine,
        }

    def redacted(self) -> dict[str, Any]:
        """Every setting except the key, which shows only as set or not."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["api_key_value"] = "<set>" if self.api_key_value else None
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.redacted().items())
        return f"HopsworksConfig({shown})"

    __str__ = __repr__
