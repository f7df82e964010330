"""Which MySQL driver streams a large table faster: PyMySQL or mysqlclient?

Creates a scratch database with a wp_postmeta-shaped table (default 1,000,000 rows),
then streams it in primary-key order with an unbuffered cursor and ``fetchmany`` (what
``parity.targets.Database.stream`` does) with each driver, each in its own process so peak
memory is measured separately. The baseline, in the same run, is MariaDB's own C client
(``mariadb --quick``) writing the rows to /dev/null.

    .venv/bin/python benchmarks/bench_mysql_driver.py --socket /path/to/mysqld.sock [--rows N]

parity depends on mysqlclient; PyMySQL is measured when installed
(``pip install PyMySQL``), otherwise only mysqlclient is.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from typing import Any

DB = "parity_bench_driver"


def _connect(driver: str, socket: str, database: str | None = None) -> Any:
    kwargs: dict[str, Any] = {"unix_socket": socket, "user": "root", "charset": "utf8mb4"}
    if database:
        kwargs["database"] = database
    if driver == "pymysql":
        import pymysql

        return pymysql.connect(**kwargs)
    import MySQLdb

    return MySQLdb.connect(**kwargs)


def prepare(socket: str, rows: int) -> int:
    """Create the scratch table with ``rows`` rows; returns its data size in bytes."""
    conn = _connect("mysqlclient", socket)
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {DB}")
    cur.execute(f"USE {DB}")
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema=%s", [DB])
    exists = cur.fetchone()[0]
    if exists:
        cur.execute("SELECT COUNT(*) FROM postmeta")
        if cur.fetchone()[0] == rows:
            return _size(cur)
        cur.execute("DROP TABLE postmeta")
    cur.execute(
        "CREATE TABLE postmeta (meta_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
        " post_id BIGINT UNSIGNED NOT NULL, meta_key VARCHAR(255), meta_value LONGTEXT,"
        " KEY post_id (post_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    )
    rnd = random.Random(7)
    keys = ["_edit_lock", "_thumbnail_id", "_wp_attached_file", "_menu_item_url", "seo_meta"]
    batch: list[tuple[int, str, str]] = []
    for i in range(rows):
        key = rnd.choice(keys)
        if key == "seo_meta":
            value = (
                'a:3:{s:5:"title";s:24:"An article about stacks";s:4:"desc";'
                f's:60:"{"x" * 60}";s:3:"url";s:31:"https://example.com/post-{i:06d}/";}}'
            )
        else:
            value = f"https://example.com/wp-content/uploads/2026/11/image-{i}.jpg"
        batch.append((i // 10 + 1, key, value))
        if len(batch) == 5000:
            cur.executemany(
                "INSERT INTO postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)", batch
            )
            batch.clear()
    if batch:
        cur.executemany(
            "INSERT INTO postmeta (post_id, meta_key, meta_value) VALUES (%s, %s, %s)", batch
        )
    conn.commit()
    cur.execute("ANALYZE TABLE postmeta")
    cur.fetchall()
    return _size(cur)


def _size(cur: Any) -> int:
    cur.execute("SELECT SUM(LENGTH(meta_value) + LENGTH(meta_key) + 16) FROM postmeta")
    return int(cur.fetchone()[0])


def stream(driver: str, socket: str, chunk: int) -> dict[str, float]:
    """Stream the table once in PK order; runs inside a child process."""
    conn = _connect(driver, socket, DB)
    if driver == "pymysql":
        import pymysql.cursors

        cur = conn.cursor(pymysql.cursors.SSCursor)
    else:
        import MySQLdb.cursors

        cur = conn.cursor(MySQLdb.cursors.SSCursor)
    start = time.perf_counter()
    cur.execute("SELECT * FROM postmeta ORDER BY meta_id")
    count = 0
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            break
        count += len(rows)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": count, "seconds": elapsed, "peak_mb": peak_kb / 1024}


def run_child(driver: str, socket: str, chunk: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", driver, "--socket", socket, "--chunk", str(chunk)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout))


def client_baseline(socket: str) -> float:
    start = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        subprocess.run(
            [
                "mariadb",
                "--no-defaults",
                "-S",
                socket,
                "-uroot",
                "--quick",
                "-N",
                DB,
                "-e",
                "SELECT * FROM postmeta ORDER BY meta_id",
            ],
            check=True,
            stdout=sink,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="MariaDB unix socket (root access)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["pymysql", "mysqlclient"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(stream(args.child, args.socket, args.chunk)))
        return
    size = prepare(args.socket, args.rows)
    mb = size / 1e6
    print(f"table: {args.rows:,} rows, {mb:.0f} MB of data; chunk {args.chunk}")
    base = min(client_baseline(args.socket) for _ in range(args.repeat))
    print(f"  baseline mariadb --quick : {base:6.2f} s  {args.rows / base:>10,.0f} rows/s")
    drivers = ["mysqlclient"]
    try:
        import pymysql  # noqa: F401

        drivers.insert(0, "pymysql")
    except ImportError:
        print("  (PyMySQL not installed: measuring mysqlclient only; pip install PyMySQL)")
    for driver in drivers:
        runs = [run_child(driver, args.socket, args.chunk) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        secs = best["seconds"]
        print(
            f"  {driver:<24} : {secs:6.2f} s  {best['rows'] / secs:>10,.0f} rows/s"
            f"  {mb / secs:6.1f} MB/s  peak {max(r['peak_mb'] for r in runs):5.0f} MB"
            f"  ratio to baseline {secs / base:4.2f}x"
        )


if __name__ == "__main__":
    main()
