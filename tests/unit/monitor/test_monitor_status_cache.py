"""The status report kept in memory: served as built until a change settles, a write,
its maximum age, or the end of a maintenance window it shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from parity.monitor.answers import Answer, Question
from parity.monitor.status import EnvironmentStatus, StatusReport
from parity.monitor.status_cache import StatusCache

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Builder:
    """Counts the reports built; each is generated one second after the last."""

    def __init__(self, maintenance_s: float | None = None) -> None:
        self.built = 0
        self.maintenance_s = maintenance_s

    def __call__(self) -> StatusReport:
        self.built += 1
        at = T0 + timedelta(seconds=self.built)
        until = at + timedelta(seconds=self.maintenance_s) if self.maintenance_s else None
        questions: tuple[Question, ...] = ("up", "slow", "jobs", "deploy")
        green = {q: Answer(q, "green", "fine") for q in questions}
        envs = [EnvironmentStatus(n, green, [], until, None) for n in ("production", "staging")]
        return StatusReport(at, envs)


class Tick:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_report_is_built_once_and_served_until_something_changes() -> None:
    build, tick = Builder(), Tick()
    cache = StatusCache(build, max_age_s=30, clock=tick)
    first = cache.json()
    tick.now += 10
    assert cache.json() is first and build.built == 1
    assert json.loads(first)["generated_at"] == (T0 + timedelta(seconds=1)).isoformat()


def test_probes_landing_make_one_rebuild_per_settle_interval() -> None:
    build, tick = Builder(), Tick()
    cache = StatusCache(build, max_age_s=30, settle_s=1.0, clock=tick)
    cache.report()
    cache.changed()
    tick.now += 0.5
    cache.report()
    assert build.built == 1  # changed, but built half a second ago
    tick.now += 0.5
    for _ in range(5):
        cache.changed()
        cache.report()
    assert build.built == 2


def test_a_write_rebuilds_at_once_and_age_rebuilds_at_the_interval() -> None:
    build, tick = Builder(), Tick()
    cache = StatusCache(build, max_age_s=30, clock=tick)
    cache.report()
    cache.invalidate()
    cache.report()
    assert build.built == 2
    tick.now += 30
    cache.report()
    assert build.built == 3


def test_a_report_showing_maintenance_is_rebuilt_when_the_window_ends() -> None:
    build, tick = Builder(maintenance_s=5), Tick()
    cache = StatusCache(build, max_age_s=30, clock=tick)
    cache.report()
    tick.now += 4
    cache.report()
    assert build.built == 1
    tick.now += 1
    cache.report()
    assert build.built == 2


def test_one_environments_json_has_only_that_environment() -> None:
    cache = StatusCache(Builder(), max_age_s=30, clock=Tick())
    body = json.loads(cache.json("staging"))
    assert [e["environment"] for e in body["environments"]] == ["staging"]
    assert body["schema_version"] == 1 and body["ok"] is True
    assert len(json.loads(cache.json())["environments"]) == 2
