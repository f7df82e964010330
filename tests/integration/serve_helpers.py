"""Helpers of the `parity serve` integration tests: a local webhook receiver, bounded waits,
and the service started as a real subprocess on a free port."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["Receiver", "answers", "free_port", "running_service", "wait_for"]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float = 60.0,
    explain: Callable[[], Any] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` (and what
    ``explain`` returns then, to show why)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError:
            last = None
        if last:
            return last
        time.sleep(0.25)
    why = f"; {explain()!r}" if explain is not None else ""
    pytest.fail(f"timed out waiting for {what} (last: {last!r}){why}")


class Receiver:
    """A local webhook receiver: keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, environment: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The alerts received for ``environment`` (of one ``kind``: down or slow)."""
        return [
            b
            for b in list(self.bodies)
            if b["environment"] == environment and (kind is None or b["kind"] == kind)
        ]


@contextmanager
def running_service(config: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`parity serve --config CONFIG` on a free port until the block ends; its base URL.

    What the service prints goes to ``serve.log`` beside the config.
    """
    port = free_port()
    log = (config.parent / "serve.log").open("ab")  # a file: a full pipe would block it
    argv = [sys.executable, "-m", "parity.cli.main", "--config", str(config), "serve"]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)],
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("the service to listen", lambda: httpx.get(f"{base}/healthz").status_code == 200)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def answers(base: str) -> dict[str, dict[str, Any]]:
    """Environment -> its four answers, from ``/api/status``."""
    body = httpx.get(f"{base}/api/status", timeout=10).json()
    return {e["environment"]: e["answers"] for e in body["environments"]}
