"""HTTP is bounded: a total deadline and a body size cap (issue 11, items 5 and 6).

The hostile sites are small servers on 127.0.0.1 started by the tests themselves, each
bounded in time and bytes so that the code before the fix (which hangs or swallows
everything) ends the test with a failure instead of hanging it:

- a *trickle* server sends its answer one byte every 0.2 s (the status line and headers,
  or the body), which never trips a per-read timeout;
- an *endless* server sends a body with no length, as fast as the socket takes it.

``measure`` and ``cache verify`` must stop with one ``error:`` line naming the route and
the limit, exit 2, in bounded time and memory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import parity.targets.site as site_module
from parity.cli.main import app
from parity.errors import SiteUnreachable

pytestmark = pytest.mark.integration

#: How long a trickle server keeps trickling before it gives up (bounds the old code).
TRICKLE_BUDGET_S = 12.0
#: How much an endless server sends at most (bounds the old code's memory).
ENDLESS_BUDGET = 400 * 1024 * 1024
#: The deadline the in-process tests set (the default is DEADLINE_S).
DEADLINE = 2.0

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"


@dataclass
class Hostile:
    """A running hostile server: its URL and when it started."""

    url: str
    started: float


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        conn: socket.socket = self.request
        _read_request(conn)
        # OSError: the client hung up, which is what a bounded client does.
        with contextlib.suppress(OSError):
            self.server.answer(conn)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, kind: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.kind = kind
        self.started = time.monotonic()

    def answer(self, conn: socket.socket) -> None:
        if self.kind == "endless":
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            sent = 0
            conn.sendall(HEAD)
            while sent < ENDLESS_BUDGET:
                conn.sendall(chunk)
                sent += len(chunk)
            return
        whole = HEAD + b"<html><body>slow</body></html>"
        # trickle-headers: from the status line on; trickle-body: the headers at once.
        start = 0 if self.kind == "trickle-headers" else len(HEAD)
        conn.sendall(whole[:start])
        for index in range(start, len(whole)):
            if time.monotonic() - self.started > TRICKLE_BUDGET_S:
                conn.sendall(whole[index:])  # past the budget, the rest at once
                return
            conn.sendall(whole[index : index + 1])
            time.sleep(0.2)


def _serve(kind: str) -> Iterator[Hostile]:
    server = _Server(kind)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Hostile(f"http://{host}:{port}", server.started)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["trickle-headers", "trickle-body"])
def trickle(request: pytest.FixtureRequest) -> Iterator[Hostile]:
    yield from _serve(request.param)


@pytest.fixture
def endless() -> Iterator[Hostile]:
    yield from _serve("endless")


def write_config(tmp_path: Path, url: str) -> Path:
    """A parity.toml whose one environment is the hostile site (its database is unused)."""
    path = tmp_path / "parity.toml"
    path.write_text(
        "[environments.hostile]\n"
        f'url = "{url}"\n'
        'db = "mysql://u:p@127.0.0.1:1/wp"\n'
        'table_prefix = "wp_"\n'
        "[state]\n"
        f'url = "sqlite:///{tmp_path / "state.db"}"\n',
        encoding="utf-8",
    )
    return path


COMMANDS = {
    "measure": ["measure", "hostile", "--route", "/slow/", "--samples", "2"],
    "cache verify": ["cache", "verify", "hostile", "--route", "/slow/"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_trickling_site_is_cut_off_at_the_deadline(
    tmp_path: Path, trickle: Hostile, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(site_module, "DEADLINE_S", DEADLINE, raising=False)
    config = write_config(tmp_path, trickle.url)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["--config", str(config), *COMMANDS[name]])
    took = time.monotonic() - started
    error = result.exception
    assert isinstance(error, SiteUnreachable), result.output
    assert f"within the {DEADLINE:g} s deadline" in error.one_line()
    assert "GET /" in error.one_line()
    assert took < DEADLINE + 3  # the first request is cut at the deadline: no retries
    assert time.monotonic() - trickle.started < TRICKLE_BUDGET_S  # not the server's doing


def _run_measuring_memory(args: list[str], timeout: float) -> tuple[int, str, int]:
    """Run the real `parity` CLI; (exit code, stderr, peak RSS in KiB of that process)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "parity.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, stderr, usage.ru_maxrss


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_endless_body_is_refused_at_the_cap_in_bounded_memory(
    tmp_path: Path, endless: Hostile, name: str
) -> None:
    config = write_config(tmp_path, endless.url)
    code, stderr, peak_kib = _run_measuring_memory(
        ["--config", str(config), *COMMANDS[name]], timeout=60
    )
    lines = stderr.strip().splitlines()
    assert code == 2, stderr
    assert lines[-1].startswith("error: site of hostile at 127.0.0.1:"), stderr
    assert "GET /" in lines[-1] and "over the 32 MiB cap" in lines[-1]
    assert "Traceback" not in stderr
    assert "timeout" not in stderr.lower() and "in time" not in stderr
    # The cap (32 MiB, held while reading and once more when joined) plus the interpreter
    # and its libraries: bounded, and far from what the server would send (the unbounded
    # read grew to 6.4 GB in 30 s).
    assert peak_kib < 400 * 1024, f"peak RSS {peak_kib // 1024} MiB"
