"""
A real S3-compatible server for the object storage adapter: moto's
standalone server, started by the tests on 127.0.0.1 in its own process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ircc_account.builtin.applications import S3DocumentStore

_FALSE = frozenset({"", "0", "false", "no", "off"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The address of a moto S3 server on loopback, for the whole session."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").strip().lower() not in _FALSE:
            pytest.fail("moto[server] is missing; CI must run the S3 adapter tests")
        pytest.skip("moto[server] is not installed: pip install 'moto[server]'")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/moto-api/", timeout=1):  # noqa: S310 (our own loopback URL)
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_s3(endpoint: str, bucket: str, **options: Any) -> S3DocumentStore:
    """An S3 adapter on *endpoint*, its bucket created (the adapter creates nothing)."""
    store = S3DocumentStore(
        bucket,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="test-key",
        secret_access_key="test-secret",
        **options,
    )
    store._client.create_bucket(Bucket=bucket)
    return store
