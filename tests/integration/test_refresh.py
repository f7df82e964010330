"""`parity refresh` against the real sandbox: MariaDB, PHP-FPM + nginx, Varnish, WordPress.

Production is seeded (as MariaDB's root: parity itself never writes there) with posts,
options, usermeta and comments that hold production's URL in several encodings, personal
e-mail addresses, and a serialized value that is already broken. The refresh runs as a
real subprocess, so it can be killed with SIGKILL at each stage (test hook
``PARITY_REFRESH_PAUSE_AT``). The module runs on a private sandbox (the shared one stays
as installed). Run with ``PARITY_TEST_PORT_OFFSET=600`` beside other runs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import MySQLdb
import pytest
from pydantic import SecretStr

from parity.config import load_settings
from parity.refresh import RefreshSection, RefreshService, rollback_refresh
from parity.refresh.urls import url_pairs
from parity.rewrite.encodings import forms_of
from parity.store import open_store

pytestmark = pytest.mark.integration

PROD_DB, STAGE_DB = "wp_production", "wp_staging"
EMAILS = [
    "ann.customer@gmail.com",
    "bob.buyer@yahoo.co.uk",
    "carol@prod-corp.com",
    "orders@prod-corp.com",
]
BROKEN = 'a:2:{s:3:"one";s:9:"too short";}'  # declared length wrong: does not unserialize


# -- helpers -------------------------------------------------------------------------


def _root(sandbox: Any, database: str) -> Any:
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(), database=database, charset="utf8mb4", autocommit=True
    )
    return conn


def _query(sandbox: Any, database: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = _root(sandbox, database)
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        conn.close()


def _live_tables(sandbox: Any, database: str) -> list[str]:
    rows = _query(
        sandbox,
        database,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
        " AND table_type = 'BASE TABLE' ORDER BY table_name",
        [database],
    )
    return [str(r[0]) for r in rows]


def _fingerprint(sandbox: Any, database: str) -> dict[str, int]:
    """CHECKSUM TABLE of every live (wp_) table: equal means untouched."""
    tables = [t for t in _live_tables(sandbox, database) if t.startswith("wp_")]
    rows = _query(sandbox, database, "CHECKSUM TABLE " + ", ".join(f"`{t}`" for t in tables))
    return {str(name).split(".", 1)[1]: int(value) for name, value in rows}


def _php_unserializes(values: list[bytes]) -> list[bool]:
    """Real PHP decides which values unserialize (the oracle)."""
    script = (
        "$in = json_decode(stream_get_contents(STDIN), true); $out = [];"
        " foreach ($in as $v) { $s = base64_decode($v);"
        " $out[] = ($s === 'b:0;') || (@unserialize($s) !== false); }"
        " echo json_encode($out);"
    )
    data = json.dumps([base64.b64encode(v).decode() for v in values])
    done = subprocess.run(
        ["php", "-r", script], input=data, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def _ser(value: str) -> str:
    return f's:{len(value.encode())}:"{value}";'


def _page(url: str) -> httpx.Response:
    """GET past the cache (a query string nobody asked for yet)."""
    return httpx.get(f"{url}/?parity-test={uuid.uuid4().hex}", timeout=15)


def _refresh_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "parity.cli.main", "refresh", *args]


def _env(config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARITY_REFRESH_")}
    env["PARITY_CONFIG"] = str(config)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _refresh_argv(*args), env=_env(config), capture_output=True, text=True, timeout=180
    )


def _refresh(config: Path, *extra: str) -> dict[str, Any]:
    done = _run(
        config, "--from", "production", "--to", "staging", "--yes", "--format", "json", *extra
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _start_paused(config: Path, stage: str, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    """Start a refresh that stops at ``stage`` (test hook) and wait until it is there."""
    marker = tmp / f"paused-{stage}-{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        _refresh_argv("--from", "production", "--to", "staging", "--yes", *extra),
        env=_env(config, PARITY_REFRESH_PAUSE_AT=stage, PARITY_REFRESH_PAUSE_FILE=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(
                f"refresh ended before {stage}: {proc.stderr.read() if proc.stderr else ''}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"refresh never reached {stage}")
        time.sleep(0.05)
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _mark_staging(sandbox: Any, title: str) -> None:
    """A published post only staging has: its front page shows it while it has old data."""
    _query(
        sandbox,
        STAGE_DB,
        "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, post_title,"
        " post_excerpt, post_status, post_name, to_ping, pinged, post_modified,"
        " post_modified_gmt, post_content_filtered, guid, post_type)"
        " VALUES (1, NOW(), UTC_TIMESTAMP(), 'staging marker', %s, '', 'publish', %s, '', '',"
        " NOW(), UTC_TIMESTAMP(), '', '', 'post')",
        [title, title.lower().replace(" ", "-")],
    )


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Any) -> Any:
    """A sandbox of this module's own: refreshes replace staging's data for good (and the
    seeding changes production), which the session's shared sandbox must not see."""
    return private_sandbox


@pytest.fixture(scope="module")
def config(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's parity.toml, copied (own state store) with environments for guards."""
    folder = tmp_path_factory.mktemp("refresh")
    text = Path(sandbox.config_path).read_text("utf-8")
    data = tomllib.loads(text)
    production = data["environments"]["production"]
    socket = sandbox.root_connect_args()["unix_socket"]
    text += (
        "\n[environments.twin]\n"  # production's own database, reached another way
        'url = "http://twin.invalid"\n'
        f'db = "mysql://root@localhost/{PROD_DB}?socket={socket}"\n'
        "\n[environments.mirror]\n"  # staging's database under production's URL
        f'url = "{production["url"]}"\n'
        f'db = "{data["environments"]["staging"]["db"]}"\n'
    )
    path = folder / "parity.toml"
    path.write_text(text, "utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def seeded(sandbox: Any, config: Path) -> dict[str, Any]:
    """Production holds its URL in every encoding, personal data, and one broken value."""
    url = sandbox.production_url
    host = url.split("://", 1)[1]
    slashed = url.replace("/", "\\/")
    nested = f'a:1:{{s:4:"home";{_ser(url + "/")}}}'
    encoded = url.replace(":", "%3A").replace("/", "%2F")
    statements: list[tuple[str, list[Any]]] = []
    for n in range(1, 6):
        content = (
            f'<!-- wp:image {{"url":"{slashed}\\/wp-content\\/uploads\\/p{n}.jpg"}} /-->\n'
            f'<p>Read <a href="{url}/production-post-{n}/">this</a> and'
            f' <a href="//{host}/about/">that</a>; share: {encoded}'
            f" or write to {EMAILS[n % 2]}.</p>"
        )
        statements.append(
            (
                "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content,"
                " post_title, post_excerpt, post_status, post_name, to_ping, pinged,"
                " post_modified, post_modified_gmt, post_content_filtered, guid, post_type)"
                " VALUES (1, NOW() - INTERVAL %s MINUTE, UTC_TIMESTAMP() - INTERVAL %s MINUTE,"
                " %s, %s, '', 'publish', %s, '', '', NOW(), UTC_TIMESTAMP(), '', %s, 'post')",
                [
                    n,
                    n,
                    content.replace(EMAILS[n % 2], "the shop"),
                    f"Production post {n}",
                    f"production-post-{n}",
                    f"{url}/?p=100{n}",
                ],
            )
        )
    meta = {
        "_links": f'a:2:{{s:4:"self";{_ser(url + "/?p=1")}s:6:"nested";{_ser(nested)}}}',
        "_json": json.dumps({"href": url + "/x", "n": 1}).replace("/", "\\/"),
        "_broken": BROKEN,
        "_plain": "no url here",
    }
    for key, value in meta.items():
        statements.append(
            (
                "INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (1, %s, %s)",
                [key, value],
            )
        )
    options = {
        "parity_widget": (
            'a:1:{i:2;a:2:{s:5:"title";s:4:"Shop";s:4:"text";'
            + _ser("Visit " + url + "/shop/")
            + "}}"
        ),
        "parity_broken": BROKEN,
        "parity_json": json.dumps({"logo": f"{url}/wp-content/uploads/logo.png"}),
        "woocommerce_new_order_settings": (
            'a:2:{s:7:"enabled";s:3:"yes";s:9:"recipient";' + _ser(EMAILS[3]) + "}"
        ),
        "_transient_parity_cache": url + "/cached",
    }
    for key, value in options.items():
        statements.append(
            (
                "INSERT INTO wp_options (option_name, option_value, autoload)"
                " VALUES (%s, %s, 'no')",
                [key, value],
            )
        )
    statements += [
        (
            "INSERT INTO wp_users (user_login, user_pass, user_nicename, user_email, user_url,"
            " user_registered, display_name) VALUES ('ann', %s, 'ann', %s, %s, NOW(), 'Ann')",
            ["$P$Bproductionhashproductionhas", EMAILS[0], url],
        ),
        (
            "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES"
            " (1, 'session_tokens', 'a:1:{s:3:\"tok\";a:0:{}}'), (1, 'billing_email', %s),"
            " (1, 'billing_city', 'Lyon'), (1, 'parity_dashboard', %s)",
            [EMAILS[1], f'a:1:{{s:4:"link";{_ser(url + "/wp-admin/")}}}'],
        ),
        (
            "INSERT INTO wp_comments (comment_post_ID, comment_author, comment_author_email,"
            " comment_author_url, comment_author_IP, comment_date, comment_date_gmt,"
            " comment_content, comment_approved, comment_agent) VALUES"
            " (1, 'Carol', %s, %s, '203.0.113.7', NOW(), UTC_TIMESTAMP(), 'Nice!', '1', 'Firefox')",
            [EMAILS[2], url],
        ),
    ]
    # Tables with a named foreign key, as WooCommerce has (wc_download_log).
    statements += [
        ("CREATE TABLE wp_parity_parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB", []),
        (
            "CREATE TABLE wp_parity_child (id INT PRIMARY KEY, parent_id INT, note TEXT,"
            " CONSTRAINT fk_parity_child_parent FOREIGN KEY (parent_id)"
            " REFERENCES wp_parity_parent (id)) ENGINE=InnoDB",
            [],
        ),
        ("INSERT INTO wp_parity_parent VALUES (1, 'one'), (2, 'two')", []),
        ("INSERT INTO wp_parity_child VALUES (1, 1, %s), (2, 2, 'plain')", [url + "/child"]),
    ]
    conn = _root(sandbox, PROD_DB)
    try:
        cur = conn.cursor()
        for sql, params in statements:
            cur.execute(sql, params)
    finally:
        conn.close()
    admin_email = _query(sandbox, PROD_DB, "SELECT user_email FROM wp_users WHERE ID = 1")[0][0]
    commenters = [
        r[0] for r in _query(sandbox, PROD_DB, "SELECT comment_author_email FROM wp_comments")
    ]
    return {"emails": [*EMAILS, admin_email, *[c for c in commenters if c]]}


@pytest.fixture(scope="module")
def refreshed(seeded: dict[str, Any], config: Path) -> dict[str, Any]:
    """One complete refresh (its JSON report)."""
    return _refresh(config)


# -- guards --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "staging", "--to", "production"), "protected"),
        (("--from", "production", "--to", "twin"), "same database"),
        (("--from", "production", "--to", "mirror"), "same URL"),
    ],
    ids=["target-protected", "same-server-and-schema", "same-url"],
)
def test_guard_refuses_with_exit_2_and_writes_nothing(
    sandbox: Any, seeded: dict[str, Any], config: Path, args: tuple[str, ...], message: str
) -> None:
    before = {db: _fingerprint(sandbox, db) for db in (PROD_DB, STAGE_DB)}
    done = _run(config, *args, "--yes")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stderr.startswith("error: ")
    assert {db: _fingerprint(sandbox, db) for db in (PROD_DB, STAGE_DB)} == before
    for db in (PROD_DB, STAGE_DB):
        assert not [t for t in _live_tables(sandbox, db) if t.startswith("_p")]


def test_dry_run_reports_everything_and_writes_nothing(
    sandbox: Any, seeded: dict[str, Any], config: Path
) -> None:
    before = _fingerprint(sandbox, STAGE_DB)
    done = _run(config, "--from", "production", "--to", "staging", "--dry-run", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is True
    assert report["rewrite"]["by_encoding"].keys() >= {"raw", "json", "url"}
    assert report["scrub"]["users.user_email -> user_email"] >= 2
    assert report["preserved_options"] == ["blog_public", "home", "siteurl"]
    options = next(t for t in report["tables"] if t["source"] == "wp_options")
    assert "transients" in options["exclusions"]
    assert all(t["bytes"] > 0 for t in report["tables"])
    assert _fingerprint(sandbox, STAGE_DB) == before
    assert not [t for t in _live_tables(sandbox, STAGE_DB) if t.startswith("_p")]


# -- killed at each stage ------------------------------------------------------------


@pytest.mark.parametrize("stage", ["copy", "cleanup", "rewrite", "verify", "swap"])
def test_kill_at_a_stage_leaves_staging_serving_old_data_and_a_rerun_completes(
    sandbox: Any, seeded: dict[str, Any], config: Path, tmp_path: Path, stage: str
) -> None:
    marker = f"Staging marker {stage} {uuid.uuid4().hex[:6]}"
    _mark_staging(sandbox, marker)
    before = _fingerprint(sandbox, STAGE_DB)
    extra: tuple[str, ...] = ()
    if stage == "cleanup":
        # A dead run's shadow tables to clean: kill one at copy first, then start over.
        _kill(_start_paused(config, "copy", tmp_path))
        extra = ("--restart",)
    proc = _start_paused(config, stage, tmp_path, *extra)
    try:
        if stage == "copy":
            # While a refresh runs, a second one is refused (lease held) and writes nothing.
            second = _run(config, "--from", "production", "--to", "staging", "--yes")
            assert second.returncode == 2
            assert "already running" in second.stderr
    finally:
        _kill(proc)
    assert _fingerprint(sandbox, STAGE_DB) == before
    page = _page(sandbox.staging_url)
    assert page.status_code == 200
    assert marker in page.text
    report = _refresh(config)
    assert isinstance(report["run_id"], int)
    if stage in ("copy", "rewrite", "verify", "swap"):
        assert report["resumed"] is True
        # The killed run is interrupted in the one run ledger; the rerun resumed it.
        history = json.loads(_run(config, "history", "staging", "--format", "json").stdout)
        latest, killed = history["runs"][0], history["runs"][1]
        assert latest["id"] == report["run_id"] and latest["status"] == "succeeded"
        assert latest["resumed_from"] == killed["id"]
        assert killed["status"] == "interrupted" and killed["ended_at"] is not None
    page = _page(sandbox.staging_url)
    assert marker not in page.text
    assert "Production post 1" in page.text
    assert not [t for t in _live_tables(sandbox, STAGE_DB) if t.startswith(("_pn_", "_pd"))]


def test_kill_during_prune_after_the_swap_leaves_new_data_and_a_rerun_completes(
    sandbox: Any, seeded: dict[str, Any], config: Path, tmp_path: Path
) -> None:
    marker = f"Staging marker prune {uuid.uuid4().hex[:6]}"
    _mark_staging(sandbox, marker)
    _kill(_start_paused(config, "prune", tmp_path))
    page = _page(sandbox.staging_url)
    assert marker not in page.text  # the swap happened, all at once
    assert "Production post 1" in page.text
    report = _refresh(config)
    assert len(report["dropped_rollback_points"]) >= 1
    history = json.loads(_run(config, "history", "staging", "--format", "json").stdout)
    active = [p for p in history["rollback_points"] if p["status"] == "active"]
    assert len(active) == 1  # retention 1
    latest, killed = history["runs"][0], history["runs"][1]
    assert (latest["job"], latest["status"], latest["scope"]) == ("refresh", "succeeded", "staging")
    assert isinstance(latest["id"], int) and latest["duration_s"] is not None
    # The run killed after its swap is settled by the rerun: its data went live.
    assert killed["status"] == "succeeded" and killed["refresh"]["stage"] == "done"
    assert killed["summary"]["note"] == "stopped after the swap; finished by a later run"


# -- what staging holds after a refresh ----------------------------------------------


def test_staging_serves_production_posts_at_its_own_url(
    sandbox: Any, refreshed: dict[str, Any]
) -> None:
    response = httpx.get(sandbox.staging_url + "/production-post-1/", timeout=15)
    assert response.status_code == 200
    assert "Production post 1" in response.text
    assert f"{sandbox.staging_url}/production-post-1/" in response.text
    assert sandbox.production_url not in response.text
    home = httpx.get(sandbox.staging_url + "/", timeout=15)  # purged after the swap
    assert "Production post 1" in home.text
    assert "/" in refreshed["purged"]


def test_no_table_holds_production_url_in_any_encoding_or_a_production_email(
    sandbox: Any, seeded: dict[str, Any], refreshed: dict[str, Any]
) -> None:
    needles: set[bytes] = set()
    for search, replace in url_pairs(sandbox.production_url, sandbox.staging_url):
        needles.update(form.search for form in forms_of(search, replace))
    emails = {e.encode() for e in seeded["emails"]}
    conn = _root(sandbox, STAGE_DB)
    conn.set_character_set("utf8mb4")
    found: list[str] = []
    try:
        cur = conn.cursor()
        for table in _live_tables(sandbox, STAGE_DB):
            if table.startswith("_p"):
                continue  # the rollback point holds staging's previous data
            cur.execute(f"SELECT * FROM `{table}`")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                for name, value in zip(names, row, strict=True):
                    if table == "wp_posts" and name == "guid":
                        continue  # GUIDs are left alone by default (rewrite_guids = false)
                    data = value if isinstance(value, bytes) else str(value).encode()
                    for needle in needles | emails:
                        if needle in data:
                            found.append(f"{table}.{name}: {needle!r}")
    finally:
        conn.close()
    assert found == []
    assert refreshed["rewrite"]["occurrences"] > 0


def test_serialized_values_unserialize_exactly_when_they_did_in_production(
    sandbox: Any, refreshed: dict[str, Any]
) -> None:
    queries = {
        "wp_options": "SELECT option_id, option_value FROM wp_options",
        "wp_postmeta": "SELECT meta_id, meta_value FROM wp_postmeta",
        "wp_usermeta": "SELECT umeta_id, meta_value FROM wp_usermeta",
    }
    checked = 0
    for table, sql in queries.items():
        prod = {r[0]: r[1] for r in _query(sandbox, PROD_DB, sql)}
        stage = {r[0]: r[1] for r in _query(sandbox, STAGE_DB, sql)}
        pairs = [
            (str(p).encode(), str(stage[k]).encode())
            for k, p in prod.items()
            if k in stage and p and re.match(r"^\s*([aOsibdN]:|N;)", str(p))
        ]
        before = _php_unserializes([p for p, _ in pairs])
        after = _php_unserializes([s for _, s in pairs])
        assert before == after, table
        checked += len(pairs)
    assert checked > 20
    broken = _query(
        sandbox, STAGE_DB, "SELECT option_value FROM wp_options WHERE option_name = 'parity_broken'"
    )
    assert broken == [(BROKEN,)]


def test_personal_data_is_scrubbed_and_mail_goes_nowhere(
    sandbox: Any, refreshed: dict[str, Any]
) -> None:
    users = _query(sandbox, STAGE_DB, "SELECT ID, user_email FROM wp_users ORDER BY ID")
    assert all(email == f"user{uid}@example.invalid" for uid, email in users)
    assert _query(
        sandbox, STAGE_DB, "SELECT COUNT(*) FROM wp_usermeta WHERE meta_key = 'session_tokens'"
    ) == [(0,)]
    admin_email = _query(
        sandbox, STAGE_DB, "SELECT option_value FROM wp_options WHERE option_name = 'admin_email'"
    )
    assert admin_email[0][0].endswith("@example.invalid")
    ips = _query(sandbox, STAGE_DB, "SELECT comment_author_IP FROM wp_comments")
    assert all(ip.startswith("192.0.2.") for (ip,) in ips if ip)
    # WordPress makes transients of its own as staging serves pages; production's stay out.
    copied = _query(
        sandbox,
        STAGE_DB,
        "SELECT COUNT(*) FROM wp_options WHERE option_name = '_transient_parity_cache'",
    )
    assert copied == [(0,)]


def test_foreign_keys_are_copied_and_point_at_the_live_parent(
    sandbox: Any, refreshed: dict[str, Any]
) -> None:
    rows = _query(
        sandbox,
        STAGE_DB,
        "SELECT referenced_table_name FROM information_schema.referential_constraints"
        " WHERE constraint_schema = %s AND table_name = 'wp_parity_child'",
        [STAGE_DB],
    )
    assert rows == [("wp_parity_parent",)]
    assert _query(sandbox, STAGE_DB, "SELECT COUNT(*) FROM wp_parity_child") == [(2,)]


def test_doctor_is_green_on_staging_after_a_refresh(
    refreshed: dict[str, Any], config: Path, run_parity: Any
) -> None:
    done = run_parity("--config", str(config), "doctor", "staging", "--format", "json")
    assert done.returncode == 0, done.stdout
    checks = {c["name"]: c["status"] for c in json.loads(done.stdout)["environments"][0]["checks"]}
    assert checks["login"] == "ok"


# -- rollback ------------------------------------------------------------------------


def test_rollback_restores_previous_staging_data_and_login(
    sandbox: Any, refreshed: dict[str, Any], config: Path, run_parity: Any
) -> None:
    marker = f"Staging marker rollback {uuid.uuid4().hex[:6]}"
    _mark_staging(sandbox, marker)
    before = _fingerprint(sandbox, STAGE_DB)
    _refresh(config)
    assert marker not in _page(sandbox.staging_url).text
    done = _run(config, "rollback", "staging", "--yes", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert _fingerprint(sandbox, STAGE_DB) == before
    assert marker in _page(sandbox.staging_url).text
    doctor = run_parity("--config", str(config), "doctor", "staging", "--format", "json")
    assert doctor.returncode == 0, doctor.stdout
    again = _run(config, "rollback", "staging", "--yes")
    assert again.returncode == 2 and "no rollback point" in again.stderr


# -- in process: another prefix, small chunks, a crash mid-copy, resume ---------------


@pytest.fixture
def prefixed_target(sandbox: Any, config: Path) -> Iterator[str]:
    database = "wp_refresh_prefix"
    conn = _root(sandbox, "mysql")
    try:
        conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    finally:
        conn.close()
    yield database
    conn = _root(sandbox, "mysql")
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS {database}")
    finally:
        conn.close()


class _Crash(Exception):
    pass


class _CrashAfter:
    """Progress sink that raises after ``rows`` rows, like a connection lost mid-copy."""

    def __init__(self, rows: int) -> None:
        self.left = rows

    def stage(self, name: str, detail: str = "") -> None:
        pass

    def table_started(self, table: str, total: int, done: int) -> None:
        pass

    def rows_done(self, table: str, rows: int) -> None:
        self.left -= rows
        if self.left <= 0:
            raise _Crash()

    def table_finished(self, table: str) -> None:
        pass


def test_other_prefix_small_chunks_and_resume_after_a_crash(
    sandbox: Any, seeded: dict[str, Any], config: Path, prefixed_target: str
) -> None:
    settings = load_settings(config)
    source = settings.environment("production")
    socket = sandbox.root_connect_args()["unix_socket"]
    target = source.model_copy(
        update={
            "name": "prefixed",
            "url": "http://prefixed.invalid",
            "protected": False,
            "cache": None,
            "login": None,
            "table_prefix": "stg_",
            "db": source.db.model_copy(
                update={
                    "user": "root",
                    "password": SecretStr(""),
                    "socket": socket,
                    "database": prefixed_target,
                }
            ),
        }
    )
    # Small chunks, and worker processes even for this small copy (the path big ones take).
    policy = RefreshSection(chunk_rows=7, workers=2, staging_password="prefixed-pw")  # type: ignore[arg-type]
    store = open_store(f"sqlite:///{config.parent / 'prefixed-state.db'}")
    with pytest.raises(_Crash):
        RefreshService(source, target, policy, store, progress=_CrashAfter(40)).run()
    result = RefreshService(source, target, policy, store).run()
    assert result.resumed
    assert any(t.resumed_from_row > 0 for t in result.tables)
    tables = _live_tables(sandbox, prefixed_target)
    assert "stg_posts" in tables and "wp_posts" not in tables
    roles = _query(
        sandbox,
        prefixed_target,
        "SELECT COUNT(*) FROM stg_options WHERE option_name = 'stg_user_roles'",
    )
    assert roles == [(1,)]
    caps = _query(
        sandbox,
        prefixed_target,
        "SELECT COUNT(*) FROM stg_usermeta WHERE meta_key = 'stg_capabilities'",
    )
    assert caps[0][0] >= 1
    source_rows = _query(sandbox, PROD_DB, "SELECT COUNT(*) FROM wp_postmeta")[0][0]
    assert (
        _query(sandbox, prefixed_target, "SELECT COUNT(*) FROM stg_postmeta")[0][0] == source_rows
    )
    rolled = rollback_refresh(target, policy, store)
    assert rolled.restored and "stg_posts" not in _live_tables(sandbox, prefixed_target)
    store.close()
