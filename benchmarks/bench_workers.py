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
against in-process, and the CPU time each spent per article: the import command, the
workers and the sandbox's servers (MariaDB, PHP, PostgreSQL, Redis) while the import
ran, read from ``/proc`` (a steadier figure than wall time on a shared machine). After
each run on workers it prints, from the run's ledger, how long its batches ran and how
long the command spent before the first and after the last (its start, the run's
recording, the check, its exit: what no number of workers shortens). The sandbox is
stopped and purged at the end.

``PARITY_BENCH_PROFILE=DIR`` runs the import commands and the workers under cProfile,
one ``DIR/<mode>-<round>-<process>.prof`` each (for finding what does not scale; the
figures of such a run are not the ones to report).
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

_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, CPU seconds of it and its reaped children)."""
    found: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            )
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        found[int(entry.name)] = (int(fields[1]), cmdline, ticks / _TICK)
    return found


def _cpu_seconds(folder: Path) -> float:
    """CPU seconds of this process and the sandbox's (theirs, their descendants' and the
    reaped children's): a delta of two of these is what ran in between."""
    found = _processes()
    ours = {os.getpid()} | {pid for pid, (_, cmd, _) in found.items() if str(folder) in cmd}
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in found.items():
        children.setdefault(parent, []).append(pid)
    todo = list(ours)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in ours:
                ours.add(child)
                todo.append(child)
    return sum(found[pid][2] for pid in ours if pid in found)


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


def _parity(config: Path, *args: str, profile: str | None = None) -> list[str]:
    folder = os.environ.get("PARITY_BENCH_PROFILE")
    python = [sys.executable]
    if folder and profile:
        python += ["-m", "cProfile", "-o", str(Path(folder) / f"{profile}.prof")]
    return [*python, "-m", "parity.cli.main", "--config", str(config), *args]


def _import(
    config: Path, articles: Path, args: argparse.Namespace, on: str, name: str
) -> tuple[float, float]:
    """Wall and CPU seconds of one import."""
    command = ["content", "import", "staging", str(articles), "--on", on]
    command += ["--batch-size", str(args.batch_size), "--workers", "0"]
    if args.direct:
        command.append("--direct")
    folder = articles.parent
    cpu = _cpu_seconds(folder)
    started = time.perf_counter()
    done = subprocess.run(
        _parity(config, *command, profile=f"{name}-import"), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds(folder) - cpu
    if done.returncode != 0:
        raise SystemExit(f"import --on {on} failed: {done.stderr[-1500:]}")
    if on == "celery":
        _print_phases(config, seconds)
    return seconds, cpu


def _print_phases(config: Path, seconds: float) -> None:
    """How long the workers waited for the first batch, ran batches, and how long the
    command went on after the last one (from the ledger of the run just made)."""
    import tomllib

    from sqlalchemy import create_engine, text

    url = tomllib.loads(config.read_text("utf-8"))["state"]["url"]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            first, last, runs = conn.execute(
                text(
                    "SELECT MIN(started_at), MAX(ended_at), COUNT(DISTINCT worker)"
                    " FROM job_batches WHERE run_id = (SELECT MAX(id) FROM job_runs)"
                )
            ).one()
    finally:
        engine.dispose()
    span = (last - first).total_seconds()
    print(
        f"    {seconds:.1f} s: batches ran {span:.1f} s on {runs} worker(s);"
        f" {seconds - span:.1f} s before the first or after the last",
        flush=True,
    )


def _with_workers(
    sandbox: Sandbox, folder: Path, articles: Path, args: argparse.Namespace, count: int, name: str
) -> tuple[float, float]:
    _remove_imported(sandbox)
    config = _config(sandbox, folder)
    logs = [folder / f"worker-{n}.log" for n in range(count)]
    procs = [
        subprocess.Popen(
            _parity(config, "worker", "--loglevel", "INFO", profile=f"{name}-worker{n}"),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for n, log in enumerate(logs)
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
        return _import(config, articles, args, "celery", name)
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
            runs: dict[str, list[tuple[float, float]]] = {
                "in-process": [],
                "1 worker": [],
                "2 workers": [],
            }
            for round_ in range(args.repeat):
                # Rounds of all three, so a change of the machine's state touches each.
                _remove_imported(sandbox)
                config = _config(sandbox, folder)
                runs["in-process"].append(
                    _import(config, articles, args, "in-process", f"inprocess-{round_}")
                )
                for count in (1, 2):
                    name = f"{count}w-{round_}"
                    runs["1 worker" if count == 1 else "2 workers"].append(
                        _with_workers(sandbox, folder, articles, args, count, name)
                    )
        finally:
            sandbox.down(purge=True)
    path = "--direct" if args.direct else "through WordPress"
    print(
        f"{args.count} articles, {path}, batches of {args.batch_size}, median of {args.repeat};"
        f" load {os.getloadavg()}"
    )
    median = {name: statistics.median(w for w, _ in each) for name, each in runs.items()}
    for name, seconds in median.items():
        walls = ", ".join(f"{w:.1f}" for w, _ in runs[name])
        cpu = statistics.median(c for _, c in runs[name])
        print(
            f"  {name:<11} {seconds:7.1f} s  {args.count / seconds:8.0f} articles/s  ({walls});"
            f"  CPU {cpu:6.1f} s, {cpu / args.count * 1000:5.2f} ms/article"
        )
    baseline, one, two = median["in-process"], median["1 worker"], median["2 workers"]
    print(f"  2 workers / 1 worker: {one / two:.2f}x (goal >= 1.6x)")
    print(f"  1 worker vs in-process: {(one / baseline - 1) * 100:+.0f}% time (goal <= +15%)")


if __name__ == "__main__":
    main()
