"""The rehearsal's own overhead against the time of the ALTERs, on a 200k-row postmeta.

Uses a running sandbox (``--state-dir``, e.g. one from ``parity sandbox up --state-dir
DIR``) or starts one of its own in a temp dir (ports = defaults + PARITY_BENCH_PORT_OFFSET,
default 470). Grows staging's ``wp_postmeta`` to at least ``--rows`` rows through MariaDB's
root (a server-side INSERT ... SELECT), then for each migration of the issue's four:

* baseline, measured in the same run: the ALTER alone, as written (the server picks the
  algorithm), on a ready server-side copy of ``wp_postmeta`` made through root;
* ``rehearse_migration(..., keep=True)`` on staging, reusing the copy kept by the run
  before it (verified by ``CHECKSUM TABLE`` of staging's table): its wall time, the time of
  the migration's statements inside it (``ddl_s``) and everything else (the overhead, as
  the issue defines it: "everything but the ALTERs themselves"), split by phase.

Also measured once: the first ``--keep`` rehearsal (it makes the copy) and a rehearsal
without ``--keep`` (copy made, then dropped), so the cost of making a copy is in the
figures too. Median of ``--repeat`` runs (default 3). Prints the figures and the ratio
overhead / ALTER alone; writes them as markdown to benchmarks/results_rehearse.md (or
--out; not committed: the figures go to docs/benchmarks.md).

    .venv/bin/python benchmarks/bench_rehearse.py [--state-dir DIR] [--rows 200000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import MySQLdb

from parity.config import load_settings
from parity.rehearse.service import rehearse_migration
from parity.rehearse.settings import RehearseSection
from parity.sandbox import Sandbox, SandboxPorts

MIGRATIONS = {
    "ADD COLUMN at the end": "ALTER TABLE wp_postmeta ADD COLUMN parity_note varchar(20) NULL",
    "ADD INDEX meta_value(32)": "ALTER TABLE wp_postmeta ADD INDEX meta_value (meta_value(32))",
    "MODIFY meta_key (COPY)": (
        "ALTER TABLE wp_postmeta MODIFY meta_key varchar(191) CHARACTER SET latin1 NULL"
    ),
    "DROP INDEX meta_key": "DROP INDEX meta_key ON wp_postmeta",
}
#: Progress messages -> phase (the first words of each message).
PHASES = {
    "reusing": "copy",
    "copying": "copy",
    "refreshing": "copy",
    "query plans before": "plans",
    "running": "statements",
    "query plans after": "plans",
    "rolling back": "rollback",
    "keeping": "keep",
    "dropping": "keep",
}


def sql(root: Any, query: str) -> list[tuple[Any, ...]]:
    with root.cursor() as cur:
        cur.execute(query)
        return list(cur.fetchall())


def grow(root: Any, rows: int) -> int:
    have = int(sql(root, "SELECT COUNT(*) FROM wp_postmeta")[0][0])
    if have < rows:
        sql(
            root,
            "INSERT INTO wp_postmeta (post_id, meta_key, meta_value)"
            " SELECT 1 + seq MOD 50, CONCAT('grown_', seq MOD 1000), CONCAT('value ', seq)"
            f" FROM seq_1_to_{rows - have}",
        )
        sql(root, "ANALYZE TABLE wp_postmeta")
    return int(sql(root, "SELECT COUNT(*) FROM wp_postmeta")[0][0])


def alter_alone(root: Any, migration: str) -> float:
    """The ALTER as written on a ready copy of wp_postmeta (root, no rehearsal)."""
    sql(root, "DROP TABLE IF EXISTS bench_rehearse_copy")
    sql(root, "CREATE TABLE bench_rehearse_copy LIKE wp_postmeta")
    sql(root, "INSERT INTO bench_rehearse_copy SELECT * FROM wp_postmeta")
    statement = migration.replace("wp_postmeta", "bench_rehearse_copy")
    start = time.perf_counter()
    sql(root, statement)
    took = time.perf_counter() - start
    sql(root, "DROP TABLE bench_rehearse_copy")
    return took


def rehearsal(env: Any, migration: str, *, keep: bool) -> dict[str, float]:
    marks: list[tuple[str, float]] = []

    def progress(message: str) -> None:
        marks.append((message, time.perf_counter()))

    start = time.perf_counter()
    report = rehearse_migration(
        env, migration, section=RehearseSection(), keep=keep, progress=progress
    )
    end = time.perf_counter()
    phases = dict.fromkeys(["setup", *PHASES.values()], 0.0)
    phases["setup"] = marks[0][1] - start if marks else 0.0
    for (message, at), (_, nxt) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        phase = next(p for word, p in PHASES.items() if message.startswith(word))
        phases[phase] += nxt - at
    copy = report.copies[0]
    return {
        "total": end - start,
        "ddl": report.ddl_s,
        "overhead": end - start - report.ddl_s,
        "copy_s": report.copy_s,
        "reused": float(copy.how == "reused"),
        "rollback_ddl": report.rollback.duration_s,
        **phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results_rehearse.md"))
    args = parser.parse_args()
    own = args.state_dir is None
    if own:
        offset = int(os.environ.get("PARITY_BENCH_PORT_OFFSET", "470"))
        box = Sandbox(
            Path(tempfile.mkdtemp(prefix="bench-rehearse-")), SandboxPorts.with_offset(offset)
        )
        box.up()
    else:
        box = Sandbox(args.state_dir)
    try:
        root = MySQLdb.connect(
            **box.root_connect_args(), database=box.database("staging"), autocommit=True
        )
        rows = grow(root, args.rows)
        sql(root, "DROP TABLE IF EXISTS prh_kept_wp_postmeta")
        env = load_settings(box.config_path).environment("staging")
        load_before = os.getloadavg()[0]
        # One-off costs: a rehearsal that copies and drops, and the first --keep run.
        fresh = rehearsal(env, MIGRATIONS["ADD INDEX meta_value(32)"], keep=False)
        first = rehearsal(env, MIGRATIONS["ADD INDEX meta_value(32)"], keep=True)
        lines = [
            f"- date: {datetime.now(UTC).date().isoformat()}",
            f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()},"
            f" Python {platform.python_version()}",
            f"- command: `.venv/bin/python benchmarks/bench_rehearse.py"
            f"{'' if own else ' --state-dir DIR'} --rows {args.rows} --repeat {args.repeat}`",
            f"- wp_postmeta: {rows:,} rows; median of {args.repeat} runs; write load 4 threads",
            "",
            "Rehearsals reusing the kept copy (`--keep`, verified by CHECKSUM TABLE):",
            "",
            "| migration | ALTER alone s | rehearsal s | DDL inside s | overhead s"
            " | copy check s | plans s | statements' other s | rollback s"
            " | of which its ALTERs s | keep s | overhead / ALTER |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        sums = dict.fromkeys(("alter", "overhead", "ddl", "keep", "rollback_ddl", "total"), 0.0)
        for name, migration in MIGRATIONS.items():
            alone = statistics.median(alter_alone(root, migration) for _ in range(args.repeat))
            runs = [rehearsal(env, migration, keep=True) for _ in range(args.repeat)]
            assert all(r["reused"] for r in runs), "a rehearsal did not reuse the kept copy"
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            sums["alter"] += alone
            sums["overhead"] += med["overhead"]
            sums["ddl"] += med["ddl"]
            sums["keep"] += med["keep"]
            sums["rollback_ddl"] += med["rollback_ddl"]
            sums["total"] += med["total"]
            lines.append(
                f"| {name} | {alone:.3f} | {med['total']:.3f} | {med['ddl']:.3f}"
                f" | {med['overhead']:.3f} | {med['setup'] + med['copy']:.3f}"
                f" | {med['plans']:.3f} | {med['statements'] - med['ddl']:.3f}"
                f" | {med['rollback']:.3f} | {med['rollback_ddl']:.3f} | {med['keep']:.3f}"
                f" | {100 * med['overhead'] / alone:.0f}% |"
            )
        sql(root, "DROP TABLE IF EXISTS prh_kept_wp_postmeta")
        alters = sums["ddl"] + sums["rollback_ddl"]
        rest = sums["total"] - alters
        load_after = os.getloadavg()[0]
        lines += [
            "",
            f"All four: ALTERs alone {sums['alter']:.2f} s, statements inside the rehearsals"
            f" {sums['ddl']:.2f} s, overhead {sums['overhead']:.2f} s:"
            f" **{100 * sums['overhead'] / sums['alter']:.0f}%** of the ALTERs' time"
            f" (of which {sums['rollback_ddl']:.2f} s the rollbacks' ALTERs).",
            "",
            "Counting every ALTER the rehearsals run on the copy (the migrations' and their"
            " rollbacks', which rebuild a kept copy after a column change) as ALTER time:"
            f" ALTERs {alters:.2f} s, the rest {rest:.2f} s:"
            f" **{100 * rest / alters:.0f}%**.",
            "",
            "Making the copy (once per change of staging's table), ADD INDEX meta_value(32):",
            "",
            "| rehearsal | total s | DDL inside s | overhead s | of which copy s |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| without --keep (copy made, dropped) | {fresh['total']:.3f} | {fresh['ddl']:.3f}"
            f" | {fresh['overhead']:.3f} | {fresh['copy_s']:.3f} |",
            f"| first --keep run (copy made, kept) | {first['total']:.3f} | {first['ddl']:.3f}"
            f" | {first['overhead']:.3f} | {first['copy_s']:.3f} |",
            "",
            f"Load average (1 min) before / after: {load_before:.1f} / {load_after:.1f}",
        ]
        text = "\n".join(lines) + "\n"
        sys.stdout.write(text)
        args.out.write_text(text, encoding="utf-8")
    finally:
        if own:
            box.down(purge=True)


if __name__ == "__main__":
    main()
