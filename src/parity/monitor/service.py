"""What ``parity serve`` runs: every check on its interval, alerts, rollups, drift since
the last deploy marker.

``MonitorService`` takes its settings and store as arguments and opens nothing at import
time. :meth:`MonitorService.tasks` gives the scheduler its work: one task per check, one
that delivers alerts, one that rolls up and prunes, one that captures drift since each
environment's last deploy marker, one that reads each environment's WordPress cron.

Example::

    with open_store(settings.state_url()) as store:
        service = MonitorService(settings, store)
        result = service.run_check(service.checks[0])
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Literal

from parity.config import Settings
from parity.cron.events import CronReport
from parity.cron.report import cron_report
from parity.environments import EnvironmentSettings
from parity.errors import ParityError
from parity.monitor.alerts import AlertSender, webhooks_for
from parity.monitor.conditions import evaluate_all
from parity.monitor.defaults import checks_for
from parity.monitor.latency import SlowVerdict, Timing, slow_verdict
from parity.monitor.markers import Capture, capture_live, drift_since
from parity.monitor.probe import Prober
from parity.monitor.records import MonitorRecords, ProbeResult, StoredState, WpCronSeen
from parity.monitor.scheduler import Task
from parity.monitor.settings import CheckSpec, check_environments, monitor_settings
from parity.monitor.state import AlertEvent, CheckState, advance, alert_due, mark_alerted
from parity.store import Store
from parity.store.clock import utc_now

__all__ = ["MonitorService", "environment_facts"]

log = logging.getLogger(__name__)

#: Seconds the open maintenance windows are reused before the store is read again.
WINDOWS_TTL_S = 1.0


def environment_facts(settings: Settings) -> dict[str, tuple[bool, bool]]:
    """Environment name -> (has a login, has a cache): which default checks it gets."""
    return {
        name: (env.login is not None, env.cache is not None and env.cache.kind != "none")
        for name, env in settings.environments.items()
    }


def _alert_reason(check: CheckSpec, kind: str, event: AlertEvent, state: CheckState) -> str:
    where = f"{check.key} ({check.route})"
    if kind == "down":
        return f"{where} is down: {state.reason}" if event == "failure" else f"{where} is up again"
    return f"{where} is slow: {state.reason}" if event == "failure" else f"{where} is fast again"


def _read_cron(env: EnvironmentSettings, now: datetime, grace_s: int) -> CronReport:
    return cron_report(env, now=now, grace_s=grace_s)


class MonitorService:
    """Probes, judges and records the checks of one configuration."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        prober: Prober | None = None,
        sender: AlertSender | None = None,
        capture: Capture = capture_live,
        read_cron: Callable[[EnvironmentSettings, datetime, int], CronReport] | None = None,
        clock: Callable[[], datetime] = utc_now,
        on_change: Callable[[], object] | None = None,
    ) -> None:
        self.settings = settings
        self.section = monitor_settings(settings)
        check_environments(
            self.section, settings.environments, str(settings.source or "parity.toml")
        )
        self.store = store
        self.records = MonitorRecords(store)
        self.checks = checks_for(self.section, environment_facts(settings))
        self.prober = prober or Prober(settings, timeout_s=self.section.timeout_s)
        self.sender = sender or AlertSender(self.records, self.section.alerts)
        self.capture = capture
        self.read_cron = read_cron or _read_cron
        self.clock = clock
        self._lock = threading.Lock()
        # Held from judging alerts to saving the state, so two checks of one environment
        # going down at once still make one incident (one alert), not two.
        self._alert_lock = threading.Lock()
        self._keys = {check.key for check in self.checks}
        self._states: dict[str, StoredState] = self.records.states()
        #: The last probe of each check (for /metrics).
        self.last: dict[str, ProbeResult] = {}
        # Each check's latest good timings, read from the store once and then kept up to
        # date here: judging a probe then costs no query.
        self._history: dict[str, deque[Timing]] = {}
        self._frozen: dict[str, list[Timing]] = {}
        #: Called after the service stored something the status report shows (a probe,
        #: drift, WordPress cron): the web app's cached report is then rebuilt.
        self.on_change = on_change
        # Open maintenance windows (environment, start, end), read from the store at most
        # once per WINDOWS_TTL_S rather than by every probe (see invalidate_windows).
        self._windows: tuple[float, list[tuple[str, datetime, datetime]]] | None = None

    def invalidate_windows(self) -> None:
        """Re-read the maintenance windows at the next probe (one was just opened)."""
        with self._lock:
            self._windows = None

    def maintenance_until(self, environment: str, now: datetime) -> datetime | None:
        """When ``environment``'s maintenance active at ``now`` ends (None: none).

        Windows opened elsewhere (``parity maintenance``, a refresh) are seen within
        ``WINDOWS_TTL_S``; those opened through the web app at once."""
        tick = time.monotonic()
        with self._lock:
            cached = self._windows
        if cached is None or tick - cached[0] >= WINDOWS_TTL_S:
            cached = (tick, self.records.open_windows(now))
            with self._lock:
                self._windows = cached
        ends = [end for env, start, end in cached[1] if env == environment and start <= now < end]
        return max(ends) if ends else None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def close(self) -> None:
        """Close the prober's idle connections."""
        self.prober.close()

    def interval(self, check: CheckSpec) -> float:
        """Seconds between two probes of ``check``."""
        return check.interval_s or self.section.interval_s

    def _stored(self, check: CheckSpec) -> StoredState:
        with self._lock:
            found = self._states.get(check.key)
        if found is None:
            return StoredState(check.key, check.env, CheckState(), CheckState(), None, self.clock())
        return found

    def _timings(self, check: CheckSpec) -> deque[Timing]:
        with self._lock:
            found = self._history.get(check.key)
        if found is None:
            size = self.section.slow.recent + self.section.slow.baseline
            found = deque(self.records.recent_timings(check.key, size), maxlen=size)
            with self._lock:
                found = self._history.setdefault(check.key, found)
        return found

    def run_check(self, check: CheckSpec) -> ProbeResult:
        """Probe ``check`` once, judge it, store the result and its state, queue alerts."""
        slow = self.section.slow
        kept = self._timings(check)  # the scheduler never runs one check twice at once
        history = list(kept)
        recent = [t.duration_s for t in history[-(slow.recent - 1) :]]
        probe = self.prober.probe(check, recent)
        now = self.clock()
        seen = probe.observation
        conditions = tuple(evaluate_all(check.conditions, seen))
        result = ProbeResult(
            check_key=check.key,
            environment=check.env,
            at=now,
            ok=all(c.ok for c in conditions),
            http_status=seen.status,
            duration_s=seen.duration_s,
            cache_status=probe.cache,
            error=seen.error,
            conditions=conditions,
        )
        previous = self._stored(check)
        thresholds = {
            "failure_threshold": self.section.failure_threshold,
            "success_threshold": self.section.success_threshold,
        }
        state = advance(
            previous.state, result.ok, reason=result.failing_reason(), at=now, **thresholds
        )
        verdict: SlowVerdict | None = previous.slow
        slow_state = previous.slow_state
        if result.ok and seen.duration_s is not None:
            kept.append(Timing(now, seen.duration_s, probe.cache))
            timings = list(kept)
            frozen = self._frozen.get(check.key)
            if frozen is not None:
                timings = [*frozen, *timings[-slow.recent :]]
            verdict = slow_verdict(
                timings,
                slo_ms=check.slo_ms,
                recent=slow.recent,
                baseline=slow.baseline,
                alpha=slow.alpha,
                min_ratio=slow.min_ratio,
                min_difference_ms=slow.min_difference_ms,
            )
            slow_state = advance(
                slow_state,
                not verdict.slow,
                reason=verdict.reason if verdict.slow else "",
                at=now,
                **thresholds,
            )
            # While a route is slow its baseline is the one from before it turned slow:
            # otherwise the slow probes would become the baseline within a few dozen
            # probes and a route still slow would read "as fast as its baseline".
            if verdict.slow and frozen is None:
                self._frozen[check.key] = list(kept)[: -slow.recent]
            elif not verdict.slow and slow_state.health != "down":
                self._frozen.pop(check.key, None)
        in_maintenance = self.maintenance_until(check.env, now) is not None
        hooks = webhooks_for(self.section.alerts, check.env)
        kinds: list[tuple[Literal["down", "slow"], CheckState]] = [
            ("down", state),
            ("slow", slow_state),
        ]
        with self._alert_lock:
            judged: dict[str, CheckState] = {}
            for kind, current in kinds:
                event = alert_due(current, in_maintenance=in_maintenance)
                if event is not None and not in_maintenance:
                    # About to alert: read the windows again rather than trust the
                    # cached ones (a refresh may have opened one a moment ago).
                    self.invalidate_windows()
                    in_maintenance = self.maintenance_until(check.env, now) is not None
                    event = alert_due(current, in_maintenance=in_maintenance)
                if event is not None:
                    # One incident per environment and kind: the first check to fail
                    # alerts, the last to recover resolves; the others join silently.
                    if not self._incident_open(check, kind):
                        self.records.queue_alert(
                            hooks,
                            check_key=check.key,
                            environment=check.env,
                            kind=kind,
                            event=event,
                            at=now,
                            reason=_alert_reason(check, kind, event, current),
                        )
                    current = mark_alerted(current, event)
                judged[kind] = current
            stored = StoredState(check.key, check.env, judged["down"], judged["slow"], verdict, now)
            self.records.record_probe(result, stored.state, stored.slow_state, verdict)
            with self._lock:
                self._states[check.key] = stored
                self.last[check.key] = result
        self._changed()
        return result

    def _incident_open(self, check: CheckSpec, kind: str) -> bool:
        """Whether another check of ``check``'s environment has alerted ``kind`` and not
        resolved it yet (so this check's failure or recovery sends nothing)."""
        with self._lock:
            others = [
                stored
                for key, stored in self._states.items()
                if key != check.key and key in self._keys and stored.environment == check.env
            ]
        return any((s.state if kind == "down" else s.slow_state).alerted for s in others)

    def housekeeping(self) -> None:
        """Roll up closed buckets and delete what is older than the retention."""
        retention = self.section.retention
        now = self.clock()
        self.records.roll_up(now, int(retention.rollup_bucket))
        self.records.prune(now, retention.raw, retention.rollups)

    def check_drift(self) -> None:
        """Capture drift since the last deploy marker of every environment that has one."""
        for name in self.settings.environments:
            marker = self.records.last_marker(name)
            if marker is None:
                continue
            now = self.clock()
            try:
                findings = drift_since(self.settings, self.store, marker, self.capture)
            except ParityError as exc:
                self.records.save_drift(name, marker.id, now, [], exc.one_line())
            else:
                self.records.save_drift(name, marker.id, now, findings, None)
            self._changed()

    def check_wp_cron(self) -> None:
        """Read every environment's WordPress cron and keep its overdue events (the
        "jobs" answer shows them). Read-only: production is read like any other."""
        grace = int(self.section.wp_cron.grace_s)
        for name, env in self.settings.environments.items():
            now = self.clock()
            try:
                report = self.read_cron(env, now, grace)
            except ParityError as exc:
                self.records.save_wp_cron(WpCronSeen(name, now, 0, [], exc.one_line()))
                self._changed()
                continue
            overdue = [
                {
                    "hook": e.event.hook,
                    "next_run": e.event.next_run.isoformat(),
                    "seconds_late": -e.seconds_until,
                    "schedule": e.event.schedule or "once",
                }
                for e in report.overdue
            ]
            self.records.save_wp_cron(WpCronSeen(name, now, len(report.events), overdue, None))
            self._changed()

    def tasks(self) -> list[Task]:
        """The scheduler's work: every check, alert delivery, housekeeping, drift."""
        found = [
            Task(check.key, self.interval(check), partial(self.run_check, check))
            for check in self.checks
        ]
        found.append(Task("alerts", 1.0, self.sender.deliver_due))
        found.append(
            Task("housekeeping", self.section.retention.rollup_bucket, self.housekeeping, 5.0)
        )
        found.append(Task("drift", self.section.deploy.drift_interval_s, self.check_drift, 2.0))
        found.append(Task("wp-cron", self.section.wp_cron.interval_s, self.check_wp_cron, 3.0))
        return found
