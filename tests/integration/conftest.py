"""Integration fixtures: one real sandbox per test session, on ports of its own.

The test sandbox uses every default port plus 100 (MariaDB 3506, nginx 8501/8502,
Varnish 8181/8182, varnishadm 6191/6192), so a demo sandbox on the defaults can run at
the same time. When those ports are busy (another test session on this machine), it moves
on by 1000 (4506, 9501/9502, ...); ``PARITY_TEST_PORT_OFFSET`` fixes the offset instead.
Tests that start extra sandboxes use the offset plus 50 and 70; test modules that change
staging for good run on a private sandbox at the offset plus 200. If the sandbox cannot
start, the fixture raises: tests that need it fail, they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
from store_helpers import SERVICES

from parity.sandbox import Sandbox, SandboxPorts
from parity.sandbox.processes import port_is_free

#: Port offset (added to the session's) of the private sandbox of destructive test modules.
PRIVATE_OFFSET = 200


def _pick_port_offset() -> int:
    fixed = os.environ.get("PARITY_TEST_PORT_OFFSET")
    if fixed:
        return int(fixed)
    for offset in (100, 1100, 2100, 3100):
        ports = {
            port
            for extra in (0, 50, 70, PRIVATE_OFFSET)
            for port in SandboxPorts.with_offset(offset + extra).as_dict().values()
        }
        if all(port_is_free(port) for port in ports):
            return offset
    return 100  # all busy: the fixture's error will name the port


@pytest.fixture(scope="session")
def sandbox_port_offset() -> int:
    """The session sandbox's port offset; other sandboxes in tests add to it."""
    return _pick_port_offset()


@pytest.fixture(scope="session")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, sandbox_port_offset: int
) -> Iterator[Sandbox]:
    """A running sandbox in a temporary state dir, stopped and purged after the session."""
    ports = SandboxPorts.with_offset(sandbox_port_offset)
    box = Sandbox(tmp_path_factory.mktemp("sandbox"), ports)
    try:
        box.up(services=SERVICES)
    except BaseException:
        box.down(purge=True)  # stop whatever did start, then let the error fail the tests
        raise
    try:
        yield box
    finally:
        box.down(purge=True)


@pytest.fixture(scope="module")
def root(sandbox: Sandbox) -> Iterator[Any]:
    """Root on staging's database (autocommit), of whichever sandbox the module uses."""
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(),
        database=sandbox.database("staging"),
        autocommit=True,
        charset="utf8mb4",
    )
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="session")
def parity_config(sandbox: Sandbox) -> Path:
    """The parity.toml the session's sandbox wrote (production and staging)."""
    return sandbox.config_path


@pytest.fixture(scope="module")
def private_sandbox(
    tmp_path_factory: pytest.TempPathFactory, sandbox_port_offset: int
) -> Iterator[Sandbox]:
    """A sandbox of the test module's own, for tests that change staging for good
    (a refresh, an import): the session's shared sandbox stays as installed for the
    modules that compare environments. Override ``sandbox`` with it in such a module::

        @pytest.fixture(scope="module")
        def sandbox(private_sandbox: Sandbox) -> Sandbox:
            return private_sandbox
    """
    ports = SandboxPorts.with_offset(sandbox_port_offset + PRIVATE_OFFSET)
    box = Sandbox(tmp_path_factory.mktemp("private-sandbox"), ports)
    try:
        box.up(services=SERVICES)
    except BaseException:
        box.down(purge=True)
        raise
    try:
        yield box
    finally:
        box.down(purge=True)
