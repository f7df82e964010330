"""Real Varnish and nginx, run on rendered rules in front of tiny local backends.

The backends answer every request with the response headers the test asks for (JSON in
the ``X-Test-Response`` request header) and record what reached them (path and Cookie),
so a test can see which requests the cache let through.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import socketserver
import struct
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

__all__ = [
    "Backend",
    "Reply",
    "fastcgi_backend",
    "fetch",
    "free_port",
    "http_backend",
    "nginx_binary",
    "nginx_wrapper",
    "run_nginx",
    "run_varnish",
    "varnishd_binary",
]


def varnishd_binary() -> str:
    """varnishd, a hard requirement of these tests."""
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail("varnishd is required: apt-get install varnish")
    return found


def nginx_binary() -> str:
    """nginx, a hard requirement of these tests."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail("nginx is required: apt-get install nginx-light")
    return found


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"{what} exited with {process.returncode}: {output}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port}")


@dataclass
class Backend:
    """What reached a backend: (path, Cookie header) per request."""

    port: int
    seen: list[tuple[str, str]] = field(default_factory=list)

    def count(self, path: str) -> int:
        """How many requests for ``path`` reached the backend."""
        return sum(1 for p, _ in self.seen if p == path)


def _response_headers(raw: str) -> dict[str, str]:
    return dict(json.loads(raw)) if raw else {}


@contextlib.contextmanager
def http_backend() -> Iterator[Backend]:
    """An HTTP backend (for Varnish) on a free port."""
    backend = Backend(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            backend.seen.append((self.path, self.headers.get("Cookie", "")))
            body = b"hello\n"
            self.send_response(200)
            for name, value in _response_headers(self.headers.get("X-Test-Response", "")).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    backend.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield backend
    finally:
        server.shutdown()
        server.server_close()


def _fcgi_record(kind: int, request_id: int, content: bytes) -> bytes:
    return struct.pack("!BBHHBx", 1, kind, request_id, len(content), 0) + content


def _fcgi_params(data: bytes) -> dict[str, str]:
    params = {}
    position = 0
    while position < len(data):
        lengths = []
        for _ in range(2):
            if data[position] >> 7:
                lengths.append(struct.unpack("!I", data[position : position + 4])[0] & 0x7FFFFFFF)
                position += 4
            else:
                lengths.append(data[position])
                position += 1
        name = data[position : position + lengths[0]].decode("latin-1")
        position += lengths[0]
        params[name] = data[position : position + lengths[1]].decode("latin-1")
        position += lengths[1]
    return params


@contextlib.contextmanager
def fastcgi_backend() -> Iterator[Backend]:
    """A FastCGI responder (for nginx) on a free port: the FastCGI 1.0 records it needs."""
    backend = Backend(port=0)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            stream = self.request.makefile("rb")
            params = b""
            request_id = 1
            while True:
                header = stream.read(8)
                if len(header) < 8:
                    return
                _, kind, request_id, length, padding = struct.unpack("!BBHHBx", header)
                content = stream.read(length)
                stream.read(padding)
                if kind == 4:  # FCGI_PARAMS
                    params += content
                elif kind == 5 and not content:  # the end of FCGI_STDIN
                    break
            values = _fcgi_params(params)
            uri = values.get("REQUEST_URI", "")
            backend.seen.append((uri, values.get("HTTP_COOKIE", "")))
            headers = _response_headers(values.get("HTTP_X_TEST_RESPONSE", ""))
            head = "Status: 200 OK\r\nContent-Type: text/plain\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            body = (head + "\r\nhello\n").encode("latin-1")
            reply = _fcgi_record(6, request_id, body) + _fcgi_record(6, request_id, b"")
            reply += _fcgi_record(3, request_id, struct.pack("!IB3x", 0, 0))
            self.request.sendall(reply)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    backend.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield backend
    finally:
        server.shutdown()
        server.server_close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def run_varnish(vcl: Path, port: int, workdir: Path) -> Iterator[None]:
    """varnishd in the foreground on ``vcl``, listening on 127.0.0.1:``port``."""
    argv = [
        varnishd_binary(),
        "-F",
        "-j",
        "none",
        "-n",
        str(workdir.resolve()),
        "-a",
        f"127.0.0.1:{port}",
        "-f",
        str(vcl.resolve()),
        "-s",
        "malloc,16m",
        "-p",
        "thread_pools=1",
        "-p",
        "thread_pool_min=5",
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "varnishd")
        yield
    finally:
        _stop(process)


NGINX_WRAPPER = """\
daemon off;
master_process off;
pid {root}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    include {root}/parity-cache.conf;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param SCRIPT_FILENAME /srv/index.php;
            fastcgi_param HTTP_COOKIE $parity_forward_cookie;
            fastcgi_pass 127.0.0.1:{backend};
        }}
    }}
}}
"""


def nginx_wrapper(root: Path, rendered: str, port: int, backend: int) -> Path:
    """Write the rendered config and a minimal nginx.conf including it; the latter's path."""
    (root / "parity-cache.conf").write_text(rendered, encoding="utf-8")
    config = root / "nginx.conf"
    config.write_text(NGINX_WRAPPER.format(root=root, port=port, backend=backend), "utf-8")
    return config


@contextlib.contextmanager
def run_nginx(root: Path, config: Path, port: int) -> Iterator[None]:
    """nginx in the foreground (one process) on ``config``."""
    argv = [nginx_binary(), "-p", str(root), "-c", str(config), "-e", "stderr"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "nginx")
        yield
    finally:
        _stop(process)


@dataclass(frozen=True)
class Reply:
    """What a client got: status and headers (lower-case names)."""

    status: int
    headers: Mapping[str, str]

    @property
    def x_cache(self) -> str:
        """The X-Cache header."""
        return self.headers.get("x-cache", "")

    @property
    def rule(self) -> str:
        """The X-Cache-Rule header."""
        return self.headers.get("x-cache-rule", "")


def fetch(
    port: int,
    method: str,
    url: str,
    headers: Mapping[str, str],
    source: str = "127.0.0.1",
) -> Reply:
    """One request to 127.0.0.1:``port`` from ``source``."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.request(
            method, url, body=b"x=1" if method == "POST" else None, headers=dict(headers)
        )
        response = connection.getresponse()
        response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()
