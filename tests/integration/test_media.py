"""`parity media` on the real sandbox: staging's images after a refresh.

Production is seeded (``parity sandbox seed``: articles with real PNG uploads and their
attachment metadata, in production's uploads folder only), then gets, as MariaDB's root,
an attachment whose file does not exist anywhere and a ``.webp`` sidecar next to one of
its images. Staging is refreshed from it. The tests run in file order on a private
sandbox: verify finds broken images, bad input is refused with nothing written, a sync
copies exactly what staging lacked and verify then finds none, a rerun copies nothing, a
sync killed with ``kill -9`` completes on the rerun without a partial file, and a refresh
with ``--media proxy`` serves the images from production, fetched once. Run with
``PARITY_TEST_PORT_OFFSET=6100`` beside other runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import MySQLdb
import pytest

from parity.sandbox import Sandbox
from parity.sandbox.seed import seed_production

pytestmark = pytest.mark.integration

MISSING = "2021/01/missing-on-production.png"
PARTIAL = ".parity-partial"


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """A sandbox of this module's own: syncs, refreshes and proxies change staging."""
    return private_sandbox


def _parity(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "parity.cli.main", "--config", str(config), *args]


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARITY_MEDIA_", "PARITY_C"))}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _parity(config, *args), env=_environ(), capture_output=True, text=True, timeout=300
    )


def _json(config: Path, *args: str, codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
    done = _run(config, *args, "--format", "json")
    assert done.returncode in codes, done.stdout[-2000:] + done.stderr
    return dict(json.loads(done.stdout))


def _uploads(sandbox: Sandbox, site: str) -> Path:
    return sandbox.layout.wp_content(site) / "uploads"


def _tree(folder: Path) -> dict[str, str]:
    """Path -> SHA-256 of every file below ``folder`` (partial files included)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _empty_staging(sandbox: Sandbox) -> None:
    folder = _uploads(sandbox, "staging")
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _root_sql(sandbox: Sandbox, statements: list[tuple[str, list[Any]]]) -> None:
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(),
        database=sandbox.database("production"),
        charset="utf8mb4",
        autocommit=True,
    )
    try:
        cur = conn.cursor()
        for sql, params in statements:
            cur.execute(sql, params)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def config(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sandbox's parity.toml, copied (own state store), with environments for the
    refusals: an uploads path that does not exist, a production nobody answers for, and
    one with production's host."""
    folder = tmp_path_factory.mktemp("media")
    text = Path(sandbox.config_path).read_text("utf-8")
    production = tomllib.loads(text)["environments"]["production"]
    text += (
        "\n[environments.lost]\n"
        f'url = "http://127.0.0.1:9"\ndb = "{production["db"]}"\n'
        f'uploads_path = "{folder}/no-such-folder"\n'
        "\n[environments.silent]\n"
        f'url = "http://127.0.0.1:9"\ndb = "{production["db"]}"\n'
        "\n[environments.twin]\n"
        f'url = "{production["url"]}"\ndb = "{production["db"]}"\n'
        f'uploads_path = "{folder}"\n'
    )
    path = folder / "parity.toml"
    path.write_text(text, "utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def sidecar(sandbox: Sandbox) -> str:
    """Production is seeded; one image gets a .webp sidecar, and an attachment points at
    a file that exists nowhere. Returns the sidecar's path in uploads."""
    seed_production(sandbox, articles=6, seed=3)
    uploads = _uploads(sandbox, "production")
    image = sorted(p for p in uploads.rglob("*.png") if "x" not in p.stem.rsplit("-", 1)[-1])[0]
    webp = image.with_name(image.name + ".webp")
    webp.write_bytes(b"RIFF\x1a\x00\x00\x00WEBPVP8L" + bytes(14))
    _root_sql(
        sandbox,
        [
            (
                "INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content,"
                " post_title, post_excerpt, post_status, post_name, to_ping, pinged,"
                " post_modified, post_modified_gmt, post_content_filtered, guid, post_type,"
                " post_mime_type) VALUES (1, NOW(), UTC_TIMESTAMP(), '', 'lost', '',"
                " 'inherit', 'lost', '', '', NOW(), UTC_TIMESTAMP(), '', '', 'attachment',"
                " 'image/png')",
                [],
            ),
            (
                "INSERT INTO wp_postmeta (post_id, meta_key, meta_value)"
                " VALUES (LAST_INSERT_ID(), '_wp_attached_file', %s)",
                [MISSING],
            ),
        ],
    )
    return str(webp.relative_to(uploads))


@pytest.fixture(scope="module")
def refreshed(sidecar: str, config: Path) -> str:
    """Staging refreshed from the seeded production (its uploads folder left empty)."""
    done = _run(config, "refresh", "--from", "production", "--to", "staging", "--yes")
    assert done.returncode == 0, done.stderr
    return sidecar


# -- in file order ---------------------------------------------------------------------


def test_verify_before_sync_reports_the_broken_images_with_their_pages(
    sandbox: Sandbox, config: Path, refreshed: str
) -> None:
    report = _json(config, "media", "verify", "staging", "--pages", "4", codes=(1,))
    assert report["ok"] is False
    assert len(report["broken"]) > 0
    assert {b["kind"] for b in report["broken"]} >= {"img", "srcset"}
    for broken in report["broken"]:
        assert broken["status"] == 404
        assert broken["page"] in report["pages"]
        assert broken["url"].startswith(sandbox.staging_url + "/wp-content/uploads/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "lost", "--to", "staging"), "does not exist"),
        (("--from", "silent", "--to", "staging", "--via", "http"), "did not answer"),
        (("--from", "production", "--to", "twin"), "same host"),
        (("--from", "staging", "--to", "production"), "protected"),
    ],
    ids=["uploads-path-missing", "production-unreachable", "same-host", "protected-target"],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    sandbox: Sandbox, config: Path, refreshed: str, args: tuple[str, ...], message: str
) -> None:
    before = {site: _tree(_uploads(sandbox, site)) for site in ("production", "staging")}
    done = _run(config, "media", "sync", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1
    assert {site: _tree(_uploads(sandbox, site)) for site in ("production", "staging")} == before


def test_sync_copies_exactly_what_staging_lacked_and_verify_finds_nothing_broken(
    sandbox: Sandbox, config: Path, refreshed: str
) -> None:
    production = _tree(_uploads(sandbox, "production"))
    plan = _json(config, "media", "sync", "--from", "production", "--to", "staging", "--dry-run")
    assert plan["dry_run"] is True and plan["copied"]["files"] == 0
    assert _tree(_uploads(sandbox, "staging")) == {}  # a dry run writes nothing

    report = _json(config, "media", "sync", "--from", "production", "--to", "staging")
    assert report["copied"] == plan["lacking"]
    assert report["copied"]["bytes"] == sum(
        (_uploads(sandbox, "production") / path).stat().st_size
        for path in _tree(_uploads(sandbox, "staging"))
    )
    assert report["present"]["files"] == 0 and report["failed"]["files"] == 0
    # The file nobody has is listed, not fatal; the sidecar came along.
    assert report["missing_on_source"]["list"] == [
        {"path": MISSING, "referenced_by": report["missing_on_source"]["list"][0]["referenced_by"]}
    ]
    assert report["referenced"]["by_kind"]["sidecar"] == 1
    staging = _tree(_uploads(sandbox, "staging"))
    assert refreshed in staging
    assert all(production[path] == digest for path, digest in staging.items())

    after = _json(config, "media", "verify", "staging", "--pages", "4")
    assert after["broken"] == [] and after["checked"] > 0

    again = _json(config, "media", "sync", "--from", "production", "--to", "staging")
    assert again["copied"] == {"files": 0, "bytes": 0}
    assert again["present"]["files"] == report["copied"]["files"]


def test_a_sync_killed_mid_copy_leaves_no_partial_file_and_a_rerun_completes(
    sandbox: Sandbox, config: Path, refreshed: str, tmp_path: Path
) -> None:
    _empty_staging(sandbox)
    marker = tmp_path / f"paused-{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        _parity(config, "media", "sync", "--from", "production", "--to", "staging"),
        env=_environ(PARITY_MEDIA_PAUSE_AT="copy", PARITY_MEDIA_PAUSE_FILE=str(marker)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "the sync ended before its kill point"
        assert time.monotonic() < deadline, "the sync never reached its kill point"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    staging, production = _uploads(sandbox, "staging"), _tree(_uploads(sandbox, "production"))
    left = _tree(staging)
    partial = [path for path in left if path.startswith(PARTIAL + "/")]
    # Killed after bytes of a file were written: that file had no name yet (O_TMPFILE),
    # so nothing of it is left, under its name or any other.
    assert partial == []
    for path, digest in left.items():
        if not path.startswith(PARTIAL + "/"):
            assert production[path] == digest, f"{path} is under its real name, incomplete"

    report = _json(config, "media", "sync", "--from", "production", "--to", "staging")
    assert report["resumed_from"] is not None
    assert report["cleaned_partials"] == len(partial)
    assert not (staging / PARTIAL).exists()
    final = _tree(staging)
    assert all(production[path] == digest for path, digest in final.items())
    assert report["copied"]["files"] + len(left) - len(partial) == len(final)


def test_refresh_with_media_proxy_serves_the_images_fetching_each_once(
    sandbox: Sandbox, config: Path, refreshed: str
) -> None:
    _empty_staging(sandbox)
    done = _run(
        config, "refresh", "--from", "production", "--to", "staging", "--yes", "--media",
        "proxy", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    media = json.loads(done.stdout)["media"]
    assert media["mode"] == "proxy" and media["proxied"]["files"] > 0
    assert media["copied"]["files"] == 0
    assert _tree(_uploads(sandbox, "staging")) == {}

    report = _json(config, "media", "verify", "staging", "--pages", "4")
    assert report["broken"] == []

    # Straight to staging's nginx (not its Varnish): the first request of a file goes to
    # production, later ones are answered from the proxy's own cache, even with the file
    # gone from production.
    image = next(p for p in _tree(_uploads(sandbox, "production")) if p.endswith("0x169.png"))
    url = f"http://127.0.0.1:{sandbox.ports.nginx('staging')}/wp-content/uploads/{image}"
    headers = {"Host": sandbox.staging_url.split("://", 1)[1]}
    first = httpx.get(url, headers=headers, timeout=15)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.headers["x-parity-media"] in ("proxied MISS", "proxied HIT")
    original = _uploads(sandbox, "production") / image
    aside = original.with_name(original.name + ".aside")
    original.rename(aside)
    try:
        second = httpx.get(url, headers=headers, timeout=15)
    finally:
        aside.rename(original)
    assert second.status_code == 200 and second.content == first.content
    assert second.headers["x-parity-media"] == "proxied HIT"


def test_refresh_with_media_sync_copies_what_staging_lacks_after_the_swap(
    sandbox: Sandbox, config: Path, refreshed: str
) -> None:
    _empty_staging(sandbox)
    done = _run(
        config, "refresh", "--from", "production", "--to", "staging", "--yes", "--media",
        "sync", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    media = json.loads(done.stdout)["media"]
    assert media["mode"] == "sync" and media["copied"]["files"] > 0
    production, staging = (
        _tree(_uploads(sandbox, "production")),
        _tree(_uploads(sandbox, "staging")),
    )
    assert len(staging) == media["copied"]["files"]
    assert all(production[path] == digest for path, digest in staging.items())
    assert refreshed in staging  # the sidecar nothing in the database names came along
    report = _json(config, "media", "verify", "staging", "--pages", "4")
    assert report["broken"] == []
