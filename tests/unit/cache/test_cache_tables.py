"""The cache tables for people stay one line per probe in an 80-column terminal."""

from __future__ import annotations

import io

from rich.console import Console

from parity.cache.observe import Observation
from parity.cache.purge import PurgeCheck, PurgeReport
from parity.cache.rules import Action
from parity.cache.verify_plan import Check, Probe
from parity.cache.verify_report import (
    Difference,
    EnvironmentReport,
    ProbeResult,
    VerifyReport,
)
from parity.cli.cache_render import purge_table, verify_tables

ROUTE = "/2026/11/a-rather-long-article-slug-that-wordpress-made-from-its-title/"
COOKIE = "wordpress_logged_in_0123456789abcdef0123456789abcdef"


def lines_at(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text().splitlines()


PROBES: tuple[tuple[Check, Action, dict[str, str]], ...] = (
    ("anonymous", "cache", {}),
    ("logged-in", "bypass", {COOKIE: "x"}),
    ("commenter", "bypass", {"comment_author_0123456789abcdef0123456789abcdef": "x"}),
)


def environment(name: str, url: str) -> EnvironmentReport:
    seen = [
        Observation("GET", url + ROUTE, 200, "MISS", "MISS", "wordpress-pages-default", None),
        Observation("GET", url + ROUTE, 200, "HIT", "HIT", "wordpress-pages-default", 3),
    ]
    results = [
        ProbeResult(
            Probe(f"{ROUTE} {check}", ROUTE, check, url + ROUTE, cookies=cookies),
            expected,
            decided_by="wordpress-pages-default",
            ttl=300 if expected == "cache" else None,
            observations=seen,
            passed=expected == "cache",
            detail=(
                "MISS, HIT (age 3) then HIT (age 5): served from the cache for 300 seconds"
                if expected == "cache"
                else "should bypass the cache, but was served from it (MISS, HIT age 3)"
            ),
        )
        for check, expected, cookies in PROBES
    ]
    return EnvironmentReport(name, url, name == "production", None, results)


def report() -> VerifyReport:
    a = environment("production", "http://production.sandbox.example.test:8081")
    b = environment("staging", "http://staging.sandbox.example.test:8082")
    diff = Difference(f"{ROUTE} logged-in", "rule", ("wordpress-pages-default", "-"))
    return VerifyReport([a, b], [diff])


def probe_rows(lines: list[str]) -> list[str]:
    return [line for line in lines if "│ ok " in line or "│ FAIL " in line]


def test_verify_tables_at_80_columns_have_one_line_per_probe() -> None:
    lines = lines_at(verify_tables(report()), 80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    rows = probe_rows(lines)
    assert len(rows) == 6, "\n".join(lines)  # three probes on each of two sites
    # A row that wrapped would continue on a line that is neither a row nor a border.
    for row in rows:
        after = lines[lines.index(row) + 1]
        assert after in rows or after[:1] in ("└", "├") or "│ /" in after, "\n".join(lines)
    text = "\n".join(lines)
    assert "/2026/11/a…title/" in text  # the route, shortened in the middle
    assert "logged-in" in text and "commenter" in text and "bypass" in text
    assert text.count("FAIL") >= 4 and "cache 300s" in text
    differences = [line for line in lines if "│ rule " in line]
    assert len(differences) == 1


def test_purge_table_at_80_columns_has_one_line_per_route() -> None:
    seen = [Observation("GET", "http://s.test" + ROUTE, 200, "HIT", "HIT", "pages", 12)]
    checks = [
        PurgeCheck(ROUTE, True, True, "pages", seen, 200, seen * 2, passed=True),
        PurgeCheck("/", False, True, "front", seen, None, seen * 2, passed=True),
    ]
    lines = lines_at(purge_table(PurgeReport("staging", False, checks)), 80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    rows = probe_rows(lines)
    assert len(rows) == 2, "\n".join(lines)
    assert "HTTP 200" in rows[0] and "control" in rows[1]
