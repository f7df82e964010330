"""Jobs and WP-cron against the real sandbox: history, checks, scheduled events.

Runs on a private sandbox (imports change staging for good); the cron option is put
back in ``finally``; production is only read.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from content_runs import import_articles, rollback_import
from store_helpers import fresh_state_url, sandbox_config_text
from typer.testing import CliRunner

from parity.cli import cron_cmd, jobs_cmd
from parity.config import load_settings
from parity.content import synthesize, write_articles_dir
from parity.content.importer import ImportRequest
from parity.jobs import JobsSection
from parity.sandbox import Sandbox
from parity.store import open_store
from parity.wordpress.phpvalue import php_serialize, php_unserialize

pytestmark = pytest.mark.integration

runner = CliRunner()


@pytest.fixture(scope="module")
def sandbox(private_sandbox: Sandbox) -> Sandbox:
    """Imports change staging for good: this module runs on a sandbox of its own."""
    return private_sandbox


def sql(root: Any, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with root.cursor() as cur:
        cur.execute(query, params)
        return list(cur.fetchall())


@pytest.fixture
def config(sandbox: Sandbox, root: Any, tmp_path: Path) -> Path:
    """The sandbox's parity.toml with a state store of this test's own."""
    ids = [
        r[0]
        for r in sql(
            root, "SELECT post_id FROM wp_postmeta WHERE meta_key = %s", ["parity_source_id"]
        )
    ]
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        sql(root, f"DELETE FROM wp_postmeta WHERE post_id IN ({marks})", ids)
        sql(
            root,
            f"DELETE FROM wp_posts WHERE ID IN ({marks}) OR post_parent IN ({marks})",
            ids + ids,
        )
    path = tmp_path / "parity.toml"
    text = sandbox_config_text(sandbox)
    path.write_text(f'{text}\n[state]\nurl = "{fresh_state_url(sandbox, tmp_path)}"\n', "utf-8")
    path.chmod(0o600)
    return path


def test_history_shows_each_run_with_owner_status_counts_and_rollback_note(
    config: Path, tmp_path: Path
) -> None:
    settings = load_settings(config)
    store = open_store(settings.state_url())
    folder = tmp_path / "articles"
    write_articles_dir(synthesize(6, seed=201), folder)
    first = import_articles(settings, ImportRequest("staging", (folder,), direct=True), store=store)
    second = import_articles(
        settings, ImportRequest("staging", (folder,), direct=True), store=store
    )
    undo = rollback_import(settings, first.id, store=store)
    store.close()
    env = {"PARITY_CONFIG": str(config), "COLUMNS": "250"}
    result = runner.invoke(jobs_cmd.app, ["history", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    runs = {run["id"]: run for run in json.loads(result.output)["runs"]}
    assert list(runs) == [undo.id, second.id, first.id]
    assert runs[first.id]["owner"] == "content team"
    assert runs[first.id]["status"] == "succeeded"
    assert runs[first.id]["items"] == {"total": 6, "done": 6, "skipped": 0, "failed": 0}
    assert runs[second.id]["items"]["skipped"] == 6
    assert runs[first.id]["rolled_back_by"] == undo.id
    assert runs[first.id]["rollback"]["command"] == "parity content rollback RUN"
    assert runs[undo.id]["job"] == "content-rollback"
    assert runs[undo.id]["items"]["done"] == 6
    output = runner.invoke(jobs_cmd.app, ["history", "content-import"], env=env).output
    table = re.sub(r"[\s│┃]+", " ", output)  # cells wrap over lines: read them as text
    assert f"rolled back by {undo.id}" in table
    for text in (
        "content team",
        "succeeded",
        "Deletes the posts the run created",
        f"parity content rollback {first.id}",
        f"parity content rollback {second.id}",
    ):
        assert text in table
    shown = runner.invoke(jobs_cmd.app, ["show", str(first.id)], env=env).output
    assert "items rolled_back: created 6" in shown  # a rolled-back run's items
    assert f"rollback command:  parity content rollback {first.id}" in shown


def _cron_app() -> typer.Typer:
    app = typer.Typer()
    app.command("cron")(cron_cmd.cron)
    app.command("noop")(lambda: None)
    return app


def test_cron_lists_events_and_flags_outside_reaching_ones_on_staging(
    config: Path, root: Any
) -> None:
    ((saved,),) = sql(root, "SELECT option_value FROM wp_options WHERE option_name = 'cron'")
    cron = php_unserialize(saved)
    assert isinstance(cron, dict)
    long_ago = int(time.time()) - 7200
    cron[long_ago] = {
        "newsletter_send_digest": {
            "40cd750bba9870f18aada2478b24840a": {"schedule": False, "args": {}}
        }
    }
    env = {"PARITY_CONFIG": str(config), "COLUMNS": "250"}
    app = _cron_app()
    try:
        sql(
            root,
            "UPDATE wp_options SET option_value = %s WHERE option_name = 'cron'",
            [php_serialize(cron)],
        )
        # The sandbox disables WP-cron in its config: nothing would run by itself.
        auto = runner.invoke(app, ["cron", "staging", "--format", "json"], env=env)
        report = json.loads(auto.output)
        assert report["wp_cron_enabled"] is False
        assert report["http_blocked"] is True
        assert report["counts"]["flagged"] == 0
        digest = [e for e in report["events"] if e["hook"] == "newsletter_send_digest"]
        assert digest[0]["overdue"] is True and digest[0]["schedule"] == "once"
        assert auto.exit_code == 1  # overdue
        enabled = runner.invoke(
            app, ["cron", "staging", "--wp-cron", "enabled", "--format", "json"], env=env
        )
        flagged = [e for e in json.loads(enabled.output)["events"] if e["flag"]]
        # Remote HTTP is blocked on the sandbox, so only the mail event is flagged.
        assert [e["hook"] for e in flagged] == ["newsletter_send_digest"]
        assert "would send mail from staging" in flagged[0]["flag"]
        table = runner.invoke(app, ["cron", "staging", "--wp-cron", "enabled"], env=env)
        assert "newsletter_send_digest" in table.output and "would send mail" in table.output
    finally:
        sql(root, "UPDATE wp_options SET option_value = %s WHERE option_name = 'cron'", [saved])
    production = runner.invoke(
        app,
        ["cron", "production", "--wp-cron", "enabled", "--grace", "100000000", "-f", "json"],
        env=env,
    )
    report = json.loads(production.output)
    assert report["protected"] is True
    assert report["counts"]["events"] > 0 and report["counts"]["flagged"] == 0
    assert production.exit_code == 0
    assert any(e["hook"] == "wp_version_check" for e in report["events"])


def _declared(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "owner": "ops team",
        "description": "A no-op with a check on staging.",
        "command": [sys.executable, "-c", "pass"],
        "expected": expected,
        "rollback": {"note": "Nothing to undo."},
    }


def test_declared_jobs_run_their_sql_and_http_checks_on_the_sandbox(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = "SELECT COUNT(*) FROM {prefix}options WHERE option_name = 'siteurl'"
    section = JobsSection.model_validate(
        {
            "declared": [
                _declared("sql-ok", {"sql": count, "env": "staging", "equals": 1}),
                _declared("sql-wrong", {"sql": count, "env": "staging", "at_least": 2}),
                _declared("home-ok", {"http": "/", "env": "staging", "contains": "parity staging"}),
                _declared("missing-page", {"http": "/no-such-page/", "env": "staging"}),
            ]
        }
    )
    monkeypatch.setattr(jobs_cmd, "jobs_settings", lambda settings: section)
    env = {"PARITY_CONFIG": str(config), "COLUMNS": "250"}
    outcomes = {}
    for name in ("sql-ok", "sql-wrong", "home-ok", "missing-page"):
        result = runner.invoke(jobs_cmd.app, ["run", name, "--format", "json"], env=env)
        outcomes[name] = (result.exit_code, json.loads(result.output)["run"]["check"])
    assert outcomes["sql-ok"][0] == 0
    assert outcomes["sql-ok"][1]["detail"] == "count is 1 (expected = 1)"
    assert outcomes["sql-wrong"][0] == 1
    assert outcomes["sql-wrong"][1]["status"] == "failed"
    assert outcomes["home-ok"][0] == 0
    assert outcomes["missing-page"][0] == 1
    assert "answered 404, not 200" in outcomes["missing-page"][1]["detail"]
