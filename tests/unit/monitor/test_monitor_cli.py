"""`parity maintenance` and `parity status` on a config of their own (no sandbox needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parity.monitor.records import MonitorRecords
from parity.monitor.state import CheckState
from parity.store import open_store

CONFIG = """
[environments.staging]
url = "http://127.0.0.1:9"
db = "mysql://wp:pw@127.0.0.1:9/wp"
"""


def write_config(tmp_path: Path) -> None:
    (tmp_path / "parity.toml").write_text(CONFIG, encoding="utf-8")


def test_maintenance_opens_a_window_for_the_duration(tmp_path: Path, run_parity: Any) -> None:
    write_config(tmp_path)
    result = run_parity("maintenance", "staging", "--for", "15m", "--format", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["schema_version"] == 1 and body["ok"] is True
    window = body["window"]
    starts = datetime.fromisoformat(window["starts_at"])
    ends = datetime.fromisoformat(window["ends_at"])
    assert (ends - starts).total_seconds() == 900
    assert window["ends_at"].endswith("+00:00")


def test_maintenance_with_a_bad_duration_is_one_line_and_exit_2(
    tmp_path: Path, run_parity: Any
) -> None:
    write_config(tmp_path)
    result = run_parity("maintenance", "staging", "--for", "soon")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --for 'soon': must be a number of seconds or a duration such as 30s or 15m"
    ]


def test_status_exits_1_when_an_answer_is_red(tmp_path: Path, run_parity: Any) -> None:
    write_config(tmp_path)
    quiet = run_parity("status", "--format", "json")
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["environments"][0]["answers"]["up"]["level"] == "amber"
    with open_store(f"sqlite:///{tmp_path / '.parity' / 'state.db'}") as store:
        down = CheckState("down", failures=3, reason="status was 502, expected == 200")
        MonitorRecords(store).save_state(
            "staging/home", "staging", down, CheckState(), None, datetime.now(UTC)
        )
    red = run_parity("status", "staging")
    assert red.returncode == 1
    assert "home (status was 502, expected == 200)" in red.stdout
