"""Faults on purpose: a sandbox route made slow or failing by a must-use plugin, then cleared."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from parity.sandbox import Sandbox
from parity.sandbox.faults import FAULTS_FILE

pytestmark = pytest.mark.integration

ROUTE = "/parity-fault-check/"


def _get(sandbox: Sandbox, path: str) -> httpx.Response:
    # A query string of its own each time: Varnish never answers from its cache here.
    return httpx.get(f"{sandbox.staging_url}{path}?nocache={time.monotonic_ns()}", timeout=30)


def test_a_route_answers_the_faults_status_until_it_is_cleared(
    sandbox: Sandbox, run_parity: Any
) -> None:
    state = ["--state-dir", str(sandbox.state_dir)]
    plugin = sandbox.layout.wp_content("staging") / "mu-plugins" / FAULTS_FILE
    before = _get(sandbox, ROUTE).status_code
    assert before == 404
    done = run_parity("sandbox", "fault", "staging", "--route", ROUTE, "--status", "500", *state)
    assert done.returncode == 0, done.stderr
    assert plugin.is_file()
    try:
        answer = _get(sandbox, ROUTE)
        assert answer.status_code == 500
        assert "on purpose" in answer.text
        assert _get(sandbox, "/").status_code == 200  # other routes are untouched
    finally:
        cleared = run_parity("sandbox", "fault", "staging", "--clear", *state)
    assert cleared.returncode == 0, cleared.stderr
    assert not plugin.exists()
    assert _get(sandbox, ROUTE).status_code == before


def test_a_slow_fault_delays_the_answer_by_at_least_its_sleep(
    sandbox: Sandbox, run_parity: Any
) -> None:
    state = ["--state-dir", str(sandbox.state_dir)]
    done = run_parity(
        "sandbox", "fault", "staging", "-r", ROUTE, "--sleep-ms", "400", "--format", "json", *state
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["faults"] == [{"route": ROUTE, "sleep_ms": 400, "status": None}]
    try:
        started = time.monotonic()
        _get(sandbox, ROUTE)
        assert time.monotonic() - started >= 0.4  # a lower bound: the sleep really ran
    finally:
        run_parity("sandbox", "fault", "staging", "--clear", *state)


def test_a_fault_needs_a_plain_route_and_an_effect(sandbox: Sandbox, run_parity: Any) -> None:
    state = ["--state-dir", str(sandbox.state_dir)]
    for args in (
        ["-r", "/x?y=1", "--status", "500"],
        ["-r", "/x/"],
        ["-r", "nope", "--status", "500"],
    ):
        done = run_parity("sandbox", "fault", "staging", *args, *state)
        assert done.returncode == 2, done.stdout
        assert done.stderr.startswith("error:")


def test_php_down_stops_only_that_sites_php_until_it_is_started_again(
    sandbox: Sandbox, run_parity: Any
) -> None:
    state = ["--state-dir", str(sandbox.state_dir)]
    production_pid = sandbox.status().process("php-fpm-production").pid
    stopped = run_parity("sandbox", "fault", "staging", "--php", "down", "--format", "json", *state)
    try:
        assert stopped.returncode == 0, stopped.stderr
        assert json.loads(stopped.stdout)["php"] == "stopped"
        assert not sandbox.status().process("php-fpm-staging").running
        assert _get(sandbox, "/wp-login.php").status_code >= 500  # nginx cannot reach PHP
        production = httpx.get(f"{sandbox.production_url}/wp-login.php", timeout=30)
        assert production.status_code == 200  # production's own PHP is untouched
    finally:
        started = run_parity("sandbox", "fault", "staging", "--php", "up", *state)
    assert started.returncode == 0, started.stderr
    status = sandbox.status()
    assert status.process("php-fpm-staging").running
    assert status.process("php-fpm-production").pid == production_pid
    assert _get(sandbox, "/wp-login.php").status_code == 200
