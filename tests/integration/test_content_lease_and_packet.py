"""`content import` against refresh's lease and the server's packet limit, on a real sandbox.

Runs on a private sandbox (imports change staging for good).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
from content_runs import import_articles
from store_helpers import fresh_state_url, sandbox_config_text

from parity.config import load_settings
from parity.content import synthesize, write_articles_dir
from parity.content.article import Paragraph
from parity.content.files import article_file_name
from parity.content.importer import ImportRequest
from parity.refresh.guards import target_key
from parity.refresh.locking import TargetLock
from parity.sandbox import Sandbox
from parity.store import open_store
from parity.store.holders import new_holder
from parity.targets.database import Database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """Imports change staging for good: this module runs on a sandbox of its own."""
    return private_sandbox


def _sql(sandbox: Sandbox, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    conn = MySQLdb.connect(
        **sandbox.root_connect_args(), database=sandbox.database("staging"), autocommit=True
    )
    try:
        cur = conn.cursor()
        cur.execute(query, params)
        return list(cur.fetchall())
    finally:
        conn.close()


def _imported(sandbox: Sandbox) -> set[str]:
    rows = _sql(sandbox, "SELECT meta_value FROM wp_postmeta WHERE meta_key = 'parity_source_id'")
    return {r[0].decode() if isinstance(r[0], bytes) else str(r[0]) for r in rows}


def _snapshot(sandbox: Sandbox) -> dict[str, Any]:
    return {
        table: _sql(sandbox, f"CHECKSUM TABLE {table} EXTENDED")[0][1]
        for table in ("wp_posts", "wp_postmeta", "wp_terms", "wp_term_relationships")
    }


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path) -> Iterator[Path]:
    """The sandbox's parity.toml with a state store of this test's own."""
    path = tmp_path / "parity.toml"
    text = sandbox_config_text(sandbox)
    path.write_text(f'{text}\n[state]\nurl = "{fresh_state_url(sandbox, tmp_path)}"\n', "utf-8")
    path.chmod(0o600)
    yield path


def _articles(folder: Path, count: int, seed: int) -> Path:
    write_articles_dir(synthesize(count, seed), folder)
    return folder


def test_an_import_is_refused_while_a_refresh_holds_the_environment(
    sandbox: Sandbox, config: Path, tmp_path: Path, run_parity: Any
) -> None:
    settings = load_settings(config)
    staging = settings.environment("staging")
    folder = _articles(tmp_path / "articles", 3, seed=901)
    before = _snapshot(sandbox)
    store = open_store(settings.state_url())
    try:
        with (
            Database.connect(staging) as db,
            TargetLock(
                store,
                db,
                target="staging",
                key=target_key(staging),
                holder=new_holder("refresh-run-1"),
                ttl_s=300,
            ),
        ):
            for direct in ((), ("--direct",)):
                result = run_parity(
                    "--config",
                    str(config),
                    "content",
                    "import",
                    "staging",
                    str(folder),
                    *direct,
                )
                assert result.returncode == 2, result.stdout + result.stderr
                lines = result.stderr.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
                assert "a refresh of staging is already running" in lines[0]
                assert "refresh-run-1" in lines[0]  # names the other run
    finally:
        store.close()
    assert _snapshot(sandbox) == before
    assert not any(s.startswith("alphanode-901-") for s in _imported(sandbox))


class _Paused:
    """A progress sink that holds the import inside its run until told to go on."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.go_on = threading.Event()

    def started(self, total: int | None) -> None:
        self.inside.set()
        assert self.go_on.wait(120)

    def advanced(self, done: int, skipped: int, failed: int) -> None:
        pass


def test_a_refresh_is_refused_while_an_import_holds_the_environment(
    sandbox: Sandbox, config: Path, tmp_path: Path, run_parity: Any
) -> None:
    settings = load_settings(config)
    folder = _articles(tmp_path / "articles", 3, seed=902)
    store = open_store(settings.state_url())
    paused = _Paused()
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        try:
            outcome["record"] = import_articles(
                settings,
                ImportRequest("staging", (folder,), direct=True),
                store=store,
                progress=paused,
            )
        except BaseException as exc:  # reported by the assertions below
            outcome["error"] = exc

    thread = threading.Thread(target=run_import)
    thread.start()
    try:
        assert paused.inside.wait(60), outcome
        result = run_parity(
            "--config", str(config), "refresh", "--from", "production", "--to", "staging", "--yes"
        )
    finally:
        paused.go_on.set()
        thread.join(120)
        store.close()
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error:") and "Traceback" not in result.stderr
    assert "a content import into staging is running" in lines[-1]
    assert "content-import-" in lines[-1]  # names the other run
    assert "error" not in outcome, outcome
    assert outcome["record"].items_done == 3
    assert {f"alphanode-902-00000{i}" for i in range(3)} <= _imported(sandbox)


@pytest.mark.parametrize("path", ["direct", "wordpress"])
def test_an_article_over_the_packet_limit_is_named_and_its_batch_not_written(
    sandbox: Sandbox, config: Path, tmp_path: Path, run_parity: Any, path: str
) -> None:
    seed = 903 if path == "direct" else 904
    small = list(synthesize(3, seed))
    # 3 MB of text against a 1 MB limit (the same as 50 MB against the default 16 MB).
    body = Paragraph(text="word " * 600_000 + "end.")
    huge = next(iter(synthesize(1, seed, start=3)))
    huge = huge.model_copy(update={"intro": [*huge.intro, body]})
    folder = tmp_path / "articles"
    write_articles_dir([*small[:2], huge, small[2]], folder)
    limit = _sql(sandbox, "SELECT @@GLOBAL.max_allowed_packet")[0][0]
    _sql(sandbox, "SET GLOBAL max_allowed_packet = 1048576")
    try:
        before = _imported(sandbox)
        args = ["--batch-size", "2"] + (["--direct"] if path == "direct" else [])
        result = run_parity(
            "--config", str(config), "content", "import", "staging", str(folder), *args
        )
    finally:
        _sql(sandbox, f"SET GLOBAL max_allowed_packet = {int(limit)}")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert huge.source_id in lines[0]
    assert "max_allowed_packet = 1048576" in lines[0]
    assert "did not answer" not in lines[0]
    # Files are read in name order, two per batch: the batches before the huge
    # article's are kept; nothing of its own batch is written.
    order = sorted([*small, huge], key=article_file_name)
    kept = order[: order.index(huge) // 2 * 2]
    assert _imported(sandbox) - before == {a.source_id for a in kept}
    history = run_parity("--config", str(config), "jobs", "history", "content-import")
    assert "failed" in history.stdout
