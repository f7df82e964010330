"""Production is sacred whatever door is used: attacks on the real sandbox.

Each test spells production's database another way (an alias environment left
unprotected: another user with rights on the schema, another host spelling, a socket,
query parameters), or points WordPress's own config at it, then runs a writer through
the CLI. Every one must exit 2 naming production, and production's tables must be
identical before and after (``CHECKSUM TABLE ... EXTENDED``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
from store_helpers import fresh_state_url, sandbox_config_text

from parity.config import load_settings
from parity.content import synthesize, write_articles_dir
from parity.errors import ProtectedEnvironment
from parity.sandbox import Sandbox
from parity.sandbox.option_change import set_serialized_option_value
from parity.targets.wordpress_database import probe_wordpress_database

pytestmark = pytest.mark.integration

ATTACKER = ("parity_attacker", "attack-pw-1")


def production_checksums(sandbox: Sandbox) -> dict[str, int]:
    """Every production table's ``CHECKSUM TABLE ... EXTENDED``."""
    conn = MySQLdb.connect(**sandbox.root_connect_args(), database=sandbox.database("production"))
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            tables = [row[0] for row in cur.fetchall()]
            cur.execute("CHECKSUM TABLE " + ", ".join(f"`{t}`" for t in tables) + " EXTENDED")
            return {str(row[0]): int(row[1]) for row in cur.fetchall()}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def attacker(sandbox: Sandbox) -> Iterator[tuple[str, str]]:
    """A second database user with every right on production's schema (TCP and socket)."""
    conn = MySQLdb.connect(**sandbox.root_connect_args(), autocommit=True)
    user, password = ATTACKER
    prod = sandbox.database("production")
    try:
        with conn.cursor() as cur:
            for host in ("127.0.0.1", "localhost"):
                cur.execute(
                    f"CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY %s", [password]
                )
                cur.execute(f"GRANT ALL PRIVILEGES ON `{prod}`.* TO '{user}'@'{host}'")
        yield ATTACKER
    finally:
        with conn.cursor() as cur:
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        conn.close()


def _production(sandbox: Sandbox) -> Any:
    return load_settings(sandbox.config_path).environment("production")


def alias_urls(sandbox: Sandbox) -> dict[str, str]:
    """Production's database spelled four ways, none of them production's own entry."""
    prod = _production(sandbox)
    db = prod.db
    user, password = ATTACKER
    socket = sandbox.root_socket
    return {
        "another-user": f"mysql://{user}:{password}@127.0.0.1:{db.port}/{db.database}",
        "host-spelling": (
            f"mysql://{db.user}:{db.password.get_secret_value()}@127.1:{db.port}/{db.database}"
        ),
        "socket": f"mysql://{user}:{password}@localhost/{db.database}?socket={socket}",
        "query-params": (
            f"mysql://{db.user}:{db.password.get_secret_value()}@127.0.0.1:{db.port}"
            f"/{db.database}?charset=utf8mb4&connect_timeout=4"
        ),
    }


def attack_config(sandbox: Sandbox, tmp_path: Path, alias_db: str, name: str = "prodalias") -> Path:
    """The sandbox's config plus an unprotected environment on production's database."""
    text = sandbox_config_text(sandbox)
    alias = (
        f"\n[environments.{name}]\n"
        'url = "http://127.0.0.1:9"\n'
        f"db = {json.dumps(alias_db)}\n"
        'table_prefix = "wp_"\n'
        f'\n[state]\nurl = "{fresh_state_url(sandbox, tmp_path)}"\n'
    )
    path = tmp_path / "parity.toml"
    path.write_text(text + alias, "utf-8")
    path.chmod(0o600)
    return path


@dataclass
class Ran:
    exit_code: int
    output: str  # stdout and stderr together


@pytest.fixture
def run(run_parity: Callable[..., subprocess.CompletedProcess[str]]) -> Callable[..., Ran]:
    """The real command line with ``--config``: exit code and error line as users see them."""

    def invoke(config: Path, *args: str) -> Ran:
        done = run_parity("--config", str(config), *args)
        return Ran(done.returncode, done.stdout + done.stderr)

    return invoke


def assert_refused_naming_production(result: Ran) -> None:
    assert result.exit_code == 2, result.output
    assert "production" in result.output
    assert "protected" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("spelling", ["another-user", "host-spelling", "socket", "query-params"])
def test_replace_on_an_alias_of_production_is_refused(
    sandbox: Sandbox,
    attacker: tuple[str, str],
    tmp_path: Path,
    spelling: str,
    run: Callable[..., Ran],
) -> None:
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)[spelling])
    before = production_checksums(sandbox)
    prod_url = _production(sandbox).url
    result = run(config, "replace", "prodalias", prod_url, "http://attacker.test")
    assert_refused_naming_production(result)
    assert production_checksums(sandbox) == before


def test_refresh_into_an_alias_of_production_is_refused(
    sandbox: Sandbox, attacker: tuple[str, str], tmp_path: Path, run: Callable[..., Ran]
) -> None:
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)["another-user"])
    before = production_checksums(sandbox)
    result = run(config, "refresh", "--from", "staging", "--to", "prodalias", "--yes")
    assert_refused_naming_production(result)
    assert production_checksums(sandbox) == before


def test_refresh_rollback_on_an_alias_of_production_is_refused(
    sandbox: Sandbox, attacker: tuple[str, str], tmp_path: Path, run: Callable[..., Ran]
) -> None:
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)["socket"])
    before = production_checksums(sandbox)
    result = run(config, "refresh", "rollback", "prodalias", "--yes")
    assert_refused_naming_production(result)
    assert production_checksums(sandbox) == before


def test_direct_import_into_an_alias_of_production_is_refused(
    sandbox: Sandbox, attacker: tuple[str, str], tmp_path: Path, run: Callable[..., Ran]
) -> None:
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)["host-spelling"])
    articles = tmp_path / "articles"
    write_articles_dir(synthesize(3, seed=11), articles)
    before = production_checksums(sandbox)
    result = run(config, "content", "import", "prodalias", str(articles), "--direct")
    assert_refused_naming_production(result)
    assert production_checksums(sandbox) == before


def test_option_change_on_an_alias_of_production_is_refused(
    sandbox: Sandbox, attacker: tuple[str, str], tmp_path: Path
) -> None:
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)["query-params"])
    alias = load_settings(config).environment("prodalias")
    before = production_checksums(sandbox)
    with pytest.raises(ProtectedEnvironment, match="production"):
        set_serialized_option_value(alias, "wp_user_roles", ["administrator", "name"], "owned")
    assert production_checksums(sandbox) == before


def test_an_alias_of_staging_is_still_writable(
    sandbox: Sandbox, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    """The guard refuses production's data only: another spelling of staging works."""
    staging = load_settings(sandbox.config_path).environment("staging")
    db = staging.db
    spelled = f"mysql://{db.user}:{db.password.get_secret_value()}@127.1:{db.port}/{db.database}"
    config = attack_config(sandbox, tmp_path, spelled, name="stagingalias")
    result = run(
        config,
        "replace",
        "stagingalias",
        "http://nothing-here.invalid",
        "http://x.invalid",
    )
    assert result.exit_code == 0, result.output


def test_import_through_production_wordpress_config_is_refused(
    sandbox: Sandbox, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    """--wp-config naming production's WordPress config, with --env staging: refused
    before WordPress starts; production's tables unchanged."""
    config = attack_config(sandbox, tmp_path, alias_urls(sandbox)["query-params"])
    articles = tmp_path / "articles"
    write_articles_dir(synthesize(2, seed=12), articles)
    prod_config = sandbox.layout.wordpress_config_name("production")
    before = production_checksums(sandbox)
    result = run(config, "content", "import", "staging", str(articles), "--wp-config", prod_config)
    assert_refused_naming_production(result)
    assert production_checksums(sandbox) == before


def test_import_through_a_wordpress_config_of_another_database_is_refused(
    sandbox: Sandbox, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    """--wp-config of staging's WordPress with --env naming another (writable) database:
    the config must reach --env's database."""
    conn = MySQLdb.connect(**sandbox.root_connect_args(), autocommit=True)
    staging = load_settings(sandbox.config_path).environment("staging")
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE IF NOT EXISTS parity_other")
            # A copy of staging's tables: a WordPress database, just not staging's.
            cur.execute(f"SHOW TABLES FROM `{staging.db.database}`")
            for (table,) in cur.fetchall():
                source = f"`{staging.db.database}`.`{table}`"
                cur.execute(f"CREATE TABLE parity_other.`{table}` LIKE {source}")
                cur.execute(f"INSERT INTO parity_other.`{table}` SELECT * FROM {source}")
            cur.execute(
                f"GRANT ALL PRIVILEGES ON parity_other.* TO '{staging.db.user}'@'127.0.0.1'"
            )
        db = staging.db
        other = (
            f"mysql://{db.user}:{db.password.get_secret_value()}@127.0.0.1:{db.port}/parity_other"
        )
        config = attack_config(sandbox, tmp_path, other, name="other")
        articles = tmp_path / "articles"
        write_articles_dir(synthesize(2, seed=13), articles)
        staging_config = sandbox.layout.wordpress_config_name("staging")
        result = run(
            config,
            "content",
            "import",
            "other",
            str(articles),
            "--wp-config",
            staging_config,
        )
        assert result.exit_code == 2, result.output
        assert "not the database of other" in result.output
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS parity_other")
        conn.close()


def test_rollback_after_staging_is_repointed_at_production_is_refused(
    sandbox: Sandbox, tmp_path: Path, run: Callable[..., Ran]
) -> None:
    """An import recorded for staging, then staging's entry pointed at production's
    database: the rollback (which deletes by post id) must not touch production."""
    settings = load_settings(sandbox.config_path)
    prod = settings.environment("production").db
    staging = settings.environment("staging").db
    config = attack_config(sandbox, tmp_path, "mysql://u:p@127.0.0.1:9/none", name="unused")
    original = config.read_text("utf-8")
    articles = tmp_path / "articles"
    write_articles_dir(synthesize(1, seed=14), articles)
    first = run(
        config,
        "content",
        "import",
        "staging",
        str(articles),
        "--direct",
        "--format",
        "json",
    )
    assert first.exit_code == 0, first.output
    run_id = json.loads(first.output)["run"]["id"]
    try:
        # Staging's entry now names production's database, with production's login.
        staging_db = (
            f"mysql://{staging.user}:{staging.password.get_secret_value()}"
            f"@127.0.0.1:{staging.port}/{staging.database}"
        )
        production_db = (
            f"mysql://{prod.user}:{prod.password.get_secret_value()}"
            f"@127.0.0.1:{prod.port}/{prod.database}"
        )
        assert staging_db in original
        config.write_text(original.replace(staging_db, production_db), "utf-8")
        before = production_checksums(sandbox)
        result = run(config, "content", "rollback", str(run_id), "--direct")
        assert_refused_naming_production(result)
        assert production_checksums(sandbox) == before
    finally:
        # Staging as it was for the other modules of the shared sandbox.
        config.write_text(original, "utf-8")
        undo = run(config, "content", "rollback", str(run_id), "--direct")
        assert undo.exit_code == 0, undo.output


def test_wordpress_config_probe_reports_the_sites_own_database(sandbox: Sandbox) -> None:
    """The probe reads what WordPress would connect to, without loading WordPress."""
    settings = load_settings(sandbox.config_path)
    for site in ("production", "staging"):
        env = settings.environment(site)
        identity, address = probe_wordpress_database(
            Path("/usr/share/wordpress"), sandbox.layout.wordpress_config_name(site), env.url
        )
        assert identity.database == env.db.database
        assert identity.table_prefix == env.table_prefix
        assert identity.port == env.db.port
        assert address[1:] == ("127.0.0.1", env.db.port)
