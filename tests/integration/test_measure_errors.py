"""`parity measure` flags samples that were not 2xx, and `compare` refuses them (issue 11,
item 9): a 500 or a 302 is timed like any answer, but it times an error page or a
redirect, not the route. Against the real sandbox: Debian's WordPress answers
``/wp-includes/rss.php`` with a PHP fatal error (500) and ``/wp-admin/`` anonymously with
a redirect to the login (302)."""

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

ERROR_PAGE = "/wp-includes/rss.php"
REDIRECT = "/wp-admin/"


def measure_cli(config: Path, *args: str) -> Any:
    """`parity measure ...` in-process, registered as the app registers it."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config=config)

    app.add_typer(measure_cmd.app, name="measure")
    return CliRunner().invoke(app, ["measure", *args], env={"COLUMNS": "200"})


def measure_json(config: Path, *routes: str) -> tuple[int, list[dict[str, Any]], str]:
    result = measure_cli(config, "staging", *routes, "--samples", "3", "-f", "json")
    measured: list[dict[str, Any]] = json.loads(result.stdout)["measurements"]
    return result.exit_code, measured, result.stderr


def test_non_2xx_samples_are_saved_flagged_and_make_measure_exit_1(
    parity_config: Path,
) -> None:
    code, measured, stderr = measure_json(parity_config, ERROR_PAGE, REDIRECT, "/")
    assert code == 1, stderr
    error_page, redirect, home = measured
    assert [s["http_status"] for s in error_page["samples"]] == [500] * 3
    assert error_page["non_2xx"] == 3 and error_page["http_statuses"] == {"500": 3}
    assert [s["http_status"] for s in redirect["samples"]] == [302] * 3
    assert redirect["non_2xx"] == 3 and redirect["http_statuses"] == {"302": 3}
    assert home["non_2xx"] == 0 and home["http_statuses"] == {"200": 3}
    assert f"staging {ERROR_PAGE} warm: 3 of 3 samples were not 2xx (HTTP 500 x3)" in stderr
    assert f"staging {REDIRECT} warm: 3 of 3 samples were not 2xx (HTTP 302 x3)" in stderr


def test_the_table_names_the_non_2xx_samples_too(parity_config: Path) -> None:
    result = measure_cli(parity_config, "staging", ERROR_PAGE, "--samples", "2")
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert f"staging {ERROR_PAGE} warm: 2 of 2 samples were not 2xx (HTTP 500 x2)" in text
    assert "--allow-errors" in text


def test_all_2xx_measures_still_exit_0(parity_config: Path) -> None:
    code, measured, stderr = measure_json(parity_config, "/")
    assert code == 0, stderr
    assert measured[0]["non_2xx"] == 0


def test_compare_refuses_measurements_with_non_2xx_samples_unless_allowed(
    parity_config: Path,
) -> None:
    _, (a,), _ = measure_json(parity_config, ERROR_PAGE)
    _, (b,), _ = measure_json(parity_config, ERROR_PAGE)
    refused = measure_cli(parity_config, "compare", str(a["id"]), str(b["id"]), "-f", "json")
    assert refused.exit_code == 2, refused.output
    comparison = json.loads(refused.stdout)["comparison"]
    assert comparison["verdict"] == "refused"
    assert comparison["p_value"] is None and comparison["median_ratio"] is None
    message = comparison["message"]
    assert f"A (#{a['id']} staging {ERROR_PAGE} warm) 3 of 3 samples were not 2xx" in message
    assert f"B (#{b['id']} staging {ERROR_PAGE} warm) 3 of 3 samples were not 2xx" in message
    assert "--allow-errors" in message

    table = measure_cli(parity_config, "compare", str(a["id"]), str(b["id"]))
    assert table.exit_code == 2
    assert "were not 2xx" in " ".join(table.stdout.split())

    allowed = measure_cli(
        parity_config, "compare", str(a["id"]), str(b["id"]), "--allow-errors", "-f", "json"
    )
    assert allowed.exit_code in (0, 1), allowed.output
    assert json.loads(allowed.stdout)["comparison"]["verdict"] != "refused"


def test_a_refusal_for_the_cache_mix_names_the_non_2xx_samples_too(parity_config: Path) -> None:
    _, (good,), _ = measure_json(parity_config, "/sample-page/")
    _, (bad,), _ = measure_json(parity_config, REDIRECT)
    result = measure_cli(parity_config, "compare", str(good["id"]), str(bad["id"]), "-f", "json")
    assert result.exit_code == 2
    message = json.loads(result.stdout)["comparison"]["message"]
    assert message.startswith("refused: A was 100% HIT")
    assert f"also B (#{bad['id']} staging {REDIRECT} warm) 3 of 3 samples were not 2xx" in message
