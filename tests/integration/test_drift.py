"""Drift against the real sandbox: each change made on staging is found, nothing else is.

Every test changes staging through MariaDB's root (or its wp-content), compares, and puts
staging back in ``finally``: the sandbox is shared by the whole session. Production is
never written to.

The sandbox names its two sites differently on purpose (``blogname`` and
``blogdescription`` say "production" / "staging"); those two options are ignored by the
comparisons below, the way a team ignores what differs by design.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parity.cli import drift_cmd
from parity.cli.context import CliState
from parity.config import Settings, load_settings
from parity.drift.capture import capture_snapshot
from parity.drift.findings import DriftReport, Finding
from parity.drift.live import capture_live, live_environments
from parity.drift.service import drift_report, take_snapshot
from parity.drift.settings import DriftSection, drift_settings
from parity.sandbox import Sandbox
from parity.store import open_store
from parity.targets import Database, Site
from parity.targets.cache import HttpPurger

pytestmark = pytest.mark.integration

BY_DESIGN = ["options:blogname", "options:blogdescription"]
SECTION = DriftSection(ignore=BY_DESIGN)
PLUGIN = "parity-drift-test/parity-drift-test.php"


@pytest.fixture(scope="module")
def settings(parity_config: Path) -> Settings:
    return load_settings(parity_config)


def get_option(root: Any, name: str) -> str:
    with root.cursor() as cur:
        cur.execute("SELECT option_value FROM wp_options WHERE option_name = %s", (name,))
        row = cur.fetchone()
    assert row is not None, name
    return str(row[0])


def set_option(root: Any, name: str, value: str) -> None:
    with root.cursor() as cur:
        cur.execute("UPDATE wp_options SET option_value = %s WHERE option_name = %s", (value, name))


def php_edit(serialized: str, code: str) -> str:
    """Unserialize in real PHP, run ``code`` on ``$v``, serialize again."""
    script = f"$v = unserialize(stream_get_contents(STDIN)); {code}; echo serialize($v);"
    done = subprocess.run(
        ["php", "-r", script], input=serialized, capture_output=True, text=True, check=True
    )
    return done.stdout


def purge_staging(settings: Settings, *paths: str) -> None:
    purger = HttpPurger(settings.environment("staging"))
    try:
        for path in paths:
            purger.purge(path)
    finally:
        purger.close()


def compare(
    settings: Settings,
    a: str,
    b: str | None = None,
    *,
    section: DriftSection,
    since: str | None = None,
) -> DriftReport:
    """``drift_report`` as the CLI composes it: live environments and the state store."""
    with open_store(settings.state_url()) as store:
        live = live_environments(settings, section)
        return drift_report(a, b, live=live, store=store, section=section, since=since)


def compare_sites(settings: Settings, section: DriftSection = SECTION) -> DriftReport:
    return compare(settings, "production", "staging", section=section)


def keys(report: DriftReport) -> set[tuple[str, str]]:
    return {(f.category, f.key) for f in report.findings}


def finding(report: DriftReport, category: str, key: str) -> Finding:
    for f in report.findings:
        if (f.category, f.key) == (category, key):
            return f
    raise AssertionError(f"no {category} finding {key!r} in {sorted(keys(report))}")


# -- equal environments ------------------------------------------------------------------


def test_fresh_production_and_staging_show_no_drift(settings: Settings) -> None:
    report = compare_sites(settings)
    assert [f.as_dict() for f in report.findings] == []
    assert report.exit_code("info") == 0
    assert report.ignored == 2  # blogname and blogdescription, and nothing else


def test_snapshots_hold_no_secret(settings: Settings, sandbox: Sandbox, tmp_path: Path) -> None:
    staging = settings.environment("staging")
    text = capture_live(settings, "staging").to_json()
    assert staging.login is not None
    secrets = [
        staging.db.password.get_secret_value(),
        staging.login.password.get_secret_value(),
        sandbox.admin_password,
        "sandbox.invalid",  # the admin's e-mail domain
    ]
    for secret in secrets:
        assert secret not in text
    data = json.loads(text)
    assert data["options"]["admin_email"] == {
        "value": None,
        "autoload": True,
        "bytes": len("admin@staging.sandbox.invalid"),
        "owner": "core",
        "mask": "secret",
    }


# -- each change on staging, under its category, with both values ---------------------------


def test_activated_plugin_is_an_error_under_plugins(
    settings: Settings, sandbox: Sandbox, root: Any
) -> None:
    env = settings.environment("staging")
    assert env.wp_content_dir is not None
    folder = Path(env.wp_content_dir) / "plugins" / "parity-drift-test"
    before = get_option(root, "active_plugins")
    # The REST lookup below goes through admin-ajax.php, and WordPress schedules events on
    # every admin request: put the cron option back too.
    cron_before = get_option(root, "cron")
    folder.mkdir()
    (folder / "parity-drift-test.php").write_text(
        "<?php\n/*\n * Plugin Name: Parity Drift Test\n * Version: 1.2.3\n */\n"
    )
    try:
        set_option(root, "active_plugins", php_edit(before, f"$v[] = '{PLUGIN}'"))
        report = compare_sites(settings)
        assert keys(report) == {("plugins", PLUGIN)}
        found = finding(report, "plugins", PLUGIN)
        assert (found.severity, found.change, found.a, found.b) == ("error", "added", None, "1.2.3")
        assert found.group == "Parity Drift Test"
        assert "B: header" in found.note

        # Without local files, the version comes from the REST API, logged in.
        remote = env.model_copy(update={"wp_content_dir": None})
        with Database.connect(remote) as db, Site(remote) as site:
            snapshot = capture_snapshot(remote, db, site, SECTION)
        info = snapshot.plugins[PLUGIN]
        assert (info.version, info.source, info.name) == ("1.2.3", "rest", "Parity Drift Test")
        assert snapshot.wordpress.theme is not None
        assert snapshot.wordpress.theme.source == "rest"
    finally:
        set_option(root, "active_plugins", before)
        set_option(root, "cron", cron_before)
        shutil.rmtree(folder)


def test_option_changed_inside_a_serialized_array(settings: Settings, root: Any) -> None:
    name = "theme_mods_twentytwentythree"
    before = get_option(root, name)
    try:
        set_option(root, name, php_edit(before, "$v['custom_css_post_id'] = 42"))
        report = compare_sites(settings)
        key = f"{name}[custom_css_post_id]"
        assert keys(report) == {("options", key)}
        found = finding(report, "options", key)
        assert (found.severity, found.a, found.b) == ("warn", -1, 42)
        assert found.group == "theme:twentytwentythree"
    finally:
        set_option(root, name, before)


def test_index_dropped_from_a_core_table(settings: Settings, root: Any) -> None:
    with root.cursor() as cur:
        cur.execute("ALTER TABLE wp_posts DROP INDEX post_author")
    try:
        report = compare_sites(settings)
        assert keys(report) == {("schema", "posts index post_author")}
        found = finding(report, "schema", "posts index post_author")
        assert (found.severity, found.a, found.b, found.note) == (
            "error",
            "(post_author)",
            None,
            "core index",
        )
        snapshot = capture_live(settings, "staging", section=SECTION)
        assert snapshot.core_indexes.missing == {"posts": ["post_author"]}
    finally:
        with root.cursor() as cur:
            cur.execute("ALTER TABLE wp_posts ADD INDEX post_author (post_author)")


def test_cron_event_added(settings: Settings, root: Any) -> None:
    before = get_option(root, "cron")
    code = (
        "$v[time() + 3600]['parity_drift_test_hook'][md5(serialize([]))] ="
        " ['schedule' => 'daily', 'args' => [], 'interval' => 86400]; ksort($v)"
    )
    try:
        set_option(root, "cron", php_edit(before, code))
        report = compare_sites(settings)
        key = "parity_drift_test_hook [daily]"  # no arguments: no fingerprint in the key
        assert keys(report) == {("cron", key)}
        found = finding(report, "cron", key)
        assert (found.severity, found.change, found.a, found.b) == ("warn", "added", None, 1)
    finally:
        set_option(root, "cron", before)


def test_capability_added_to_a_role(settings: Settings, root: Any) -> None:
    before = get_option(root, "wp_user_roles")
    try:
        set_option(
            root,
            "wp_user_roles",
            php_edit(before, "$v['editor']['capabilities']['parity_drift_cap'] = true"),
        )
        report = compare_sites(settings)
        assert keys(report) == {("roles", "editor: parity_drift_cap")}
        found = finding(report, "roles", "editor: parity_drift_cap")
        assert (found.severity, found.a, found.b) == ("warn", None, True)
    finally:
        set_option(root, "wp_user_roles", before)


def test_permalink_structure_changed(settings: Settings, root: Any) -> None:
    before = get_option(root, "permalink_structure")
    year = subprocess.run(
        ["php", "-r", "echo gmdate('Y');"], capture_output=True, text=True, check=True
    ).stdout
    try:
        set_option(root, "permalink_structure", "/%year%/%postname%/")
        set_option(root, "rewrite_rules", "")  # WordPress rebuilds them on the next request
        purge_staging(settings, "/?p=1", "/?page_id=2")
        report = compare_sites(settings)
        found = finding(report, "wordpress", "permalink structure")
        assert (found.severity, found.a, found.b) == (
            "error",
            "/%postname%/",
            "/%year%/%postname%/",
        )
        redirect = finding(report, "http", "anon {post} redirect")
        assert (redirect.a, redirect.b) == ("{site}/hello-world/", f"{{site}}/{year}/hello-world/")
        assert keys(report) == {
            ("wordpress", "permalink structure"),
            ("http", "anon {post} redirect"),
            ("http", "user {post} redirect"),
        }
    finally:
        set_option(root, "permalink_structure", before)
        set_option(root, "rewrite_rules", "")
        purge_staging(settings, "/?p=1", "/?page_id=2")


def test_route_that_now_answers_differently(settings: Settings, root: Any) -> None:
    section = DriftSection(ignore=BY_DESIGN, routes=["/hello-world/"])
    with root.cursor() as cur:
        cur.execute("UPDATE wp_posts SET post_status = 'private' WHERE ID = 1")
    purge_staging(settings, "/hello-world/")
    try:
        report = compare_sites(settings, section)
        found = finding(report, "http", "anon /hello-world/ status")
        assert (found.severity, found.a, found.b) == ("error", 200, 404)
        assert found.note == "GET /hello-world/"
        assert all(f.category in ("http", "volume") for f in report.findings)
        assert not [k for c, k in keys(report) if k.startswith("user ") and c == "http"]
    finally:
        with root.cursor() as cur:
            cur.execute("UPDATE wp_posts SET post_status = 'publish' WHERE ID = 1")
        purge_staging(settings, "/hello-world/")


# -- the deployment view: an environment against its own last snapshot ------------------------


def test_since_last_is_clean_until_something_changes(settings: Settings, root: Any) -> None:
    staging = settings.environment("staging")
    with (
        Database.connect(staging) as db,
        Site(staging) as site,
        open_store(settings.state_url()) as store,
    ):
        stored = take_snapshot(db, site, store, SECTION)
    assert stored.id is not None
    unchanged = compare(settings, "staging", since="last", section=SECTION)
    assert [f.as_dict() for f in unchanged.findings] == []
    assert unchanged.exit_code("info") == 0
    assert unchanged.a.snapshot_id == stored.id

    before = get_option(root, "blogdescription")
    try:
        set_option(root, "blogdescription", "Deployed on a Friday")
        changed = compare(settings, "staging", since="last", section=drift_settings(settings))
        assert changed.exit_code("warn") == 1
        found = finding(changed, "options", "blogdescription")
        assert (found.a, found.b) == (before, "Deployed on a Friday")
        assert keys(changed) == {("options", "blogdescription")}
    finally:
        set_option(root, "blogdescription", before)


# -- the commands, as the app registers them ----------------------------------------------


def test_commands_end_to_end(parity_config: Path, tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def root_callback(ctx: typer.Context) -> None:
        ctx.obj = CliState(config=parity_config)

    app.command("snapshot")(drift_cmd.snapshot)
    app.command("drift")(drift_cmd.drift)
    runner = CliRunner()

    out = tmp_path / "staging.json"
    taken = runner.invoke(app, ["snapshot", "staging", "--out", str(out), "--exact"])
    assert taken.exit_code == 0, taken.output
    assert json.loads(out.read_text())["exact_counts"] is True

    since = runner.invoke(app, ["drift", "staging", "--since", "last", "--exact"])
    assert since.exit_code == 0, since.output
    assert "no drift" in since.stdout

    live = runner.invoke(app, ["drift", "production", "staging", "--format", "json"])
    assert live.exit_code == 1
    data = json.loads(live.stdout)
    assert {f["key"] for f in data["findings"]} == {"blogname", "blogdescription"}

    versus_file = runner.invoke(app, ["drift", str(out), "staging", "-f", "markdown"])
    assert versus_file.exit_code == 0, versus_file.output
