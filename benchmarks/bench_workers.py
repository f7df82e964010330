"""Import throughput on Celery workers: 1 vs 2 worker processes, and the Celery path's
overhead against the in-process runner.

Starts a sandbox of its own with Redis and PostgreSQL (``up --with redis,postgres``;
ports = defaults + PARITY_BENCH_PORT_OFFSET, default 8500), synthesizes COUNT articles as
.txt files, then imports them into an emptied staging, each time with the state in a
fresh PostgreSQL database, timing the whole command (``parity content import``):

* baseline: ``--on in-process`` (the runner measured against, in the same run);
* ``--on celery`` with 1 worker process, then with 2 (``parity worker`` each, started
  and ready before the clock starts).

    .venv/bin/python benchmarks/bench_workers.py [--count 4000] [--batch-size 250] [--direct]
        [--repeat 3]

Each is run ``--repeat`` times, in rounds of all three; the median is kept. Prints
articles/s of each, the ratio 2 workers / 1 worker and the overhead of 1 worker
against in-process. The sandbox is stopped and purged at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import MySQLdb

from parity.content import synthesize, write_articles_dir
from parity.sandbox import Sandbox, SandboxPorts


def _remove_imported(sandbox: Sandbox) -> None:
    conn: Any = MySQLdb.connect(
        **sandbox.root_connect_args(), database=sandbox.database("staging"), autocommit=True
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT post_id FROM wp_postmeta WHERE meta_key = 'parity_source_id'")
            ids = [row[0] for row in cur.fetchall()]
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                marks = ", ".join(["%s"] * len(chunk))
                for table, column in (
                    ("wp_postmeta", "post_id"),
                    ("wp_term_relationships", "object_id"),
                    ("wp_posts", "ID"),
                ):
                    cur.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
    finally:
        conn.close()


def _config(sandbox: Sandbox, folder: Path) -> Path:
    services = sandbox.services
    state = services.postgres.create_database(f"bench_{uuid.uuid4().hex[:12]}")
    text = sandbox.config_path.read_text("utf-8").split("\n# added by")[0]
    path = folder / f"parity-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(
        f'{text}\n[state]\nurl = "{state}"\n\n[jobs]\nbroker = "{services.redis.url(db=5)}"\n',
        "utf-8",
    )
    path.chmod(0o600)
    return path


def _parity(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "parity.cli.main", "--config", str(config), *args]


def _import(config: Path, articles: Path, args: argparse.Namespace, on: str) -> float:
    command = ["content", "import", "staging", str(articles), "--on", on]
    command += ["--batch-size", str(args.batch_size), "--workers", "0"]
    if args.direct:
        command.append("--direct")
    started = time.perf_counter()
    done = subprocess.run(_parity(config, *command), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import --on {on} failed: {done.stderr[-1500:]}")
    return seconds


def _with_workers(
    sandbox: Sandbox, folder: Path, articles: Path, args: argparse.Namespace, count: int
) -> float:
    _remove_imported(sandbox)
    config = _config(sandbox, folder)
    logs = [folder / f"worker-{n}.log" for n in range(count)]
    procs = [
        subprocess.Popen(
            _parity(config, "worker", "--loglevel", "INFO"),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 120
        # Celery logs `celery@host ready.` once it consumes.
        while not all(" ready." in log.read_text("utf-8", "replace") for log in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                tail = logs[0].read_text("utf-8", "replace")[-1500:]
                raise SystemExit(f"the workers did not get ready: {tail}")
            time.sleep(0.2)
        time.sleep(2)
        return _import(config, articles, args, "celery")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--direct", action="store_true", help="bulk SQL instead of WordPress")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the median is kept")
    args = parser.parse_args()
    offset = int(os.environ.get("PARITY_BENCH_PORT_OFFSET", "8500"))
    with tempfile.TemporaryDirectory(prefix="parity-bench-workers-") as tmp:
        folder = Path(tmp)
        sandbox = Sandbox(folder / "sandbox", SandboxPorts.with_offset(offset))
        try:
            sandbox.up(services=("redis", "postgres"))
            articles = folder / "articles"
            write_articles_dir(synthesize(args.count, 19), articles)
            runs: dict[str, list[float]] = {"in-process": [], "1 worker": [], "2 workers": []}
            for _ in range(args.repeat):
                # Rounds of all three, so a change of the machine's state touches each.
                _remove_imported(sandbox)
                config = _config(sandbox, folder)
                runs["in-process"].append(_import(config, articles, args, "in-process"))
                runs["1 worker"].append(_with_workers(sandbox, folder, articles, args, 1))
                runs["2 workers"].append(_with_workers(sandbox, folder, articles, args, 2))
        finally:
            sandbox.down(purge=True)
    path = "--direct" if args.direct else "through WordPress"
    print(
        f"{args.count} articles, {path}, batches of {args.batch_size}, median of {args.repeat};"
        f" load {os.getloadavg()}"
    )
    median = {name: statistics.median(seconds) for name, seconds in runs.items()}
    for name, seconds in median.items():
        each = ", ".join(f"{s:.1f}" for s in runs[name])
        print(f"  {name:<11} {seconds:7.1f} s  {args.count / seconds:8.0f} articles/s  ({each})")
    baseline, one, two = median["in-process"], median["1 worker"], median["2 workers"]
    print(f"  2 workers / 1 worker: {one / two:.2f}x (goal >= 1.6x)")
    print(f"  1 worker vs in-process: {(one / baseline - 1) * 100:+.0f}% time (goal <= +15%)")


if __name__ == "__main__":
    main()
