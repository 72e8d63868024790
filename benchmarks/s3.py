"""moto's S3 server on 127.0.0.1 in a process of its own, for the bucket benchmark and the tests."""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from benchmarks.context import stop_process

# the keys: moto accepts any; distinctive so a leak test can look for them
ACCESS_KEY = "mlsystestaccesskey"
SECRET_KEY = f"mlsys-test-secret-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint and the environment that points a process at it.

    The server speaks S3's HTTP API (conditional puts included), so mlsys, obstore and delta-rs
    talk to it exactly as they would to AWS S3 or MinIO; only the endpoint and the (dummy) keys
    differ, and those come from the standard environment variables.
    """

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


def start_server() -> tuple[subprocess.Popen[bytes], S3Server]:
    """moto's S3 server (moto[server], in the test extra) in a process of its own on a free
    port of 127.0.0.1 (in this process it would deadlock: delta-rs holds the GIL during some
    calls while the server needs it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                             "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server = S3Server(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=2).read()
            return proc, server
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto's S3 server did not start on port {port} "
                                   f"(exit code {proc.poll()})") from None
            time.sleep(0.1)


@contextlib.contextmanager
def running_server() -> Iterator[S3Server]:
    """A server for the duration of the ``with`` block."""
    proc, server = start_server()
    try:
        yield server
    finally:
        stop_process(proc)
