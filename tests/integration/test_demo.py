"""`parity demo` end to end, in a subprocess, on a sandbox it starts itself.

The demo runs twice in a row on a fresh state directory and ports of its own (the session
offset plus 250), as a user would run it: the second run must work too (a new change
record, no slowness left behind, a service started and stopped again). The sandbox is
stopped and purged afterwards. Run with ``PARITY_TEST_PORT_OFFSET=2300`` beside other runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from parity.sandbox import Sandbox
from parity.sandbox.demo import STEPS
from parity.sandbox.demo.change_story import SLEEP_MS

pytestmark = pytest.mark.integration

#: Added to the session's port offset: clear of the shared (+0), extra (+50, +70) and
#: private (+200) sandboxes.
DEMO_OFFSET = 250
ARTICLES = 20


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's state directory; whatever the demo started is stopped and purged."""
    path = tmp_path_factory.mktemp("demo") / "sandbox"
    try:
        yield path
    finally:
        Sandbox(path).down(purge=True)


def _run_demo(state_dir: Path, offset: int) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PARITY_CONFIG"}
    environ["COLUMNS"] = "200"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "parity.cli.main",
            "demo",
            "--state-dir",
            str(state_dir),
            "--port-offset",
            str(offset),
            "--articles",
            str(ARTICLES),
        ],
        cwd=state_dir.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(state_dir: Path, sandbox_port_offset: int) -> list[subprocess.CompletedProcess[str]]:
    """Two runs of the demo in a row."""
    offset = sandbox_port_offset + DEMO_OFFSET
    return [_run_demo(state_dir, offset) for _ in range(2)]


def _sections(stdout: str) -> dict[str, str]:
    """Each step's output, by title (from its heading line to the next heading)."""
    titles = [step.title for step in STEPS]
    found: dict[str, str] = {}
    parts = re.split(r"^(\d+)\. (.+?) ─*$", stdout, flags=re.MULTILINE)
    for number, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        assert title == titles[int(number) - 1]
        found[title] = body
    return found


@pytest.mark.parametrize("run", [0, 1], ids=["first run", "second run"])
def test_the_demo_runs_every_step_and_ends_well(
    runs: list[subprocess.CompletedProcess[str]], run: int
) -> None:
    done = runs[run]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    sections = _sections(done.stdout)
    assert list(sections) == [step.title for step in STEPS]
    assert f"All {len(STEPS)} steps passed" in done.stdout


@pytest.mark.parametrize("run", [0, 1], ids=["first run", "second run"])
def test_drift_after_the_refresh_reports_no_findings(
    runs: list[subprocess.CompletedProcess[str]], run: int
) -> None:
    after = _sections(runs[run].stdout)["Compare again: staging now matches production"]
    assert "0 findings (0 error, 0 warn, 0 info)" in after


def test_the_first_comparison_finds_the_seeded_differences(
    runs: list[subprocess.CompletedProcess[str]],
) -> None:
    before = _sections(runs[0].stdout)["Compare production with staging"]
    assert re.search(r"\d+ findings \(\d+ error, [1-9]\d* warn", before), before


def test_the_change_on_staging_is_found_and_named(
    runs: list[subprocess.CompletedProcess[str]],
) -> None:
    for done in runs:
        found = _sections(done.stdout)["Compare again: the change is found, and named"]
        assert "found: options alphanode_seo_settings[sitemap][max_entries]: 1000 -> 50" in found


def test_cold_against_warm_is_refused_and_the_end_shows_where_to_look(
    runs: list[subprocess.CompletedProcess[str]], state_dir: Path
) -> None:
    done = runs[0]
    measure = _sections(done.stdout)["Measure cold and warm, and compare"]
    assert "you are comparing a cold page with a cached one" in measure
    sandbox = Sandbox(state_dir)
    assert sandbox.production_url in done.stdout and sandbox.staging_url in done.stdout
    assert str(sandbox.config_path) in done.stdout
    assert sandbox.admin_password not in done.stdout + done.stderr


@pytest.mark.parametrize("run", [0, 1], ids=["first run", "second run"])
def test_the_change_story_opens_checks_faster_with_p_and_ratio_and_rolls_back(
    runs: list[subprocess.CompletedProcess[str]], run: int
) -> None:
    sections = _sections(runs[run].stdout)
    opened = sections["A page turns slow: open a change record before touching anything"]
    assert re.search(r"opened change faster-sample-\d{8}-\d{6} on staging", opened), opened
    assert "the rollback is ready:" in opened and f"--sleep-ms {SLEEP_MS}" in opened
    checked = sections["Remove the slowness, then check the change"]
    assert "faster, expectation met" in checked, checked
    assert re.search(r"cold: median ratio 0\.\d+, p = [\d.e-]+", checked), checked
    assert "plugin mu-plugins/parity-faults.php (removed)" in checked
    rolled = sections["Roll the change back"]
    assert "rollback command exited 0:" in rolled and "--sleep-ms" in rolled, rolled
    assert "drift since the baseline: nothing changed" in rolled, rolled
    # The record's verdict also wants timings within 20% of the baseline: on a quiet
    # machine "back at its baseline"; on a busy one the demo names the load instead.
    assert "back at its baseline" in rolled or "load average" in rolled, rolled
    assert "--clear" in rolled  # the demo removes the slowness again


@pytest.mark.parametrize("run", [0, 1], ids=["first run", "second run"])
def test_the_service_starts_answers_up_for_both_sites_and_stops(
    runs: list[subprocess.CompletedProcess[str]], run: int
) -> None:
    served = _sections(runs[run].stdout)["Watch both sites as a service"]
    assert re.search(r"\$ parity --config \S+ serve --port \d+ &", served), served
    for env in ("production", "staging"):
        assert re.search(rf"{env}\W+up\W+green\W+up: \d+ of \d+ checks passing", served), served
        for question in ("slow", "jobs", "deploy"):
            assert re.search(rf"{env}\W+{question}\W+(green|amber|red)", served), served
    assert "parity serve stopped" in served
