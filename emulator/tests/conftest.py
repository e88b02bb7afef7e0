"""Fixtures: one patched emulator per test session, reset before every test.

The server is started exactly as the TypeScript harness starts it (``python emulator/server.py``)
on a free loopback port, with ``MOTO_ACCOUNT_ID`` set to the security account.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

MEMBER = "111111111111"
SECURITY = "222222222222"
REGION = "us-east-1"
SERVER = Path(__file__).resolve().parents[1] / "server.py"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MOTO_ACCOUNT_ID": SECURITY}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                stderr = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"emulator exited with {proc.returncode}: {stderr[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError("emulator did not answer within 30 s")
                time.sleep(0.1)
        # Drain stderr (moto logs every request) so the pipe never fills up.
        import threading

        threading.Thread(
            target=lambda: proc.stderr.read() if proc.stderr else None, daemon=True
        ).start()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10):
        pass


ClientFactory = Callable[..., Any]


@pytest.fixture
def client(endpoint: str) -> ClientFactory:
    """``client(service, account=None, credentials=None)``: a boto3 client for the emulator.

    ``account`` selects the account with the ``x-moto-account-id`` header; ``credentials``
    (an STS ``Credentials`` dict) uses AssumeRole credentials instead; with neither, the request
    goes to the server's default account.
    """

    def make(service: str, account: str | None = None, credentials: Any = None) -> Any:
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        else:
            keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        boto = boto3.client(service, region_name=REGION, endpoint_url=endpoint, **keys)
        if account is not None:

            def add_header(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account

            boto.meta.events.register("before-sign.*.*", add_header)
        return boto

    return make
