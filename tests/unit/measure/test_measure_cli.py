"""`parity measure ENV --route ...` and `parity measure compare A B`, as the app registers
them (routes given the old way, as arguments, still work with a deprecation note)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from timing_site import PASSWORD, SITE_URL, TimingSite
from typer.testing import CliRunner

from parity.cli import measure_cmd
from parity.cli.context import CliState
from parity.config import Settings, settings_from_mapping
from parity.environments import EnvironmentSettings
from parity.measure.records import Measurement, save_measurement
from parity.measure.sample import TimedSample
from parity.store import open_store
from parity.targets.cache import HttpPurger
from parity.targets.site import Site

runner = CliRunner()


def settings(tmp_path: Path) -> Settings:
    env = {
        "url": SITE_URL,
        "db": "mysql://u:p@127.0.0.1:1/wp",
        "login": {"user": "admin", "password": PASSWORD},
        "cache": {"kind": "varnish", "purge_url": SITE_URL},
    }
    data = {
        "environments": {"staging": env},
        "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
    }
    return settings_from_mapping(data, tmp_path / "parity.toml", env={})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> TimingSite:
    site = TimingSite()

    def make_site(env: EnvironmentSettings, **kw: Any) -> Site:
        return Site(env, transport=site.transport())

    def make_purger(env: EnvironmentSettings) -> HttpPurger:
        return HttpPurger(env, transport=site.transport())

    monkeypatch.setattr(measure_cmd, "Site", make_site)
    monkeypatch.setattr(measure_cmd, "purger_for", make_purger)
    return site


def invoke(tmp_path: Path, *args: str) -> Any:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(_settings=settings(tmp_path))

    app.add_typer(measure_cmd.app, name="measure")
    return runner.invoke(app, ["measure", *args], env={"COLUMNS": "200"})


@pytest.mark.parametrize(
    ("mode", "status"), [("cold", "MISS"), ("warm", "HIT"), ("logged-in", "PASS")]
)
def test_measure_labels_every_sample_with_the_status_its_mode_gives(
    tmp_path: Path, fake: TimingSite, mode: str, status: str
) -> None:
    result = invoke(
        tmp_path,
        "staging",
        "-r",
        "/",
        "--route",
        "/hello-world/",
        "--mode",
        mode,
        "-n",
        "4",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.output
    measured = json.loads(result.stdout)["measurements"]
    assert [m["route"] for m in measured] == ["/", "/hello-world/"]
    for m in measured:
        assert [s["cache_status"] for s in m["samples"]] == [status] * 4
        assert m["mode"] == mode and m["unexpected"] == 0 and m["id"] is not None
        assert {"median", "p95", "mad", "median_ci"} <= m["summary"].keys()


def test_measure_table_names_the_saved_ids_and_can_list_samples(
    tmp_path: Path, fake: TimingSite
) -> None:
    result = invoke(tmp_path, "staging", "--route", "/", "-n", "3", "--show-samples")
    assert result.exit_code == 0, result.output
    assert "saved as measurement 1" in result.output
    assert "X-Cache" in result.output and "3 HIT" in result.output


def test_options_may_follow_the_routes_and_bad_routes_are_refused_before_measuring(
    tmp_path: Path, fake: TimingSite
) -> None:
    old_spelling = invoke(tmp_path, "staging", "/", "--samples", "2")
    assert old_spelling.exit_code == 0
    assert "note: routes as arguments is deprecated; use --route /" in old_spelling.stderr
    result = invoke(tmp_path, "staging", "-r", "/", "-r", "nope")
    assert "must be a path" in str(result.exception)
    assert len(fake.seen) == 4  # the first run only: MISS, HIT (primed), 2 samples


def test_measure_without_routes_prints_help_and_exits_2(tmp_path: Path) -> None:
    result = invoke(tmp_path)
    assert result.exit_code == 2
    assert "compare" in result.output


def save(tmp_path: Path, mode: str, status: str, centre: float, seed: int) -> int:
    rng = random.Random(seed)
    samples = tuple(
        TimedSample(centre * rng.lognormvariate(0, 0.05), status, 0, 200)  # type: ignore[arg-type]
        for _ in range(30)
    )
    taken = datetime(2024, 5, 1, tzinfo=UTC)
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        m = Measurement("staging", SITE_URL, "/", mode, taken, samples)
        saved = save_measurement(store, m)
    finally:
        store.close()
    assert saved.id is not None
    return saved.id


def test_compare_refuses_a_cold_page_against_a_cached_one_with_exit_2(tmp_path: Path) -> None:
    cold = save(tmp_path, "cold", "MISS", 0.2, 1)
    warm = save(tmp_path, "warm", "HIT", 0.002, 2)
    result = invoke(tmp_path, "compare", str(cold), str(warm))
    assert result.exit_code == 2
    assert "you are comparing a cold page with a cached one" in result.output
    data = json.loads(invoke(tmp_path, "compare", str(cold), str(warm), "-f", "json").stdout)
    assert data["comparison"]["verdict"] == "refused"
    assert data["a"]["id"] == cold and data["b"]["mode"] == "warm"


def test_compare_exits_1_when_b_is_slower_and_0_when_it_is_not(tmp_path: Path) -> None:
    a = save(tmp_path, "warm", "HIT", 0.2, 3)
    slower = save(tmp_path, "warm", "HIT", 0.26, 4)
    same = save(tmp_path, "warm", "HIT", 0.2, 5)
    result = invoke(tmp_path, "compare", str(a), str(slower))
    assert result.exit_code == 1, result.output
    assert "B is slower" in result.output
    assert invoke(tmp_path, "compare", str(slower), str(a)).exit_code == 0
    assert invoke(tmp_path, "compare", str(a), str(same)).exit_code == 0


def test_compare_help_and_unknown_ids(tmp_path: Path) -> None:
    assert invoke(tmp_path, "compare", "--help").exit_code == 0
    assert "no measurement #7" in str(invoke(tmp_path, "compare", "7", "8").exception)
