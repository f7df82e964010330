"""The service on a swapped transport: probes stored per condition, up/down with
thresholds, one alert on failure and one on resolve, rollups, retention, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from parity.config import Settings, settings_from_mapping
from parity.monitor.alerts import AlertSender
from parity.monitor.markers import open_maintenance
from parity.monitor.probe import Prober
from parity.monitor.records import MonitorRecords
from parity.monitor.service import MonitorService
from parity.monitor.status import build_status
from parity.store import Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class FlakySite:
    """A WordPress stand-in: answers 200 with X-Cache, or 502 when told to."""

    def __init__(self) -> None:
        self.failing = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.failing:
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, headers={"X-Cache": "HIT"}, text="<p>Hello world</p>")


def settings_for(tmp_path: Path, *, also: tuple[str, ...] = ()) -> Settings:
    """One check, staging/home; ``also`` adds checks like it on other routes."""
    home = {
        "name": "home",
        "env": "staging",
        "route": "/",
        "conditions": ["status == 200", "header x-cache == HIT"],
    }
    data = {
        "environments": {
            "staging": {"url": "http://staging.test", "db": "mysql://wp:pw@127.0.0.1:3307/wp"}
        },
        "monitor": {
            "defaults": False,
            "checks": [home, *({**home, "name": n, "route": f"/{n}/"} for n in also)],
            "alerts": [{"name": "hook", "url": "http://hooks.test/x", "attempts": 3}],
        },
    }
    return settings_from_mapping(data, tmp_path / "parity.toml", env={})


def service_for(tmp_path: Path, store: Store, site: FlakySite, hook: list[dict[str, object]]):
    def receive(request: httpx.Request) -> httpx.Response:
        hook.append(json.loads(request.content))
        return httpx.Response(204)

    settings = settings_for(tmp_path)
    records = MonitorRecords(store)
    sender = AlertSender(records, settings.monitor.alerts, transport=httpx.MockTransport(receive))
    prober = Prober(settings, transport=httpx.MockTransport(site))
    clock = Clock()
    service = MonitorService(settings, store, prober=prober, sender=sender, clock=clock)
    return service, clock


def test_a_probe_is_stored_with_each_condition_result(tmp_path: Path, store: Store) -> None:
    service, _ = service_for(tmp_path, store, FlakySite(), [])
    result = service.run_check(service.checks[0])
    assert result.ok
    [stored] = service.records.recent_results("staging/home")
    assert [c.condition for c in stored.conditions] == ["status == 200", "header x-cache == HIT"]
    assert stored.cache_status == "HIT"
    assert service.records.states()["staging/home"].state.health == "up"


def test_down_after_three_failures_one_alert_then_one_resolve(tmp_path: Path, store: Store) -> None:
    site, received = FlakySite(), []
    service, clock = service_for(tmp_path, store, site, received)
    check = service.checks[0]
    service.run_check(check)
    site.failing = True
    for _ in range(5):
        service.run_check(check)
    service.sender.deliver_due(clock.now + timedelta(seconds=1))
    assert [a["event"] for a in received] == ["failure"]
    assert received[0]["reason"] == (
        "staging/home (/) is down: status was 502, expected == 200; header x-cache was missing"
    )
    assert received[0]["schema_version"] == 1 and received[0]["ok"] is False
    site.failing = False
    for _ in range(3):
        service.run_check(check)
    service.sender.deliver_due(clock.now + timedelta(seconds=1))
    assert [a["event"] for a in received] == ["failure", "resolve"]


def test_no_alert_during_maintenance(tmp_path: Path, store: Store) -> None:
    site, received = FlakySite(), []
    service, clock = service_for(tmp_path, store, site, received)
    open_maintenance(store, "staging", 3600, reason="refresh", source="cli", now=T0)
    site.failing = True
    for _ in range(4):
        service.run_check(service.checks[0])
    service.sender.deliver_due(clock.now + timedelta(seconds=1))
    assert received == []
    status = build_status(service.settings, store, now=clock.now)
    up = status.environments[0].answers["up"]
    assert up.level == "amber" and up.reason.startswith("maintenance until")


def test_a_window_opened_elsewhere_a_moment_ago_holds_back_the_alert(
    tmp_path: Path, store: Store
) -> None:
    site, received = FlakySite(), []
    service, clock = service_for(tmp_path, store, site, received)
    service.run_check(service.checks[0])  # the (empty) windows are now cached
    # Another process (a refresh) opens a window; the service's cached list does not
    # have it yet when the check turns down.
    open_maintenance(store, "staging", 3600, reason="refresh", source="refresh", now=T0)
    site.failing = True
    for _ in range(4):
        service.run_check(service.checks[0])
    service.sender.deliver_due(clock.now + timedelta(seconds=1))
    assert received == []


def test_a_failing_webhook_is_retried_with_backoff_then_given_up(
    tmp_path: Path, store: Store
) -> None:
    calls: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)

    settings = settings_for(tmp_path)
    records = MonitorRecords(store)
    records.queue_alert(
        ["hook"],
        check_key="staging/home",
        environment="staging",
        kind="down",
        event="failure",
        at=T0,
        reason="down",
    )
    sender = AlertSender(records, settings.monitor.alerts, transport=httpx.MockTransport(refuse))
    assert sender.deliver_due(T0) == 0
    [alert] = records.alerts()
    assert alert.status == "pending" and alert.attempts == 1
    assert sender.deliver_due(T0) == 0  # not due yet: the backoff holds it
    assert len(calls) == 1
    far = datetime.now(UTC) + timedelta(hours=1)
    sender.deliver_due(far)
    sender.deliver_due(far + timedelta(hours=1))
    [alert] = records.alerts()
    assert alert.status == "failed" and alert.attempts == 3
    assert alert.last_error == "HTTP 500"


def test_rollups_fold_closed_buckets_and_retention_prunes(tmp_path: Path, store: Store) -> None:
    service, clock = service_for(tmp_path, store, FlakySite(), [])
    for _ in range(10):
        service.run_check(service.checks[0])
    records = service.records
    later = clock.now + timedelta(minutes=10)
    assert records.roll_up(later, 300) == 1
    assert records.roll_up(later, 300) == 0  # never twice
    [row] = records.rollups("staging/home", T0 - timedelta(hours=1))
    assert row.count == 10 and row.failures == 0
    probes, _ = records.prune(later + timedelta(days=3), 2 * 86400, 30 * 86400)
    assert probes == 10
    assert records.recent_results("staging/home") == []
    assert len(records.rollups("staging/home", T0 - timedelta(hours=1))) == 1


def test_status_is_green_when_every_check_is_up(tmp_path: Path, store: Store) -> None:
    service, clock = service_for(tmp_path, store, FlakySite(), [])
    service.run_check(service.checks[0])
    status = build_status(service.settings, store, now=clock.now)
    env = status.environments[0]
    assert env.answers["up"].level == "green"
    assert env.answers["jobs"].level == "green"
    assert env.answers["deploy"].reason == "no deployment marked yet"
    data = status.as_dict()
    assert data["schema_version"] == 1 and data["ok"] is True
    assert data["environments"][0]["checks"][0]["health"] == "up"


def test_two_checks_down_together_make_one_alert_and_one_resolve(
    tmp_path: Path, store: Store
) -> None:
    site, received = FlakySite(), []
    settings = settings_for(tmp_path, also=("about",))

    def receive(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(204)

    sender = AlertSender(
        MonitorRecords(store), settings.monitor.alerts, transport=httpx.MockTransport(receive)
    )
    prober = Prober(settings, transport=httpx.MockTransport(site))
    clock = Clock()
    service = MonitorService(settings, store, prober=prober, sender=sender, clock=clock)

    def every_check(times: int) -> None:
        for _ in range(times):
            for check in service.checks:
                service.run_check(check)

    every_check(1)
    site.failing = True
    every_check(4)
    site.failing = False
    every_check(3)
    service.sender.deliver_due(clock.now + timedelta(seconds=1))
    assert [(a["event"], a["check"]) for a in received] == [
        ("failure", "staging/home"),
        ("resolve", "staging/about"),
    ]


class Stopwatch:
    """A probe clock whose every request takes ``took`` seconds."""

    def __init__(self) -> None:
        self.now, self.took, self.calls = 0.0, 0.05, 0

    def __call__(self) -> float:
        self.calls += 1
        if self.calls % 2 == 0:
            self.now += self.took
        return self.now


def test_a_route_that_stays_slow_stays_slow_against_its_baseline_from_before(
    tmp_path: Path, store: Store
) -> None:
    settings = settings_for(tmp_path)
    watch = Stopwatch()
    prober = Prober(settings, transport=httpx.MockTransport(FlakySite()), clock=watch)
    sender = AlertSender(MonitorRecords(store), [], transport=httpx.MockTransport(FlakySite()))
    service = MonitorService(settings, store, prober=prober, sender=sender, clock=Clock())
    check = service.checks[0]
    for _ in range(70):
        service.run_check(check)
    watch.took = 0.3
    slow_after = []
    for _ in range(150):
        service.run_check(check)
        slow_after.append(service.records.states()[check.key].slow_state.health)
    # Slow after the recent window and the threshold, and still slow 150 probes later.
    assert "down" in slow_after[:20] and slow_after[-100:] == ["down"] * 100
    watch.took = 0.05
    for _ in range(15):
        service.run_check(check)
    assert service.records.states()[check.key].slow_state.health == "up"
