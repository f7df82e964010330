"""`parity serve` against a sandbox that misbehaves for real: staging's PHP-FPM stopped, a
route made slow, a job whose expected result fails, a deploy that changes an option and
slows a route, WordPress cron events overdue, and a refresh of staging.

Runs on a private sandbox (its staging is broken and refreshed on purpose). One service
runs for the whole module with 1-second intervals and a webhook pointing at a receiver in
this test; the tests run in file order and each leaves staging serving again. Waits are
bounded waits on a condition, never timed assertions; the A/A run observes for two
minutes because that is what it asserts on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import Receiver, answers, running_service, wait_for

from parity.config import load_settings
from parity.sandbox import Sandbox
from parity.sandbox.faults import Fault, clear_faults, set_faults
from parity.sandbox.option_change import set_serialized_option_value
from parity.wordpress.phpvalue import php_serialize, php_unserialize

pytestmark = pytest.mark.integration

JOB = "nightly-digest"
PLUGIN_OPTION = "parity_test_plugin_settings"
#: How long the A/A run watches an unchanged pair of sites.
A_A_SECONDS = 120.0


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    return private_sandbox


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's parity.toml plus 1 s checks, short deploy windows, our webhook, and a
    job whose expected result cannot pass. A route is slow only 100 ms or more slower
    than its baseline: on a shared 2-core machine under load, PHP pages drift by tens of
    milliseconds, and the faults here add 200-300 ms."""
    copy = tmp_path_factory.mktemp("serve-conditions") / "parity.toml"
    shutil.copyfile(sandbox.config_path, copy)
    with copy.open("a", encoding="utf-8") as out:
        out.write(
            f"""
[monitor]
interval_s = 1

[monitor.slow]
min_difference_ms = 100

[monitor.deploy]
drift_interval_s = 2
window = 10
min_samples = 5

[monitor.wp_cron]
interval_s = 2

[[monitor.alerts]]
name = "local"
url = "{receiver.url}"

[[jobs.declared]]
name = "{JOB}"
owner = "newsletter team"
description = "Build the nightly digest page."
command = ["true"]
expected = {{ http = "/", env = "staging", status = 200, contains = "no page says this" }}
rollback = {{ note = "Unpublish the digest page; nothing else changed." }}
"""
        )
    copy.chmod(0o600)
    return copy


@pytest.fixture(scope="module")
def service(config: Path) -> Iterator[str]:
    with running_service(config) as base:
        yield base


def staging(service: str) -> dict[str, Any]:
    return answers(service)["staging"]


def status_checks(service: str, environment: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{service}/api/status", timeout=10).json()
    return next(e for e in body["environments"] if e["environment"] == environment)["checks"]


def wp_login_results(service: str, limit: int) -> list[dict[str, Any]]:
    url = f"{service}/api/checks/staging/wp-login?limit={limit}"
    results: list[dict[str, Any]] = httpx.get(url, timeout=10).json()["results"]
    return results if len(results) == limit else []


def all_up(service: str) -> bool:
    found = answers(service)
    return all(found[env]["up"]["level"] == "green" for env in ("production", "staging"))


def test_both_environments_turn_green_first(service: str) -> None:
    wait_for("production and staging up", lambda: all_up(service), timeout=120)


@pytest.mark.slow
def test_an_a_a_run_of_two_minutes_at_one_second_raises_no_alert(
    service: str, receiver: Receiver
) -> None:
    wait_for("production and staging up", lambda: all_up(service), timeout=120)
    before = len(receiver.bodies)
    since = datetime.now().astimezone()
    started = time.monotonic()
    red: list[str] = []
    while time.monotonic() - started < A_A_SECONDS:
        for env, found in answers(service).items():
            red += [f"{env} {q}: {a['reason']}" for q, a in found.items() if a["level"] == "red"]
        time.sleep(2)
    assert receiver.bodies[before:] == []
    assert httpx.get(f"{service}/api/alerts", timeout=10).json()["alerts"] == []
    assert red == []
    # It really probed all along: at 1 s, well over 60 probes of a check in two minutes.
    home = httpx.get(f"{service}/api/checks/staging/home?limit=500", timeout=10).json()
    assert len([r for r in home["results"] if datetime.fromisoformat(r["at"]) >= since]) > 60


def test_staging_php_stopped_is_down_with_one_alert_then_up_with_one_resolve(
    service: str, receiver: Receiver, sandbox: Sandbox
) -> None:
    wait_for("production and staging up", lambda: all_up(service), timeout=120)
    sandbox.stop_php("staging")
    try:
        up = wait_for(
            "staging down",
            lambda: (a := staging(service)["up"])["level"] == "red" and a,
            timeout=60,
        )
        assert up["reason"].startswith("down: ")
        wait_for("the failure alert", lambda: receiver.of("staging", "down"), timeout=30)
        # Every page PHP renders fails (the admin, the login page); wait until at least two
        # checks are down: two checks down together are still one alert.
        wait_for(
            "two staging checks down",
            lambda: (
                len([c for c in status_checks(service, "staging") if c["health"] == "down"]) >= 2
            ),
            timeout=60,
        )
        assert answers(service)["production"]["up"]["level"] == "green"
        [failure] = receiver.of("staging", "down")
        assert failure["event"] == "failure" and failure["ok"] is False
        assert " is down: " in failure["reason"]
    finally:
        sandbox.start_php("staging")
    wait_for("staging up again", lambda: staging(service)["up"]["level"] == "green", timeout=90)
    wait_for("the resolve alert", lambda: len(receiver.of("staging", "down")) >= 2, timeout=30)
    assert [b["event"] for b in receiver.of("staging", "down")] == ["failure", "resolve"]
    assert receiver.of("production") == []


def test_a_slow_route_turns_slow_and_is_named_while_the_others_stay_green(
    service: str, sandbox: Sandbox
) -> None:
    # The route's whole baseline window (60 + 10 probes) good: none from while PHP was down.
    wait_for(
        "70 good probes of wp-login",
        lambda: all(r["ok"] for r in wp_login_results(service, 70)),
        timeout=240,
    )
    set_faults(sandbox.layout, "staging", [Fault("/wp-login.php", sleep_ms=200)])
    try:
        started = time.monotonic()
        httpx.get(f"{sandbox.staging_url}/wp-login.php", timeout=30)
        assert time.monotonic() - started >= 0.2  # a lower bound: the fault is in place
        slow = wait_for(
            "wp-login slow",
            lambda: (a := staging(service)["slow"])["level"] == "red" and a,
            timeout=120,
            explain=lambda: [(r["at"], r["duration_s"]) for r in wp_login_results(service, 30)],
        )
        assert slow["reason"].startswith("slow: wp-login /wp-login.php (")
        assert [i["check"] for i in slow["items"] if i["slow"]] == ["staging/wp-login"]
        assert staging(service)["up"]["level"] == "green"
    finally:
        clear_faults(sandbox.layout, "staging")
    wait_for("wp-login fast again", lambda: staging(service)["slow"]["level"] != "red", 120)


def test_a_job_whose_expected_result_fails_is_jobs_failing_with_owner_and_rollback(
    service: str, config: Path, run_parity: Any
) -> None:
    ran = run_parity("--config", str(config), "jobs", "run", JOB)
    assert ran.returncode == 1, ran.stderr  # the expected-result check failed
    jobs = wait_for("jobs failing", lambda: (a := staging(service)["jobs"])["level"] == "red" and a)
    assert jobs["reason"].startswith(f"jobs failing: {JOB}: ")
    assert "expected result failed" in jobs["reason"]
    assert "owner: newsletter team" in jobs["reason"]
    assert "rollback: Unpublish the digest page; nothing else changed." in jobs["reason"]
    [item] = [i for i in jobs["items"] if i["job"] == JOB]
    assert item["severity"] == "error" and item["owner"] == "newsletter team"
    assert answers(service)["production"]["jobs"]["level"] != "red"  # a staging job


def test_overdue_wordpress_cron_events_are_part_of_the_jobs_answer(service: str, root: Any) -> None:
    cursor = root.cursor()
    cursor.execute("SELECT option_value FROM wp_options WHERE option_name = 'cron'")
    (saved,) = cursor.fetchone()
    cron = php_unserialize(saved)
    assert isinstance(cron, dict)
    cron[1_000_000_000] = {  # September 2001: later than any event WordPress made itself
        "parity_test_overdue_hook": {
            "40cd750bba9870f18aada2478b24840a": {"schedule": False, "args": {}}
        }
    }
    update = "UPDATE wp_options SET option_value = %s WHERE option_name = 'cron'"
    cursor.execute(update, [php_serialize(cron)])
    try:
        item = wait_for(
            "the overdue event in the jobs answer",
            lambda: next(
                (
                    i
                    for i in staging(service)["jobs"]["items"]
                    if i["job"] == "wp-cron" and "parity_test_overdue_hook" in i["problem"]
                ),
                None,
            ),
        )
    finally:
        cursor.execute(update, [saved])
    assert item["severity"] == "warn" and item["environment"] == "staging"
    assert item["owner"] == "WordPress (WP-cron)"
    assert "WP-cron event" in item["problem"] and "overdue" in item["problem"]


def test_deploy_mark_then_an_option_change_and_a_slower_route_are_shown_since_the_deploy(
    service: str, config: Path, run_parity: Any, sandbox: Sandbox, root: Any
) -> None:
    cursor = root.cursor()
    cursor.execute(
        "INSERT INTO wp_options (option_name, option_value, autoload) VALUES (%s, %s, 'yes')",
        [PLUGIN_OPTION, php_serialize({"cache_minutes": 10, "enabled": 1})],
    )
    marked = run_parity(
        "--config", str(config), "deploy", "mark", "staging", "--version", "v2", "--format", "json"
    )
    assert marked.returncode == 0, marked.stderr
    env = load_settings(config, env={}).environment("staging")
    set_faults(sandbox.layout, "staging", [Fault("/wp-admin/", sleep_ms=300)])
    try:
        set_serialized_option_value(env, PLUGIN_OPTION, ["cache_minutes"], 0)

        def shown() -> dict[str, Any] | None:
            deploy = staging(service)["deploy"]
            admin = next(i for i in deploy["items"] if i["route"] == "admin")
            if PLUGIN_OPTION in deploy["reason"] and admin["change"] == "slower":
                return deploy
            return None

        deploy = wait_for("drift and a slower route since the deploy", shown, timeout=120)
    finally:
        clear_faults(sandbox.layout, "staging")
        cursor.execute("DELETE FROM wp_options WHERE option_name = %s", [PLUGIN_OPTION])
    assert deploy["reason"].startswith("deploy #") and "(v2)" in deploy["reason"]
    assert "slower: admin" in deploy["reason"]
    assert deploy["level"] == "red"
    slower = [i["route"] for i in deploy["items"] if i["change"] == "slower"]
    assert slower == ["admin"]  # only the slowed route
    page = httpx.get(f"{service}/", timeout=10).text
    assert PLUGIN_OPTION in page and "slower: admin" in page


def test_a_refresh_of_staging_is_shown_as_maintenance_and_sends_no_alert(
    service: str, config: Path, receiver: Receiver
) -> None:
    wait_for("staging up", lambda: staging(service)["up"]["level"] == "green", timeout=90)
    before = len(receiver.bodies)
    started = datetime.now().astimezone()
    parity = [sys.executable, "-m", "parity.cli.main", "--config", str(config)]
    # The refresh waits at its copy stage (the test hook) until the service has shown the
    # maintenance: a sandbox refresh is over in a few seconds, quicker than a check interval.
    marker = config.parent / f"refresh-paused-{time.monotonic_ns()}"
    hook = {"PARITY_REFRESH_PAUSE_AT": "copy", "PARITY_REFRESH_PAUSE_FILE": str(marker)}
    refresh = subprocess.Popen(
        [*parity, "refresh", "--from", "production", "--to", "staging", "--yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **hook},
    )
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while refresh.poll() is None:
        try:
            up = staging(service)["up"]
        except httpx.HTTPError:
            continue
        if up["reason"].startswith("maintenance until"):
            seen.append(up["level"])
        if marker.exists() and (seen or time.monotonic() > deadline):
            marker.unlink()  # shown (or given up on): the refresh goes on
        time.sleep(0.05)
    _, errors = refresh.communicate()
    ended = datetime.now().astimezone()
    assert refresh.returncode == 0, errors
    assert seen and set(seen) == {"amber"}
    windows = httpx.get(f"{service}/api/maintenance", timeout=10).json()["windows"]
    [window] = [w for w in windows if w["source"] == "refresh"]
    assert window["environment"] == "staging" and window["reason"] == "refresh from production"
    opened, closed = (datetime.fromisoformat(window[k]) for k in ("starts_at", "ends_at"))
    assert started <= opened and closed <= ended  # open for as long as the refresh ran
    # No alert for staging while its window was open (production's checks are not in it:
    # the refresh reads production, which may slow it).
    during = [
        b
        for b in receiver.bodies[before:]
        if b["environment"] == "staging" and opened <= datetime.fromisoformat(b["at"]) <= closed
    ]
    assert during == []
