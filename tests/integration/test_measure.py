"""`parity measure` against the real sandbox: each mode labels its samples, and a cold page
is never compared with a cached one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parity.cli import measure_cmd
from parity.cli.context import CliState

pytestmark = pytest.mark.integration


def measure_cli(config: Path, *args: str) -> Any:
    """`parity measure ...` in-process, registered as the app registers it."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config=config)

    app.add_typer(measure_cmd.app, name="measure")
    return CliRunner().invoke(app, ["measure", *args], env={"COLUMNS": "200"})


def measure(config: Path, env: str, mode: str, *routes: str) -> list[dict[str, Any]]:
    result = measure_cli(config, env, *routes, "--mode", mode, "--samples", "4", "-f", "json")
    assert result.exit_code == 0, result.output
    measured: list[dict[str, Any]] = json.loads(result.stdout)["measurements"]
    return measured


@pytest.mark.parametrize(
    ("env", "mode", "status"),
    [
        ("production", "cold", "MISS"),  # purges before each sample: allowed on production
        ("staging", "warm", "HIT"),
        ("staging", "logged-in", "PASS"),
    ],
)
def test_each_mode_labels_its_samples(
    parity_config: Path, env: str, mode: str, status: str
) -> None:
    measured = measure(parity_config, env, mode, "/", "/hello-world/")
    assert [m["route"] for m in measured] == ["/", "/hello-world/"]
    for m in measured:
        assert [s["cache_status"] for s in m["samples"]] == [status] * 4
        assert all(s["http_status"] == 200 and s["duration_s"] > 0 for s in m["samples"])
        assert m["unexpected"] == 0
        assert m["summary"]["cache_mix"] == {status: 4}
        if mode == "warm":
            assert all(s["age"] is not None for s in m["samples"])


def test_compare_refuses_a_cold_measurement_against_a_warm_one(parity_config: Path) -> None:
    (cold,) = measure(parity_config, "staging", "cold", "/sample-page/")
    (warm,) = measure(parity_config, "staging", "warm", "/sample-page/")
    result = measure_cli(parity_config, "compare", str(cold["id"]), str(warm["id"]))
    assert result.exit_code == 2
    assert "you are comparing a cold page with a cached one" in result.output
    (again,) = measure(parity_config, "staging", "warm", "/sample-page/")
    same_state = measure_cli(
        parity_config, "compare", str(warm["id"]), str(again["id"]), "-f", "json"
    )
    assert same_state.exit_code == 0, same_state.output
    assert json.loads(same_state.stdout)["comparison"]["verdict"] == "no difference"
