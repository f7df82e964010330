"""``/metrics`` in Prometheus text format, through prometheus-client.

Names a blackbox-exporter user already graphs (``probe_success``,
``probe_duration_seconds``, labelled ``environment`` and ``check``) and parity's own:
``parity_check_up``, ``parity_route_slow``, ``parity_answer_level`` (0 green, 1 amber,
2 red), ``parity_maintenance``, ``parity_drift_findings_since_deploy`` and
``parity_job_last_success_timestamp_seconds``; and of the workers ``parity_workers_up``,
``parity_batches{state}`` and ``parity_queue_messages{state}``. Labels carry only names
from parity.toml (environments, checks, questions, jobs): never a URL, a user or a secret.

Each app has its own registry, filled from the state store when scraped.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from parity.config import Settings
from parity.jobs.presence import WorkersReport
from parity.jobs.records import JobRecords
from parity.monitor.records import MonitorRecords
from parity.monitor.status import build_status
from parity.store import Store

__all__ = ["render_metrics"]

_LEVEL = {"green": 0, "amber": 1, "red": 2}


class _StoreCollector(Collector):
    def __init__(self, settings: Settings, store: Store, workers: WorkersReport | None) -> None:
        self.settings = settings
        self.store = store
        self.workers = workers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        records = MonitorRecords(self.store)
        report = build_status(self.settings, self.store)
        success = GaugeMetricFamily(
            "probe_success", "1 when the check's last probe passed", labels=["environment", "check"]
        )
        duration = GaugeMetricFamily(
            "probe_duration_seconds",
            "time of the check's last probe",
            labels=["environment", "check"],
        )
        up = GaugeMetricFamily(
            "parity_check_up",
            "1 up, 0 down, -1 unknown (after the thresholds)",
            labels=["environment", "check"],
        )
        slow = GaugeMetricFamily(
            "parity_route_slow", "1 when the route is slow", labels=["environment", "check"]
        )
        level = GaugeMetricFamily(
            "parity_answer_level",
            "0 green, 1 amber, 2 red",
            labels=["environment", "question"],
        )
        maintenance = GaugeMetricFamily(
            "parity_maintenance", "1 during a maintenance window", labels=["environment"]
        )
        drift = GaugeMetricFamily(
            "parity_drift_findings_since_deploy",
            "drift findings since the last deploy marker",
            labels=["environment"],
        )
        for env in report.environments:
            for line in env.checks:
                name = line.spec.name
                last = records.recent_results(line.spec.key, limit=1)
                if last:
                    success.add_metric([env.environment, name], 1.0 if last[0].ok else 0.0)
                    if last[0].duration_s is not None:
                        duration.add_metric([env.environment, name], last[0].duration_s)
                health = line.stored.state.health if line.stored else "unknown"
                up.add_metric([env.environment, name], {"up": 1.0, "down": 0.0}.get(health, -1.0))
                is_slow = line.stored is not None and line.stored.slow_state.health == "down"
                slow.add_metric([env.environment, name], 1.0 if is_slow else 0.0)
            for question, answer in env.answers.items():
                level.add_metric([env.environment, question], _LEVEL[answer.level])
            maintenance.add_metric([env.environment], 1.0 if env.maintenance_until else 0.0)
            since = records.drift(env.environment)
            if env.marker is not None and since is not None and since.marker_id == env.marker.id:
                drift.add_metric([env.environment], float(len(since.findings)))
        jobs = GaugeMetricFamily(
            "parity_job_last_success_timestamp_seconds",
            "end of the job's last successful run (Unix time)",
            labels=["job"],
        )
        for job, run in JobRecords(self.store).last_runs().items():
            if run.ok and run.ended_at is not None:
                jobs.add_metric([job], run.ended_at.timestamp())
        yield from (success, duration, up, slow, level, maintenance, drift, jobs)
        if self.workers is not None:
            yield from _worker_metrics(self.workers)


def _worker_metrics(report: WorkersReport) -> Iterator[GaugeMetricFamily]:
    yield GaugeMetricFamily(
        "parity_workers_up", "parity worker processes up", value=len(report.workers)
    )
    batches = GaugeMetricFamily(
        "parity_batches", "batches of open runs, by state", labels=["state"]
    )
    batches.add_metric(["queued"], report.in_progress.queued)
    batches.add_metric(["running"], len(report.in_progress.running))
    yield batches
    if report.queue is not None and report.queue.waiting is not None:
        queue = GaugeMetricFamily(
            "parity_queue_messages", "messages in the broker's queue, by state", labels=["state"]
        )
        queue.add_metric(["waiting"], report.queue.waiting)
        queue.add_metric(["delivered"], report.queue.delivered or 0)
        yield queue


def render_metrics(settings: Settings, store: Store, workers: WorkersReport | None = None) -> bytes:
    """The Prometheus text exposition of the current state (and of the workers)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(settings, store, workers))
    return generate_latest(registry)
