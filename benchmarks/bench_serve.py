"""`parity serve` under a realistic history: 50 checks, 30 days at a 30-second interval.

Generates into a temporary SQLite state store what the service keeps for 50 checks probed
every 30 s for 30 days under the default retention: every probe of the last
``retention.raw`` (2 days: 288,000 rows with their condition results) and the 5-minute
rollups of all 30 days (432,000 rows); ``--raw-days 30`` keeps every probe of the 30 days
instead (4.3 million rows: the worst case of a raised ``retention.raw``). Then measures:

* dashboard (``GET /``) and ``/api/status`` latency through the ASGI app (FastAPI's
  TestClient, in process), p50 and p95 of N requests after a warm-up, against
  ``/healthz`` on the same app as the floor of the stack (both serve the report the app
  keeps, rebuilt when a probe lands or once per interval);
* the rebuild of that report (``build_status`` and its JSON), what the first request
  after a change pays;
* the scheduler's CPU per check: ``time.process_time`` around the real ``Scheduler``
  running the 50 checks at a 1 s interval against a local fast HTTP target (a separate
  process, so its CPU is not counted), divided by the checks it ran;
* memory over a soak: ``parity serve`` as a subprocess on this store (checks every 1 s
  against the local target), with the dashboard and ``/api/status`` requested every
  second; its RSS sampled from /proc every 10 s (start, end, max).

Goals (issue 13): dashboard p95 < 150 ms, /api/status p95 < 20 ms, < 2 ms of CPU per
check, memory flat over a 10-minute soak.

    .venv/bin/python benchmarks/bench_serve.py [--soak-s 600] [--raw-days 2] [--requests 50]

Generated data goes under a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from parity.config import Settings, load_settings
from parity.monitor.records import MonitorRecords
from parity.monitor.rollup import bucket_start
from parity.monitor.scheduler import Scheduler, Task
from parity.monitor.service import MonitorService
from parity.monitor.state import CheckState
from parity.store import open_store, schema

CHECKS = 50
INTERVAL_S = 30
DAYS = 30
BUCKET_S = 300
DASHBOARD_GOAL_MS = 150.0
STATUS_GOAL_MS = 20.0
CPU_GOAL_MS = 2.0
CHUNK = 20_000

_TARGET = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as nginx's tcp_nodelay: no 40 ms stall on keep-alive
    def do_GET(self):
        body = b"<html><body>ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("X-Cache", "HIT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


def write_config(folder: Path, target_port: int, interval_s: int, name: str) -> Path:
    """A parity.toml with two environments on the local target and 25 checks on each,
    probed every ``interval_s``; the state store is ``state.db`` in ``folder``."""
    lines = [
        "[state]",
        f'url = "sqlite:///{folder / "state.db"}"',
        "",
        "[environments.production]",
        f'url = "http://127.0.0.1:{target_port}"',
        'db = "mysql://wp:x@127.0.0.1:1/wp_production"',
        "",
        "[environments.staging]",
        f'url = "http://127.0.0.1:{target_port}"',
        'db = "mysql://wp:x@127.0.0.1:1/wp_staging"',
        "",
        "[monitor]",
        "defaults = false",
        f"interval_s = {interval_s}",
        "",
        "[monitor.wp_cron]",
        'interval_s = "1d"',
    ]
    for index in range(CHECKS):
        env = ("production", "staging")[index % 2]
        lines += [
            "",
            "[[monitor.checks]]",
            f'name = "route-{index:02d}"',
            f'env = "{env}"',
            f'route = "/route-{index:02d}/"',
            'conditions = ["status == 200", "header x-cache == HIT"]',
        ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", "utf-8")
    path.chmod(0o600)
    return path


def generate_history(settings: Settings, raw_days: float, now: datetime) -> dict[str, int]:
    """Fill the store with 30 days of 30 s history for every check; row counts."""
    rng = random.Random(13)
    conditions = json.dumps(
        [
            {"condition": "status == 200", "ok": True, "observed": "200", "reason": ""},
            {"condition": "header x-cache == HIT", "ok": True, "observed": "HIT", "reason": ""},
        ]
    )
    store = open_store(settings.state_url())
    records = MonitorRecords(store)
    keys = [(f"{('production', 'staging')[i % 2]}/route-{i:02d}", i) for i in range(CHECKS)]
    start = now - timedelta(days=DAYS)
    raw_from = now - timedelta(days=raw_days)
    counts = {"probes": 0, "rollups": 0}
    with store.engine.begin() as conn:
        for key, index in keys:
            env = key.split("/")[0]
            base = 0.02 + 0.002 * index
            rows: list[dict[str, Any]] = []
            at = max(start, raw_from)
            while at < now:
                rows.append(
                    {
                        "check_key": key,
                        "environment": env,
                        "at": at,
                        "ok": True,
                        "http_status": 200,
                        "duration_s": base * rng.lognormvariate(0, 0.2),
                        "cache_status": "HIT",
                        "error": None,
                        "conditions": conditions,
                    }
                )
                at += timedelta(seconds=INTERVAL_S)
                if len(rows) >= CHUNK:
                    conn.execute(insert(schema.monitor_results), rows)
                    counts["probes"] += len(rows)
                    rows = []
            if rows:
                conn.execute(insert(schema.monitor_results), rows)
                counts["probes"] += len(rows)
            buckets = []
            bucket = bucket_start(start, BUCKET_S)
            while bucket < bucket_start(now, BUCKET_S):
                p50 = base * 1000 * rng.lognormvariate(0, 0.1)
                buckets.append(
                    {
                        "check_key": key,
                        "environment": env,
                        "bucket_start": bucket,
                        "bucket_s": BUCKET_S,
                        "count": BUCKET_S // INTERVAL_S,
                        "failures": 0,
                        "p50_ms": p50,
                        "p95_ms": p50 * 1.4,
                        "max_ms": p50 * 1.8,
                    }
                )
                bucket += timedelta(seconds=BUCKET_S)
            conn.execute(insert(schema.monitor_rollups), buckets)
            counts["rollups"] += len(buckets)
    for key, _ in keys:
        up = CheckState(health="up", successes=5, since=start)
        records.save_state(key, key.split("/")[0], up, up, None, now)
    store.close()
    return counts


def timed(get: Callable[[], httpx.Response | _Built], n: int) -> tuple[float, float, float]:
    """p50 and p95 wall ms of ``n`` requests (after 3 warm-up requests), and the CPU ms
    per request of this process (client and app: an upper bound of the app's own)."""
    for _ in range(3):
        get().raise_for_status()
    times = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        get().raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / n
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, cpu_ms


def measure_web(settings: Settings, n: int) -> dict[str, tuple[float, float, float]]:
    """p50/p95 of /healthz, /api/status and / through the ASGI app."""
    from fastapi.testclient import TestClient

    from parity.web.app import create_app

    with TestClient(create_app(settings)) as client:
        return {
            "/healthz": timed(lambda: client.get("/healthz"), n),
            "/api/status": timed(lambda: client.get("/api/status"), n * 4),
            "/": timed(lambda: client.get("/"), n),
        }


def measure_rebuild(settings: Settings, n: int) -> tuple[float, float, float]:
    """p50/p95 wall ms and CPU ms of one rebuild of the status report and its JSON."""
    from parity.monitor.status import build_status

    store = open_store(settings.state_url())
    try:
        return timed(lambda: _Built(json.dumps(build_status(settings, store).as_dict())), n)
    finally:
        store.close()


class _Built:
    """Stands in for a response in :func:`timed`."""

    def __init__(self, body: str) -> None:
        self.body = body

    def raise_for_status(self) -> None:
        """Nothing to raise."""


def measure_scheduler_cpu(settings: Settings, seconds: float) -> tuple[float, int]:
    """CPU ms per check run by the real scheduler (every check each 1 s), and the runs
    counted. The first run of each check (which reads its history) is left out."""
    store = open_store(settings.state_url())
    service = MonitorService(settings, store)
    tasks = [
        Task(check.key, 1.0, lambda check=check: service.run_check(check))
        for check in service.checks
    ]
    for check in service.checks:
        service.run_check(check)
    scheduler = Scheduler(tasks, workers=4)
    cpu0 = time.process_time()
    scheduler.start()
    time.sleep(seconds)
    scheduler.stop(timeout=30)
    time.sleep(0.5)  # let running probes finish
    cpu = time.process_time() - cpu0
    runs = sum(scheduler.runs.values())
    errors = sum(scheduler.errors.values())
    store.close()
    if errors:
        raise SystemExit(f"{errors} check runs failed")
    return cpu * 1000 / max(runs, 1), runs


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def soak(config: Path, seconds: float) -> list[tuple[float, int]]:
    """RSS samples (seconds since start, KiB) of `parity serve` over ``seconds``."""
    port = free_port()
    log = (config.parent / "serve.log").open("ab")
    argv = [sys.executable, "-m", "parity.cli.main", "--config", str(config), "serve"]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)],
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    samples: list[tuple[float, int]] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("parity serve did not start: see serve.log")
            time.sleep(0.2)
        started = time.monotonic()
        next_sample = started
        with httpx.Client(timeout=30) as client:
            while (elapsed := time.monotonic() - started) < seconds:
                client.get(f"{base}/api/status").raise_for_status()
                client.get(f"{base}/").raise_for_status()
                if time.monotonic() >= next_sample:
                    samples.append((elapsed, rss_kib(proc.pid)))
                    next_sample += 10
                time.sleep(1)
        samples.append((time.monotonic() - started, rss_kib(proc.pid)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    return samples


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-days", type=float, default=2.0, help="days of raw probes kept")
    parser.add_argument("--requests", type=int, default=50, help="dashboard requests timed")
    parser.add_argument("--cpu-s", type=float, default=20.0, help="scheduler run for CPU")
    parser.add_argument("--soak-s", type=float, default=60.0, help="soak duration (600 = goal)")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"# bench_serve  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {platform.platform()}")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    folder = Path(tempfile.mkdtemp(prefix="parity-bench-serve-"))
    target = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_TARGET)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert target.stdout is not None
        port = int(target.stdout.readline())
        # The history's own interval for the pages; 1 s for the scheduler and the soak.
        settings = load_settings(write_config(folder, port, INTERVAL_S, "parity.toml"), env={})
        fast = write_config(folder, port, 1, "fast.toml")
        started = time.perf_counter()
        counts = generate_history(settings, args.raw_days, datetime.now(UTC))
        size = (folder / "state.db").stat().st_size / 1e6
        print(
            f"history: {counts['probes']:,} probes + {counts['rollups']:,} rollups of"
            f" {CHECKS} checks, {size:.0f} MB, generated in {time.perf_counter() - started:.0f} s"
        )
        web = measure_web(settings, args.requests)
        floor = web["/healthz"][1]
        for path, goal in (("/", DASHBOARD_GOAL_MS), ("/api/status", STATUS_GOAL_MS)):
            p50, p95, cpu = web[path]
            print(
                f"{path:12} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU {cpu:5.1f} ms/request"
                f"  goal < {goal:g} ms"
                f"  ({p95 / goal:.2f}x of goal, {p95 / floor:.1f}x /healthz p95 {floor:.1f} ms)"
            )
        p50, p95, cpu = measure_rebuild(settings, args.requests)
        print(
            f"{'rebuild':12} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU {cpu:5.1f} ms/rebuild"
            "  (the report, after a probe lands: at most once a second)"
        )
        cpu_ms, runs = measure_scheduler_cpu(settings, args.cpu_s)
        print(
            f"scheduler: {cpu_ms:.2f} ms CPU per check over {runs} check runs"
            f"  goal < {CPU_GOAL_MS:g} ms ({cpu_ms / CPU_GOAL_MS:.2f}x of goal)"
        )
        if args.soak_s > 0:
            samples = soak(fast, args.soak_s)
            first, last = samples[0][1], samples[-1][1]
            peak = max(kib for _, kib in samples)
            print(
                f"soak {args.soak_s:.0f} s: RSS start {first / 1024:.1f} MiB, end"
                f" {last / 1024:.1f} MiB, max {peak / 1024:.1f} MiB"
                f" (end/start {last / first:.2f}); samples every 10 s"
            )
        load = os.getloadavg()
        print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        target.terminate()
        target.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
