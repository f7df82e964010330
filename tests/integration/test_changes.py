"""The change record on the real sandbox: baseline, one change, purge, compare, roll back.

The slow route is made by a sandbox fault (a must-use plugin that sleeps on one route);
the change removes it (`parity sandbox fault staging ROUTE --clear`) and the change's
rollback command puts it back. Runs on a private sandbox: it changes staging. Small
sample counts keep the module short; the verdicts come from parity's statistics.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from store_helpers import fresh_state_url, sandbox_config_text
from typer.testing import CliRunner, Result

from parity.changes.checklist import CHECKLIST
from parity.cli.main import app, main
from parity.config import load_settings
from parity.errors import InputError
from parity.sandbox import Sandbox
from parity.sandbox.faults import Fault, clear_faults, set_faults
from parity.store import open_store, schema
from parity.vocabulary import vocabulary_problems

pytestmark = pytest.mark.integration

SLOW = "/sample-page/"
OTHER = "/hello-world/"
SLEEP_MS = 200
SAMPLES = "8"
OPTION = "parity_test_plugin_settings"


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """Changes make and undo faults on staging: this module runs on a sandbox of its own."""
    return private_sandbox


def _parity(*args: str) -> str:
    """The command a person would type, with this interpreter's parity."""
    return shlex.join([sys.executable, "-m", "parity.cli.main", *args])


def _get(sandbox: Sandbox, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{sandbox.staging_url}{path}", params=params, timeout=30)


@pytest.fixture
def config(sandbox: Sandbox, root: Any, tmp_path: Path) -> Iterator[Path]:
    """The sandbox's parity.toml with a state store of this test's own; faults and the
    test's option removed afterwards."""
    path = tmp_path / "parity.toml"
    text = sandbox_config_text(sandbox)
    path.write_text(f'{text}\n[state]\nurl = "{fresh_state_url(sandbox, tmp_path)}"\n', "utf-8")
    with root.cursor() as cur:
        cur.execute("DELETE FROM wp_options WHERE option_name = %s", [OPTION])
    try:
        yield path
    finally:
        clear_faults(sandbox.layout, "staging")
        with root.cursor() as cur:
            cur.execute("DELETE FROM wp_options WHERE option_name = %s", [OPTION])


@pytest.fixture(scope="module")
def warmed(sandbox: Sandbox) -> None:
    """A few requests first, so that no baseline is of a PHP that has compiled nothing yet."""
    for n in range(4):
        for route in (SLOW, OTHER, "/"):
            _get(sandbox, route, warmup=f"{time.monotonic_ns()}-{n}")


@pytest.fixture
def slow(sandbox: Sandbox, config: Path, warmed: None) -> Path:
    """The slow route made slow by a fault (the config fixture clears it afterwards)."""
    set_faults(sandbox.layout, "staging", [Fault(SLOW, sleep_ms=SLEEP_MS)])
    return config


def _rollback_command(sandbox: Sandbox) -> str:
    return _parity(
        "sandbox", "fault", "staging", "--route", SLOW, "--sleep-ms", str(SLEEP_MS),
        "--state-dir", str(sandbox.state_dir),
    )  # fmt: skip


def _cli(config: Path, *args: str) -> Result:
    """`parity --config CONFIG ARGS...`, in this process (the refusals run the real one)."""
    return CliRunner().invoke(app, ["--config", str(config), *args], env={"COLUMNS": "200"})


def _open(config: Path, sandbox: Sandbox, name: str, *extra: str) -> Result:
    return _cli(
        config, "change", "open", name, "staging",
        "--route", SLOW, "--owner", "ana", "--expect", "median -20%",
        "--rollback", _rollback_command(sandbox), "--samples", SAMPLES, "--format", "json",
        *extra,
    )  # fmt: skip


DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"


def _documented(title: str) -> list[str]:
    """The ``Top-level keys:`` of ``## title`` in docs/json-output.md."""
    text = DOC.read_text("utf-8").split(f"\n## {title}\n", 1)[1]
    line = next(x for x in text.splitlines() if x.startswith("Top-level keys: "))
    return re.findall(r"`([^`]+)`", line)


def _json(done: Result, title: str | None = None) -> dict[str, Any]:
    """The JSON a command printed; with ``title``, held to its docs and the vocabulary."""
    assert done.stdout, done.output
    data: dict[str, Any] = json.loads(done.stdout)
    if title is not None:
        assert list(data) == _documented(title), title
        assert vocabulary_problems(data) == [], title
        assert data["ok"] is (done.exit_code == 0)
    return data


def _remove_the_slowness(config: Path, sandbox: Sandbox) -> None:
    state = ["--state-dir", str(sandbox.state_dir)]
    done = _cli(config, "sandbox", "fault", "staging", "--route", SLOW, "--clear", *state)
    assert done.exit_code == 0, done.output


def _changes_in(config: Path) -> list[Any]:
    """The change records in the config's state store (SQLite or PostgreSQL)."""
    url = load_settings(config).state_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    with open_store(url) as store, store.engine.connect() as conn:
        return list(conn.execute(select(schema.change_records.c.name)))


def test_removing_the_slowness_is_faster_expectation_met_only_its_route_purged_and_rollback_restores_it(  # noqa: E501
    sandbox: Sandbox, slow: Path
) -> None:
    config = slow
    opened = _open(
        config, sandbox, "faster-sample-page",
        "--query", "SELECT ID, post_title FROM wp_posts WHERE post_status = 'publish'",
        "--command", "echo checked; true", "--expect", "query rows_examined < 100000",
        "--expect", "command exit 0",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    baseline = _json(opened, "change open")["change"]["baseline"]
    assert {m["mode"] for m in baseline["measurements"]} == {"cold", "warm", "logged-in"}
    assert baseline["query"]["rows_examined"] >= 1 and "query_block" in baseline["query"]["plan"]
    assert baseline["command"]["exit_code"] == 0 and baseline["command"]["output_tail"] == "checked"

    # Another route, cached before the check: the check must leave it cached.
    _get(sandbox, OTHER)
    assert _get(sandbox, OTHER).headers.get("X-Cache", "").startswith("HIT")

    _remove_the_slowness(config, sandbox)
    checked = _cli(config, "change", "check", "faster-sample-page")
    assert checked.exit_code == 0, checked.output
    assert "faster, expectation met" in checked.stdout
    assert "p = " in checked.stdout and "ratio" in checked.stdout
    again = _json(
        _cli(config, "change", "check", "faster-sample-page", "-f", "json"), "change check"
    )
    assert again["check"]["verdict"] == "met"  # re-checked: each check is kept

    shown = _json(_cli(config, "change", "show", "faster-sample-page", "-f", "json"))
    check = shown["checks"][-1]
    assert check["verdict"] == "met"
    assert [e["met"] for e in check["expectations"]] == [True, True, True]
    cold = next(c for c in check["comparisons"] if c["mode"] == "cold")
    assert cold["verdict"] == "faster" and cold["p_value"] < 0.05 and cold["median_ratio"] < 0.8
    # Only the change's route was purged; the control route stayed a HIT.
    purge = check["purge"]
    assert [r["route"] for r in purge["routes"]] == [SLOW]
    assert purge["control"]["route"] != SLOW and purge["control"]["passed"]
    assert purge["control"]["after"][0]["cache"] == "HIT"
    assert _get(sandbox, OTHER).headers.get("X-Cache", "").startswith("HIT")
    assert check["drift"]["things"] == ["plugin mu-plugins/parity-faults.php (removed)"]

    undone = _cli(config, "change", "rollback", "faster-sample-page")
    assert undone.exit_code == 0, undone.output
    assert "back at its baseline" in undone.stdout
    assert _get(sandbox, SLOW, fresh=str(time.monotonic_ns())).elapsed.total_seconds() >= (
        SLEEP_MS / 1000
    )  # the fault is back: the sleep really runs again (a lower bound, not a timing)
    record = _json(
        _cli(config, "change", "show", "faster-sample-page", "-f", "json"), "change show"
    )
    assert record["checks"][-1]["kind"] == "rollback"
    assert record["checks"][-1]["back_at_baseline"] is True
    assert record["checks"][-1]["drift"]["things"] == []
    twice = _cli(config, "change", "rollback", "faster-sample-page")
    assert isinstance(twice.exception, InputError)  # the rollback command is not run twice
    assert "already rolled back" in twice.exception.one_line()
    listed = _json(_cli(config, "change", "list", "-f", "json"), "change list")
    assert listed["changes"][0]["status"] == "rolled back"

    markdown = _cli(config, "change", "show", "faster-sample-page", "--format", "markdown").stdout
    items = {line.split("**")[1]: line for line in markdown.splitlines() if "**" in line}
    for _key, title in CHECKLIST:
        assert f"- [x] **{title}**" in markdown, f"{title} not done:\n{markdown}"
    assert "X-Cache" in items[CHECKLIST[1][1]] and "PASS" in items[CHECKLIST[1][1]]
    assert "PASS" in items[CHECKLIST[2][1]]
    assert f"purged {SLOW}" in items[CHECKLIST[3][1]] and "stayed cached" in items[CHECKLIST[3][1]]
    assert "faster" in items[CHECKLIST[4][1]] and "p = " in items[CHECKLIST[4][1]]
    assert "parity-faults.php" in items[CHECKLIST[5][1]]
    assert "--sleep-ms" in items[CHECKLIST[6][1]] and "back at its baseline" in markdown


def test_a_change_that_also_alters_a_plugin_option_warns_that_two_things_changed(
    sandbox: Sandbox, slow: Path, root: Any
) -> None:
    config = slow
    with root.cursor() as cur:
        cur.execute(
            "INSERT INTO wp_options (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
            [OPTION, 'a:1:{s:5:"limit";i:10;}'],
        )
    opened = _open(config, sandbox, "two-things")
    assert opened.exit_code == 0, opened.output
    _remove_the_slowness(config, sandbox)
    with root.cursor() as cur:
        cur.execute(
            "UPDATE wp_options SET option_value = %s WHERE option_name = %s",
            ['a:1:{s:5:"limit";i:50;}', OPTION],
        )
    checked = _cli(config, "change", "check", "two-things", "--format", "json")
    warnings = _json(checked, "change check")["check"]["warnings"]
    assert [w["severity"] for w in warnings] == ["warn"]
    assert "two things changed" in warnings[0]["message"]
    assert "parity-faults.php" in warnings[0]["message"]
    assert OPTION in warnings[0]["message"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["staging", "--route", SLOW], "without a ready rollback"),
        (["production", "--route", SLOW, "--rollback", "true"], "protected"),
        (["staging", "--route", "/no-such-page/", "--rollback", "true"], "HTTP 404"),
    ],
    ids=["no-rollback", "protected", "route-404"],
)
def test_a_change_is_not_opened_without_rollback_on_production_or_on_a_404(
    config: Path,
    args: list[str],
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", [
        "parity", "--config", str(config), "change", "open", "refused", *args,
        "--owner", "ana", "--expect", "median -20%",
    ])  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        main()  # the real entry point: its error handler makes the one line and the exit
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0]
    assert _changes_in(config) == []
