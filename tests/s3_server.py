"""A real S3-compatible server for the tests: moto's, on 127.0.0.1, one bucket per test.

The server and its keys live in ``benchmarks/s3.py`` (the bucket benchmark starts the same
server); here are the fixtures over it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# benchmarks/ is a package of the checkout, importable through pytest's ``pythonpath``
from benchmarks.s3 import ACCESS_KEY, SECRET_KEY, S3Server, running_server

__all__ = ["ACCESS_KEY", "SECRET_KEY", "S3Server", "s3_bucket", "s3_server"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server (the test extra's moto[server]) for the whole session."""
    with running_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, with this process's environment pointed at the server; its name."""
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return s3_server.new_bucket()
