"""Import rate of `parity content import`: `--direct` (bulk SQL) and through WordPress.

Starts a sandbox of its own (state in a temp dir, ports = defaults +
PARITY_BENCH_PORT_OFFSET, default 980), synthesizes COUNT articles as .txt files, then
measures, each into an emptied staging:

* baseline: the same posts and post meta rows as raw multi-row INSERTs (mysqlclient,
  500 articles per transaction), built in memory beforehand: what the server takes;
* ``--direct``: the whole import job (read, parse, build, plan, write, record, check),
  best and median of ``--repeat`` runs, with the CPU each part used (this process,
  the worker processes that prepare articles, mysqld);
* ``--direct`` rerun: the same files again (every article skipped);
* the WordPress-side path (php-cli calling wp_insert_post) on ``--wp-count`` articles.

    .venv/bin/python benchmarks/bench_import.py [--count 20000] [--wp-count 500] [--out FILE]
        [--repeat 3] [--server-set innodb_log_file_size=268435456 ...]

``--server-set NAME=VALUE`` (repeatable) sets a global variable of the sandbox's MariaDB
before anything is measured (``SET GLOBAL``; the sandbox's own settings are unchanged):
to measure what a larger buffer pool or redo log would give, baseline included.

Prints the figures and the ratio to the baseline; writes them as markdown to
benchmarks/results_import.md (or --out). The sandbox is stopped and purged at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import MySQLdb

from parity.config import Settings, load_settings
from parity.content import synthesize, write_articles_dir
from parity.content.importer import ImportRequest, build_post, import_articles
from parity.content.importer.postdata import bookkeeping_meta
from parity.jobs import RunRecord
from parity.sandbox import Sandbox, SandboxPorts
from parity.store import open_store
from parity.targets.database import Database

GOAL = 2000.0


@dataclass
class Cpu:
    """CPU seconds of this process, its finished children, and mysqld."""

    main: float
    children: float
    mysqld: float

    @classmethod
    def now(cls, mysqld_pid: int) -> Cpu:
        fields = Path(f"/proc/{mysqld_pid}/stat").read_text().rpartition(")")[2].split()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            time.process_time(),
            children.ru_utime + children.ru_stime,
            (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"),
        )

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.main - other.main, self.children - other.children, self.mysqld - other.mysqld
        )


@dataclass
class Measure:
    """One timed import."""

    seconds: float
    articles: int
    cpu: Cpu
    record: RunRecord | None = None

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def empty_staging(root: Any) -> None:
    """Remove every post but WordPress's own first ones, with their meta and links."""
    cur = root.cursor()
    cur.execute("SELECT MAX(ID) FROM wp_posts WHERE ID <= 3")
    keep = int(cur.fetchone()[0] or 0)
    cur.execute("DELETE FROM wp_postmeta WHERE post_id > %s", [keep])
    cur.execute("DELETE FROM wp_term_relationships WHERE object_id > %s", [keep])
    cur.execute("DELETE FROM wp_posts WHERE ID > %s", [keep])
    cur.execute("UPDATE wp_term_taxonomy SET count = 0 WHERE taxonomy = 'post_tag'")
    cur.execute("OPTIMIZE TABLE wp_posts, wp_postmeta, wp_term_relationships")
    cur.fetchall()


def baseline(root: Any, folder: Path, mysqld: int) -> Measure:
    """Raw multi-row INSERTs of the same posts and meta rows (built beforehand)."""
    from parity.content import read_article

    posts = [build_post(read_article(path)) for path in sorted(folder.glob("*.txt"))]
    cur = root.cursor()
    cur.execute("SET SESSION sql_mode = ''")
    cur.execute("SELECT COALESCE(MAX(ID), 0) FROM wp_posts")
    first = int(cur.fetchone()[0]) + 1
    rows, meta = [], []
    for number, post in enumerate(posts):
        post_id = first + number
        rows.append(
            (post_id, 1, "2026-11-26 00:00:00", "0000-00-00 00:00:00", post.content,
             post.title, post.excerpt, "pending", "open", "open", "", "", "", "",
             "2026-11-26 00:00:00", "2026-11-26 00:00:00", "", 0, f"http://x/?p={post_id}",
             0, "post", "", 0)
        )  # fmt: skip
        pairs = [*bookkeeping_meta(post, run_id=1, noindex=True), *post.stored_meta]
        meta.append([(post_id, key, value) for key, value in pairs])
    columns = (
        "ID, post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt,"
        " post_status, comment_status, ping_status, post_password, post_name, to_ping, pinged,"
        " post_modified, post_modified_gmt, post_content_filtered, post_parent, guid,"
        " menu_order, post_type, post_mime_type, comment_count"
    )
    marks = ", ".join(["%s"] * 23)
    before = Cpu.now(mysqld)
    started = time.perf_counter()
    for start in range(0, len(rows), 500):
        cur.execute("START TRANSACTION")
        cur.executemany(
            f"INSERT INTO wp_posts ({columns}) VALUES ({marks})", rows[start : start + 500]
        )
        cur.executemany(
            "INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)",
            [row for post_meta in meta[start : start + 500] for row in post_meta],
        )
        cur.execute("COMMIT")
    seconds = time.perf_counter() - started
    return Measure(seconds, len(rows), Cpu.now(mysqld) - before)


def timed_import(
    settings: Settings, folder: Path, state: Path, mysqld: int, **options: Any
) -> Measure:
    store = open_store(f"sqlite:///{state}")
    before = Cpu.now(mysqld)
    started = time.perf_counter()
    request = ImportRequest("staging", (folder,), **options)
    with Database.connect(settings.environment("staging")) as db:
        record = import_articles(settings, request, db=db, store=store)
    seconds = time.perf_counter() - started
    store.close()
    if record.status.value != "succeeded" or record.check_status != "passed":
        raise SystemExit(f"import failed: {record.error or record.check_detail}")
    articles = record.items_done + record.items_skipped
    return Measure(seconds, articles, Cpu.now(mysqld) - before, record)


def per_article_ms(measure: Measure) -> str:
    cpu, n = measure.cpu, measure.articles
    return f"{1e3 * cpu.main / n:.2f} / {1e3 * cpu.children / n:.2f} / {1e3 * cpu.mysqld / n:.2f}"


def cpu_bound_rate(measure: Measure, cores: int) -> float:
    """The rate if the CPU this import used were the only load on ``cores`` cores."""
    cpu = measure.cpu
    return measure.articles * cores / (cpu.main + cpu.children + cpu.mysqld)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="articles for --direct")
    parser.add_argument("--wp-count", type=int, default=500, help="articles through WordPress")
    parser.add_argument("--repeat", type=int, default=3, help="timed --direct runs")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results_import.md"))
    parser.add_argument(
        "--server-set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="SET GLOBAL on the sandbox's MariaDB before measuring (repeatable)",
    )
    args = parser.parse_args()
    offset = int(os.environ.get("PARITY_BENCH_PORT_OFFSET", "980"))
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="parity-bench-import-") as tmp:
        work = Path(tmp)
        sandbox = Sandbox(work / "sandbox", SandboxPorts.with_offset(offset))
        try:
            sandbox.up()
            settings = load_settings(sandbox.config_path)
            mysqld = int((sandbox.state_dir / "mariadb" / "mariadb.pid").read_text())
            root = MySQLdb.connect(
                **sandbox.root_connect_args(), database="wp_staging", autocommit=True,
                charset="utf8mb4",
            )  # fmt: skip
            for setting in args.server_set:
                name, _, value = setting.partition("=")
                if not name.replace("_", "").isalnum() or not value.isdigit():
                    raise SystemExit(f"--server-set {setting}: expected NAME=<whole number>")
                root.cursor().execute(f"SET GLOBAL {name} = {value}")
            folder = work / "articles"
            write_articles_dir(synthesize(args.count, seed=2026), folder)
            wp_folder = work / "wp-articles"
            write_articles_dir(synthesize(args.wp_count, seed=2027), wp_folder)

            empty_staging(root)
            base = baseline(root, folder, mysqld)
            print(f"baseline raw INSERT: {base.rate:,.0f} articles/s ({base.seconds:.2f} s)")
            direct: list[Measure] = []
            for number in range(args.repeat):
                empty_staging(root)
                run = timed_import(
                    settings, folder, work / f"state-{number}.db", mysqld, direct=True,
                    workers=None,
                )  # fmt: skip
                direct.append(run)
                print(
                    f"--direct run {number + 1}: {run.rate:,.0f} articles/s"
                    f" ({run.seconds:.2f} s; CPU ms/article main/workers/mysqld"
                    f" {per_article_ms(run)})"
                )
            rerun = timed_import(
                settings, folder, work / f"state-{args.repeat - 1}.db", mysqld, direct=True,
                workers=None,
            )  # fmt: skip
            print(f"--direct rerun (all skipped): {rerun.rate:,.0f} articles/s")
            empty_staging(root)
            wordpress = timed_import(settings, wp_folder, work / "state-wp.db", mysqld)
            print(
                f"through WordPress: {wordpress.rate:,.0f} articles/s ({wordpress.seconds:.1f} s)"
            )
            root.close()
        finally:
            sandbox.down(purge=True)
    load_after = os.getloadavg()[0]
    best = max(direct, key=lambda m: m.rate)
    median = statistics.median(m.rate for m in direct)
    ratio = best.rate / base.rate
    verdict = "meets" if best.rate >= GOAL else "misses"
    print(
        f"--direct best {best.rate:,.0f} articles/s, median {median:,.0f};"
        f" {ratio:.2f}x the raw INSERT baseline; {verdict} the {GOAL:,.0f}/s goal"
    )
    write_results(
        args, base, direct, best, median, rerun, wordpress, cores, load_before, load_after
    )


def write_results(
    args: argparse.Namespace,
    base: Measure,
    direct: list[Measure],
    best: Measure,
    median: float,
    rerun: Measure,
    wordpress: Measure,
    cores: int,
    load_before: float,
    load_after: float,
) -> None:
    offset = os.environ.get("PARITY_BENCH_PORT_OFFSET", "980")
    command = f"PARITY_BENCH_PORT_OFFSET={offset} .venv/bin/python benchmarks/bench_import.py"
    command += f" --count {args.count} --wp-count {args.wp_count} --repeat {args.repeat}"
    command += "".join(f" --server-set {setting}" for setting in args.server_set)
    server_set = f"; set for this run: {', '.join(args.server_set)}" if args.server_set else ""
    lines = [
        "## Content import (`benchmarks/bench_import.py`)",
        "",
        f"- date: {date.today().isoformat()}",
        f"- machine: {cores} cores, {platform.system()} {platform.machine()},"
        f" Python {platform.python_version()}; sandbox MariaDB (64 MB buffer pool,"
        f" 16 MB redo log){server_set}",
        f"- load average (1 min) before / after: {load_before:.1f} / {load_after:.1f}"
        " (the machine is shared)",
        f"- command: `{command}`",
        f"- articles: {args.count:,} (`--direct`), {args.wp_count:,} (through WordPress),"
        " synthesized, as .txt files",
        "",
        "| step | seconds | articles/s | CPU ms/article (main / workers / mysqld) |",
        "| --- | ---: | ---: | --- |",
        f"| baseline: raw multi-row INSERT of the same rows | {base.seconds:.2f} |"
        f" {base.rate:,.0f} | - / - / {1e3 * base.cpu.mysqld / base.articles:.2f} |",
    ]
    for number, run in enumerate(direct, 1):
        lines.append(
            f"| `--direct` import, run {number} | {run.seconds:.2f} | {run.rate:,.0f} |"
            f" {per_article_ms(run)} |"
        )
    lines += [
        f"| `--direct` rerun, all skipped | {rerun.seconds:.2f} | {rerun.rate:,.0f} |"
        f" {per_article_ms(rerun)} |",
        f"| through WordPress (php-cli, wp_insert_post) | {wordpress.seconds:.2f} |"
        f" {wordpress.rate:,.0f} | {per_article_ms(wordpress)} |",
        "",
        f"`--direct`: best {best.rate:,.0f} articles/s, median {median:,.0f};"
        f" ratio to the raw INSERT baseline {best.rate / base.rate:.2f}x."
        f" The goal is {GOAL:,.0f}/s. If the CPU the import used were the only load on"
        f" the {cores} cores, it would run at {cpu_bound_rate(best, cores):,.0f} articles/s."
        f" Through WordPress: {wordpress.rate:,.0f} articles/s"
        f" ({best.rate / wordpress.rate:.0f}x slower than `--direct`).",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
