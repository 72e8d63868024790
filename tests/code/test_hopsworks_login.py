"""Hopsworks backend login and SDK errors: settings, unreachable or refusing clusters, the
mapping of SDK exceptions to mlsys errors, and that the API key never reaches a message.

Tests that need the hopsworks SDK skip (with the reason) where it is not installed.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hopsworks_sdk import KEY, SDK_REASON, iris_group, load_sdk, rest_error, spy

import mlsys
from mlsys.config import Settings
from mlsys.errors import (
    AlreadyExistsError,
    BackendUnavailableError,
    ConfigurationError,
    MlsysError,
    NotFoundError,
)
from mlsys.store.hopsworks.config import HopsworksConfig
from mlsys.store.hopsworks.context import Context
from mlsys.store.hopsworks.errors import SdkCalls, scrub, translate
from mlsys.store.hopsworks.feature_group import HopsworksFeatureGroup


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HOPSWORKS_API_KEY", "HOPSWORKS_HOST", "HOPSWORKS_PORT", "HOPSWORKS_PROJECT",
                "HOPSWORKS_ENGINE", "HOPSWORKS_HOSTNAME_VERIFICATION", "REST_ENDPOINT",
                "MLSYS_PROJECT", "MLSYS_HOPSWORKS_CONNECT_TIMEOUT", "MLSYS_HOPSWORKS_WAIT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    return load_sdk(monkeypatch)


def _settings(**kw: str) -> Settings:
    return Settings.from_env(backend="hopsworks", home="/tmp/unused", **kw)


def _no_key_anywhere(err: BaseException) -> None:
    text = "".join(traceback.format_exception(err))
    assert KEY not in str(err) and KEY not in repr(err) and KEY not in text


# ----------------------------------------------------------------- settings


def test_config_repr_and_str_never_show_the_key() -> None:
    cfg = HopsworksConfig.from_settings(_settings(), api_key_value=KEY, host="h.example")
    for text in (repr(cfg), str(cfg), str(cfg.redacted())):
        assert KEY not in text
        assert "api_key_value='<set>'" in text or "'api_key_value': '<set>'" in text
    assert cfg.secrets() == (KEY,)


def test_options_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOPSWORKS_HOST", "env.example")
    monkeypatch.setenv("HOPSWORKS_PORT", "8181")
    monkeypatch.setenv("HOPSWORKS_API_KEY", "env-key-value")
    monkeypatch.setenv("HOPSWORKS_PROJECT", "env_project")
    cfg = HopsworksConfig.from_settings(_settings())
    assert (cfg.host, cfg.port, cfg.api_key_value, cfg.project) == (
        "env.example", 8181, "env-key-value", "env_project")
    cfg = HopsworksConfig.from_settings(_settings(), host="opt.example", port=443,
                                        api_key_value=KEY, project="opt_project")
    assert (cfg.host, cfg.port, cfg.api_key_value, cfg.project) == (
        "opt.example", 443, KEY, "opt_project")
    # an explicit mlsys project wins over HOPSWORKS_PROJECT; the default "mlsys" does not
    assert HopsworksConfig.from_settings(_settings(project="mine")).project == "mine"


def test_bad_settings_are_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="unknown Hopsworks login option"):
        HopsworksConfig.from_settings(_settings(), api_key=KEY)
    with pytest.raises(ConfigurationError, match="HOPSWORKS_API_KEY is not set"):
        HopsworksConfig.from_settings(_settings()).require_key()
    with pytest.raises(ConfigurationError, match="engine 'hive' is not known"):
        HopsworksConfig.from_settings(_settings(), engine="hive")
    monkeypatch.setenv("HOPSWORKS_PORT", "https")
    with pytest.raises(ConfigurationError, match="HOPSWORKS_PORT"):
        HopsworksConfig.from_settings(_settings())


def test_key_file_is_a_secret_too(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    cfg = HopsworksConfig.from_settings(_settings(), api_key_file=str(key_file))
    cfg.require_key()
    assert cfg.secrets() == (KEY,)
    assert scrub(f"header ApiKey {KEY} sent", cfg.secrets()) == "header ApiKey *** sent"


# ----------------------------------------------------------------- failing logins (SDK present)


def _login(**kw: object) -> tuple[BackendUnavailableError, float]:
    """The error of a login that must fail, and the seconds it took."""
    start = time.monotonic()
    with pytest.raises(BackendUnavailableError) as ei:
        mlsys.login(backend="hopsworks", api_key_value=KEY, project="p", **kw)
    elapsed = time.monotonic() - start
    _no_key_anywhere(ei.value)
    return ei.value, elapsed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_login_needs_a_key_instead_of_prompting() -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    with pytest.raises(ConfigurationError, match="HOPSWORKS_API_KEY is not set"):
        mlsys.login(backend="hopsworks", host="127.0.0.1", port=_free_port())


def test_closed_port_fails_fast_without_the_key() -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    err, elapsed = _login(host="127.0.0.1", port=_free_port())
    assert "not reachable" in str(err) and "127.0.0.1" in str(err)
    assert elapsed < 2.0


def test_host_that_never_answers_fails_within_the_connect_timeout() -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    # A listening socket whose accept queue is full: the kernel drops further SYNs, exactly
    # what a firewalled or absent host looks like to the client.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    filler = socket.create_connection(server.getsockname(), timeout=1)
    try:
        err, elapsed = _login(host="127.0.0.1", port=int(server.getsockname()[1]),
                              connect_timeout=0.5)
    finally:
        filler.close()
        server.close()
    assert "not reachable (no answer within 0.5s)" in str(err)
    assert elapsed < 2.0


def test_host_that_accepts_but_stays_silent_fails_within_the_login_timeout() -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connections complete in the kernel; nothing ever reads or answers
    try:
        err, elapsed = _login(host="127.0.0.1", port=int(server.getsockname()[1]),
                              login_timeout=1.0)
    finally:
        server.close()  # the abandoned login thread then fails and ends
    assert "did not finish within 1s" in str(err)
    assert elapsed < 3.0


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[bytes]]]:
    """A TLS endpoint that answers every request with Hopsworks' 401 for a bad API key."""
    pytest.importorskip("cryptography", reason="cryptography comes with the hopsworks SDK")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    seen: list[bytes] = []
    body = b'{"errorCode": 160002, "errorMsg": "Authorization failed", "usrMsg": "bad key"}'
    reply = (b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    seen.append(tls.recv(65536))
                    tls.sendall(reply)
            except OSError:
                continue

    threading.Thread(target=serve, daemon=True).start()
    yield int(server.getsockname()[1]), seen
    server.close()


def test_refused_key_is_reported_without_the_key(tls_server: tuple[int, list[bytes]]) -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    port, seen = tls_server
    err, elapsed = _login(host="127.0.0.1", port=port)
    assert "HTTP 401" in str(err) and "HOPSWORKS_API_KEY" in str(err)
    assert elapsed < 5.0
    # the SDK did reach the server and sent the key there, and only there
    assert any(KEY.encode() in request for request in seen)


def test_plain_http_endpoint_is_a_tls_failure() -> None:
    pytest.importorskip("hopsworks", reason=SDK_REASON)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")

    threading.Thread(target=serve, daemon=True).start()
    try:
        err, _ = _login(host="127.0.0.1", port=int(server.getsockname()[1]))
    finally:
        server.close()
    assert "not reachable" in str(err) and "SSL" in str(err)


# ----------------------------------------------------------------- SDK errors


@pytest.mark.parametrize("status, expected", [
    (404, NotFoundError), (401, BackendUnavailableError), (403, BackendUnavailableError),
    (409, AlreadyExistsError), (500, MlsysError)])
def test_rest_errors_become_mlsys_errors(sdk: SimpleNamespace, status: int,
                                         expected: type[Exception]) -> None:
    err = rest_error(sdk, status, {"errorMsg": f"bad {KEY}", "usrMsg": KEY})
    mapped = translate(err, "read iris v1", [KEY], not_found=("feature group", "iris v1"),
                       existing=lambda: ["wine v1"])
    assert type(mapped) is expected and KEY not in str(mapped)
    if status == 404:
        assert "existing: wine v1" in str(mapped)


def test_other_sdk_errors_are_mapped_and_others_pass(sdk: SimpleNamespace) -> None:
    assert isinstance(translate(sdk.requests.exceptions.ConnectionError("refused"), "x"),
                      BackendUnavailableError)
    assert isinstance(translate(sdk.exceptions.DatasetException(
        "Resources/a.png already exists, set overwrite=True"), "x"), AlreadyExistsError)
    assert isinstance(translate(sdk.exceptions.ModelRegistryException("boom"), "x"), MlsysError)
    assert isinstance(translate(sdk.exceptions.ModelRegistryException(
        "Model with name clf and version 4 already exists, please select another version."),
        "x"), AlreadyExistsError)
    assert translate(KeyError("pandas"), "x") is None  # not the SDK's: re-raised unchanged


def test_sdk_errors_are_raised_scrubbed_and_without_their_frames(
        sdk: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context(HopsworksConfig(api_key_value=KEY), SdkCalls((KEY,)), sdk_project=None)
    spy(monkeypatch, sdk.feature_group.FeatureGroup, "read", result=rest_error(
        sdk, 500, {"errorMsg": f"token {KEY} rejected"}))
    with pytest.raises(MlsysError) as ei:
        HopsworksFeatureGroup(iris_group(sdk), ctx).read()
    assert KEY not in str(ei.value) and "***" in str(ei.value)
    assert ei.value.__cause__ is None and ei.value.__context__ is None
