"""A real S3-compatible server for the tests: moto's, on 127.0.0.1, one bucket per test.

The server speaks S3's HTTP API (conditional puts included), so mlsys, obstore and delta-rs
talk to it exactly as they would to AWS S3 or MinIO; only the endpoint and the (dummy) keys
differ, and those come from the standard environment variables.
"""

from __future__ import annotations

import logging
import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# the test keys: moto accepts any; distinctive so a leak test can look for them
ACCESS_KEY = "mlsystestaccesskey"
SECRET_KEY = f"mlsys-test-secret-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint and the environment that points a process at it."""

    endpoint: str

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true"}

    def new_bucket(self) -> str:
        """A fresh, empty bucket's name."""
        name = f"mlsys-{secrets.token_hex(6)}"
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT"),
                               timeout=30).read()
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1 for the whole session."""
    from moto.server import ThreadedMotoServer  # the test extra's moto[server]

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, with this process's environment pointed at the server; its name."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return s3_server.new_bucket()
