"""What `parity serve` shows of the workers: who is up (presence leases), which batches of
open runs wait or run (the ledger), and the broker's queue (an unreachable broker is an
error that never quotes its URL). The queue's depth on a real Redis is in
tests/integration/test_workers.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jobs_fakes import dict_job
from prometheus_client.parser import text_string_to_metric_families

from parity.config import settings_from_mapping
from parity.jobs import JobRecords
from parity.jobs.batches import JobBatches
from parity.jobs.presence import (
    WORKER_PREFIX,
    WorkerPresence,
    live_workers,
    queue_depth,
    workers_report,
)
from parity.store import Store, acquire_lease
from parity.web import create_app

BROKER_SECRET = "broker-Secret-789"
#: Nothing listens on port 1: the broker is unreachable at once.
UNREACHABLE = f"redis://:{BROKER_SECRET}@127.0.0.1:1/0"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _open_run(store: Store) -> int:
    return JobRecords(store).create_run(
        dict_job(),
        scope="test",
        runner="celery",
        holder="h:1:x",
        parameters={},
        total=30,
        resumed_from=None,
    )


def test_a_worker_is_shown_while_it_holds_its_presence_and_gone_when_it_stops(
    store: Store,
) -> None:
    assert live_workers(store) == []
    with WorkerPresence(store, concurrency=2):
        (seen,) = live_workers(store)
        assert seen.name == f"{socket.gethostname()}:{os.getpid()}"
        assert seen.concurrency == 2 and seen.expires_at > seen.seen_at
    assert live_workers(store) == []


def test_the_presence_is_renewed_before_it_expires(store: Store) -> None:
    with WorkerPresence(store, concurrency=1, ttl=timedelta(seconds=0.6)):
        (first,) = live_workers(store)
        deadline = time.monotonic() + 10
        while (renewed := live_workers(store)) and renewed[0].seen_at == first.seen_at:
            assert time.monotonic() < deadline, "the presence was never renewed"
            time.sleep(0.05)
        # Renewed: still there after its first time-to-live is over.
        assert renewed and renewed[0].expires_at > first.expires_at


def test_a_killed_or_expired_worker_is_not_shown(store: Store) -> None:
    host = socket.gethostname()
    killed = f"{host}:{_dead_pid()}:worker-c1-abc"
    acquire_lease(store, f"{WORKER_PREFIX}{host}:1", killed, timedelta(hours=1))
    acquire_lease(
        store,
        f"{WORKER_PREFIX}elsewhere:7",
        "elsewhere:7:worker-c4-def",
        timedelta(seconds=-1),  # its time ran out
    )
    acquire_lease(store, f"{WORKER_PREFIX}elsewhere:8", "elsewhere:8:worker-c4-ghi", timedelta(1))
    assert [(w.name, w.concurrency) for w in live_workers(store)] == [("elsewhere:8", 4)]


def test_batches_of_open_runs_are_counted_queued_and_named_running(store: Store) -> None:
    run_id = _open_run(store)
    batches = JobBatches(store)
    batches.create(run_id, [{"start": n * 10, "count": 10} for n in range(3)])
    batches.claimed(run_id, 1, "h:42:worker-aaa")
    found = batches.in_progress()
    assert found.queued == 2
    (running,) = found.running
    assert (running.run_id, running.job, running.number, running.worker) == (
        run_id,
        "dict-copy",
        1,
        "h:42:worker-aaa",
    )
    # A run that ended no longer counts, whatever its batches say.
    JobRecords(store).interrupt_runs([run_id])
    assert batches.in_progress().queued == 0 and batches.in_progress().running == []


def test_an_unreachable_broker_is_an_error_that_does_not_quote_its_url() -> None:
    depth = queue_depth(UNREACHABLE, "parity", timeout_s=0.5)
    assert (depth.waiting, depth.delivered) == (None, None)
    assert depth.error is not None and "did not answer" in depth.error
    assert BROKER_SECRET not in depth.error and "127.0.0.1" not in depth.error


def test_serve_shows_workers_batches_and_queue_in_json_page_and_metrics(
    store: Store, tmp_path: Path
) -> None:
    env = {"url": "http://staging.test", "db": "mysql://wp:pw@127.0.0.1:3307/wp"}
    settings = settings_from_mapping(
        {"environments": {"staging": env}, "jobs": {"broker": UNREACHABLE}},
        tmp_path / "parity.toml",
        env={},
    )
    run_id = _open_run(store)
    JobBatches(store).create(run_id, [{"start": 0, "count": 10}, {"start": 10, "count": 10}])
    with WorkerPresence(store, concurrency=3):
        app = TestClient(create_app(settings, store=store))
        body = app.get("/api/workers").json()
        page = app.get("/").text
        metrics = app.get("/metrics").text
    assert body["ok"] is True and body["broker_configured"] is True
    assert [(w["name"], w["concurrency"]) for w in body["workers"]] == [
        (f"{socket.gethostname()}:{os.getpid()}", 3)
    ]
    assert body["batches"] == {"queued": 2, "running": []}
    assert body["queue"]["waiting"] is None and "did not answer" in body["queue"]["error"]
    assert 'id="workers"' in page and 'data-workers-up="1"' in page
    assert 'data-batches-queued="2"' in page
    values = {
        (s.name, s.labels.get("state")): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    assert values[("parity_workers_up", None)] == 1
    assert values[("parity_batches", "queued")] == 2
    for text in (str(body), page, metrics):
        assert BROKER_SECRET not in text


def test_without_a_broker_or_worker_the_dashboard_has_no_workers_section(
    store: Store, tmp_path: Path
) -> None:
    env = {"url": "http://staging.test", "db": "mysql://wp:pw@127.0.0.1:3307/wp"}
    settings = settings_from_mapping(
        {"environments": {"staging": env}}, tmp_path / "parity.toml", env={}
    )
    report = workers_report(store, None)
    assert report.queue is None and report.workers == []
    page = TestClient(create_app(settings, store=store)).get("/").text
    assert 'id="workers"' not in page


@pytest.mark.parametrize("concurrency", [0, 1])
def test_a_single_process_worker_says_one(store: Store, concurrency: int) -> None:
    with WorkerPresence(store, concurrency=concurrency):
        assert [w.concurrency for w in live_workers(store)] == [1]
