"""`parity serve` really listening, against the real sandbox, and its dashboard in Debian's
chromium (selenium with /usr/bin/chromedriver; no driver is ever downloaded).

The service runs as a subprocess on a copy of the sandbox's parity.toml with 1-second
intervals and a webhook pointing at a receiver in this test; waits are bounded waits on
a condition, never timed assertions.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import MySQLdb
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_helpers import Receiver, answers, running_service, wait_for

from parity.config import load_settings
from parity.sandbox import Sandbox

pytestmark = pytest.mark.integration

TOKEN = "integration-token-7f3a"
BROKER_SECRET = "broker-Secret-5c1e"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's parity.toml plus a [monitor] section: 1 s interval, our webhook; and a
    Celery broker nobody answers on (its password must never show)."""
    copy = tmp_path_factory.mktemp("serve") / "parity.toml"
    shutil.copyfile(sandbox.config_path, copy)
    with copy.open("a", encoding="utf-8") as out:
        out.write(
            "\n[monitor]\ninterval_s = 1\n\n[monitor.deploy]\ndrift_interval_s = 2\n\n"
            f'[[monitor.alerts]]\nname = "local"\nurl = "{receiver.url}"\n'
        )
        if "[jobs]" not in sandbox.config_path.read_text("utf-8"):
            out.write(f'\n[jobs]\nbroker = "redis://:{BROKER_SECRET}@127.0.0.1:1/0"\n')
    copy.chmod(0o600)
    return copy


@pytest.fixture(scope="module")
def service(config: Path) -> Iterator[str]:
    """`parity serve` on a free port; its base URL."""
    with running_service(config, env={"PARITY_SERVE_TOKEN": TOKEN}) as base:
        yield base


def test_both_environments_turn_green_up(service: str) -> None:
    def all_up() -> bool:
        found = answers(service)
        return all(found[env]["up"]["level"] == "green" for env in ("production", "staging"))

    wait_for("production and staging up", all_up)
    body = httpx.get(f"{service}/api/status").json()
    staging = next(e for e in body["environments"] if e["environment"] == "staging")
    names = {c["name"] for c in staging["checks"]}
    assert names == {"home", "post", "rest-api", "wp-login", "admin", "cache-hit"}
    assert body["schema_version"] == 1


def test_metrics_parse_and_name_probe_success(service: str) -> None:
    wait_for("a probe", lambda: "probe_success{" in httpx.get(f"{service}/metrics").text)
    text = httpx.get(f"{service}/metrics").text
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {"probe_success", "probe_duration_seconds", "parity_answer_level"} <= names


def test_writes_need_the_token_over_the_wire(service: str) -> None:
    window = {"environment": "staging", "duration": "2s", "reason": "test"}
    refused = httpx.post(f"{service}/api/maintenance", json=window)
    assert refused.status_code == 401 and refused.json()["ok"] is False
    done = httpx.post(
        f"{service}/api/maintenance", json=window, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert done.status_code == 201


def test_deploy_mark_then_drift_is_shown_since_the_marker(
    service: str, config: Path, run_parity: Any, sandbox: Sandbox
) -> None:
    marked = run_parity(
        "--config", str(config), "deploy", "mark", "staging", "--version", "t1", "--format", "json"
    )
    assert marked.returncode == 0, marked.stderr
    marker = json.loads(marked.stdout)["deploy"]
    assert marker["environment"] == "staging" and marker["snapshot_id"]
    prefix = load_settings(config, env={}).environment("staging").table_prefix
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(), database=sandbox.database("staging"), autocommit=True
    )
    cur = conn.cursor()
    cur.execute(f"SELECT option_value FROM {prefix}options WHERE option_name = 'blogdescription'")
    (before,) = cur.fetchone()
    change = f"UPDATE {prefix}options SET option_value = %s WHERE option_name = 'blogdescription'"
    cur.execute(change, ("changed by a deploy",))

    def drift_shown() -> str:
        deploy = answers(service)["staging"]["deploy"]
        return deploy["reason"] if "blogdescription" in deploy["reason"] else ""

    try:
        reason = wait_for("drift since the marker", drift_shown)
    finally:
        cur.execute(change, (before,))  # the session's sandbox stays as installed
        conn.close()
    assert reason.startswith(f"deploy #{marker['id']} (t1)")


def test_a_port_in_use_is_one_line_and_exit_2(config: Path, run_parity: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_parity("--config", str(config), "serve", "--port", str(port), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: port {port} on 127.0.0.1 is already in use (pick another with --port)"
    ]


def test_binding_beyond_loopback_needs_the_token(config: Path, run_parity: Any) -> None:
    result = run_parity(
        "--config",
        str(config),
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "1",
        env={"PARITY_SERVE_TOKEN": ""},
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs PARITY_SERVE_TOKEN" in result.stderr


def test_status_prints_the_four_answers_from_the_same_data(
    service: str, config: Path, run_parity: Any
) -> None:
    result = run_parity("--config", str(config), "status", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    body = json.loads(result.stdout)
    assert {e["environment"] for e in body["environments"]} == {"production", "staging"}
    assert all(list(e["answers"]) == ["up", "slow", "jobs", "deploy"] for e in body["environments"])
    assert result.returncode == (0 if body["ok"] else 1)


def test_dashboard_in_real_chromium(service: str, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    wait_for(
        "both environments probed",
        lambda: all(a["up"]["level"] == "green" for a in answers(service).values()),
    )
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"{service}/")
        for env in ("production", "staging"):
            section = driver.find_element(By.ID, f"env-{env}")
            found = {
                a.get_attribute("data-question"): a.get_attribute("data-level")
                for a in section.find_elements(By.CSS_SELECTOR, ".answer")
            }
            assert set(found) == {"up", "slow", "jobs", "deploy"}
            assert found["up"] == "green"
        # The Workers section: none up, the broker unreachable, its URL never shown.
        workers = driver.find_element(By.ID, "workers")
        assert "0 up" in workers.text and "did not answer" in workers.text
        assert BROKER_SECRET not in driver.page_source
        driver.find_element(By.CSS_SELECTOR, 'a[href="/checks/staging/home"]').click()
        assert "staging/home" in driver.find_element(By.TAG_NAME, "h1").text
        assert "status == 200" in driver.page_source
        shot = tmp_path / "dashboard-check.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 0
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
