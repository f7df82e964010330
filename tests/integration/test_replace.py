"""`parity replace` against the real sandbox: mysqldump files and live databases."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest

from parity.config import load_settings

pytestmark = pytest.mark.integration

OLD = "http://old-host.example"
NEW = "https://new-host.example.org"

# Values shaped like what WordPress and its plugins store, each holding OLD somewhere.
SEEDED: list[tuple[str, str]] = [
    ("plain", f"{OLD}/about/"),
    ("serialized", f'a:2:{{s:3:"url";s:{len(OLD) + 1}:"{OLD}/";s:1:"n";i:3;}}'),
    (
        "double_serialized",
        's:{n}:"{inner}";'.format(
            inner=f'a:1:{{i:0;s:{len(OLD)}:"{OLD}";}}',
            n=len(f'a:1:{{i:0;s:{len(OLD)}:"{OLD}";}}'),
        ),
    ),
    ("json", json.dumps({"link": OLD + "/x"}).replace("/", "\\/")),
    ("block", '<!-- wp:image {"url":"' + OLD.replace("/", "\\/") + '\\/a.jpg"} /-->'),
    ("urlencoded", "https%3A%2F%2Fshare.example%2F%3Fu%3Dhttp%3A%2F%2Fold-host.example"),
]


def _php_unserializes(values: list[str]) -> list[bool]:
    """Ask real PHP which of ``values`` unserialize (the oracle)."""
    script = (
        "$in = json_decode(stream_get_contents(STDIN), true); $out = [];"
        " foreach ($in as $v) { $out[] = ($v === 'b:0;') || (@unserialize($v) !== false); }"
        " echo json_encode($out);"
    )
    done = subprocess.run(
        ["php", "-r", script], input=json.dumps(values), capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def _root(sandbox: Any, database: str | None = None) -> Any:
    args = dict(sandbox.root_connect_args())
    if database:
        args["database"] = database
    args.setdefault("charset", "utf8mb4")
    return MySQLdb.connect(**args)


@pytest.fixture
def scratch(sandbox: Any) -> Iterator[str]:
    """A scratch copy of production's database with OLD seeded in every encoding."""
    name = "parity_replace_scratch"
    conn = _root(sandbox)
    cur = conn.cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {name}")
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    dump = _dump(sandbox, sandbox.database("production"))
    _load(sandbox, name, dump)
    cur.execute(f"USE {name}")
    for key, value in SEEDED:
        cur.execute(
            "INSERT INTO wp_options (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
            [f"parity_seed_{key}", value],
        )
    cur.execute("CREATE TABLE wp_nokey (k VARCHAR(20), v TEXT) CHARSET utf8mb4")
    cur.execute("INSERT INTO wp_nokey VALUES ('a', %s), ('a', %s)", [OLD, OLD])
    conn.commit()
    conn.close()
    yield name
    conn = _root(sandbox)
    conn.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    conn.close()


def _dump(sandbox: Any, database: str) -> bytes:
    socket = str(sandbox.root_socket)
    done = subprocess.run(
        ["mariadb-dump", "--no-defaults", "-S", socket, "-uroot", "--single-transaction", database],
        capture_output=True,
        check=True,
    )
    return done.stdout


def _load(sandbox: Any, database: str, dump: bytes) -> None:
    socket = str(sandbox.root_socket)
    subprocess.run(
        ["mariadb", "--no-defaults", "-S", socket, "-uroot", database], input=dump, check=True
    )


def _option_values(sandbox: Any, database: str) -> dict[str, str]:
    conn = _root(sandbox, database)
    cur = conn.cursor()
    cur.execute("SELECT option_name, option_value FROM wp_options")
    rows = {str(k): str(v) for k, v in cur.fetchall()}
    conn.close()
    return rows


def _env_config(tmp_path: Path, sandbox: Any, database: str, protected: bool) -> Path:
    socket = sandbox.root_socket
    path = tmp_path / "parity.toml"
    path.write_text(
        "[environments.scratch]\n"
        'url = "http://127.0.0.1:1"\n'
        f'db = "mysql://root@localhost/{database}?socket={socket}"\n'
        f"protected = {'true' if protected else 'false'}\n",
        encoding="utf-8",
    )
    return path


def test_sql_file_rewrite_of_a_real_dump_imports_cleanly_and_stays_valid_php(
    sandbox: Any, scratch: str, tmp_path: Path, run_parity: Any
) -> None:
    before = _option_values(sandbox, scratch)
    dump = tmp_path / "dump.sql"
    dump.write_bytes(_dump(sandbox, scratch))
    out = tmp_path / "out.sql"
    result = run_parity("replace", OLD, NEW, "--sql-file", str(dump), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert OLD.encode() not in out.read_bytes()

    conn = _root(sandbox)
    conn.cursor().execute("DROP DATABASE IF EXISTS parity_replace_out")
    conn.cursor().execute("CREATE DATABASE parity_replace_out CHARACTER SET utf8mb4")
    conn.close()
    try:
        _load(sandbox, "parity_replace_out", out.read_bytes())
        after = _option_values(sandbox, "parity_replace_out")
    finally:
        conn = _root(sandbox)
        conn.cursor().execute("DROP DATABASE IF EXISTS parity_replace_out")
        conn.close()

    assert set(after) == set(before)
    names = sorted(before)
    valid_before = _php_unserializes([before[n] for n in names])
    valid_after = _php_unserializes([after[n] for n in names])
    assert valid_after == valid_before  # every serialized value still valid, none newly broken
    assert after["parity_seed_plain"] == f"{NEW}/about/"
    assert "old-host.example" not in after["parity_seed_urlencoded"]
    assert after["parity_seed_urlencoded"].endswith("https%3A%2F%2Fnew-host.example.org")
    assert NEW.replace("/", "\\/") in after["parity_seed_block"]


def test_env_rewrite_in_place_rewrites_every_encoding_and_keyless_tables(
    sandbox: Any, scratch: str, tmp_path: Path, run_parity: Any
) -> None:
    config = _env_config(tmp_path, sandbox, scratch, protected=False)
    dry = run_parity(
        "--config",
        str(config),
        "replace",
        "scratch",
        OLD,
        NEW,
        "--dry-run",
        "--format",
        "json",
    )
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True and report["rows_written"] == 0
    assert report["occurrences"] >= len(SEEDED) + 2
    assert OLD in _option_values(sandbox, scratch)["parity_seed_plain"]  # nothing written

    done = run_parity("--config", str(config), "replace", "scratch", OLD, NEW, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    keyless = [t for t in result["tables"] if t["table"] == "wp_nokey"]
    assert keyless[0]["matched_by"] == "full row (no primary key)"
    values = _option_values(sandbox, scratch)
    seeded = [values[f"parity_seed_{key}"] for key, _ in SEEDED]
    assert all("old-host.example" not in v for v in seeded)
    assert _php_unserializes([values["parity_seed_serialized"]]) == [True]
    conn = _root(sandbox, scratch)
    cur = conn.cursor()
    cur.execute("SELECT v FROM wp_nokey")
    assert [r[0] for r in cur.fetchall()] == [NEW, NEW]
    conn.close()


def test_env_rewrite_is_refused_on_a_protected_environment_and_writes_nothing(
    sandbox: Any, scratch: str, tmp_path: Path, run_parity: Any
) -> None:
    config = _env_config(tmp_path, sandbox, scratch, protected=True)
    assert load_settings(config).environment("scratch").protected
    before = _option_values(sandbox, scratch)
    done = run_parity("--config", str(config), "replace", "scratch", OLD, NEW)
    assert done.returncode == 2
    assert "protected" in done.stderr
    assert _option_values(sandbox, scratch) == before
