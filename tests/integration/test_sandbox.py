"""The sandbox against the real thing: MariaDB, PHP-FPM + nginx, Varnish, WordPress."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import MySQLdb
import pytest
from typer.testing import CliRunner

from parity.cli import sandbox_cmd
from parity.config import load_settings
from parity.errors import MissingPackages, SandboxError
from parity.sandbox import INSTALL_COMMAND, SITES, Sandbox, SandboxPorts
from parity.sandbox.processes import descendants

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        yield client


def _fresh(url: str) -> str:
    """A URL nobody asked for yet, so its first GET is a cache miss."""
    return f"{url}/?parity-test={uuid.uuid4().hex}"


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def _listening_ports() -> set[int]:
    """Ports in LISTEN state according to `ss` (independent of the code under test)."""
    out = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True).stdout
    return {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines() if line.strip()}


# -- the sites through Varnish


@pytest.mark.parametrize("site", SITES)
def test_each_site_answers_200_with_wordpress_through_varnish(
    sandbox: Sandbox, http: httpx.Client, site: str
) -> None:
    response = http.get(sandbox.urls[site] + "/")
    assert response.status_code == 200
    assert response.headers["X-Cache"] in ("HIT", "MISS")
    assert f"parity {site}" in response.text
    assert "/wp-content/themes/twentytwentythree/" in response.text
    assert 'name="generator" content="WordPress' in response.text


def test_pretty_permalinks_serve_the_sample_post(sandbox: Sandbox, http: httpx.Client) -> None:
    response = http.get(sandbox.production_url + "/hello-world/")
    assert response.status_code == 200
    assert "Hello world!" in response.text


def test_second_anonymous_get_is_a_cache_hit_with_age(sandbox: Sandbox, http: httpx.Client) -> None:
    url = _fresh(sandbox.production_url)
    first = http.get(url)
    second = http.get(url)
    assert (first.status_code, first.headers["X-Cache"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "HIT")
    assert int(second.headers["Age"]) >= 0


def test_staging_varnish_caches_like_production(sandbox: Sandbox, http: httpx.Client) -> None:
    url = _fresh(sandbox.staging_url)
    assert [http.get(url).headers["X-Cache"] for _ in range(2)] == ["MISS", "HIT"]


@pytest.mark.parametrize(
    "cookie",
    [
        "wordpress_logged_in_0123abcd=admin%7C1",
        "wordpress_sec_0123abcd=admin%7C1",
        "wp-postpass_0123abcd=x",
        "comment_author_0123abcd=Ann",
    ],
)
def test_personal_cookies_bypass_the_cache(
    sandbox: Sandbox, http: httpx.Client, cookie: str
) -> None:
    url = _fresh(sandbox.production_url)
    http.get(url)  # cached for everybody else
    response = http.get(url, headers={"Cookie": f"_ga=1; {cookie}"})
    assert response.headers["X-Cache"] == "PASS"


@pytest.mark.parametrize("path", ["/wp-login.php", "/wp-admin/", "/?p=1&preview=true"])
def test_admin_login_and_previews_bypass_the_cache(
    sandbox: Sandbox, http: httpx.Client, path: str
) -> None:
    for _ in range(2):
        assert http.get(sandbox.production_url + path).headers["X-Cache"] == "PASS"


def test_other_cookies_are_stripped_and_the_page_cached(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    url = _fresh(sandbox.production_url)
    http.get(url)
    response = http.get(url, headers={"Cookie": "_ga=GA1.2.3; wordpress_test_cookie=x"})
    assert response.headers["X-Cache"] == "HIT"


def test_post_is_passed_to_wordpress(sandbox: Sandbox, http: httpx.Client) -> None:
    url = _fresh(sandbox.production_url)
    http.get(url)
    response = http.post(url, data={"a": "1"})
    assert response.headers["X-Cache"] == "PASS"


def test_purge_from_localhost_drops_exactly_one_url(sandbox: Sandbox, http: httpx.Client) -> None:
    purged, kept = _fresh(sandbox.production_url), _fresh(sandbox.production_url)
    for url in (purged, kept, purged, kept):
        http.get(url)
    response = http.request("PURGE", purged)
    assert response.status_code == 200
    assert http.get(purged).headers["X-Cache"] == "MISS"
    assert http.get(kept).headers["X-Cache"] == "HIT"


def test_admin_can_log_in_with_the_generated_password(sandbox: Sandbox) -> None:
    user, password = sandbox.admin_credentials()
    url = sandbox.staging_url + "/wp-login.php"
    # A client of its own: the login cookies must not leak into other tests' requests.
    with httpx.Client(timeout=10) as client:
        client.get(url)  # sets WordPress's test cookie
        response = client.post(
            url, data={"log": user, "pwd": password, "wp-submit": "Log In", "testcookie": "1"}
        )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(sandbox.staging_url + "/wp-admin")
    assert any(name.startswith("wordpress_logged_in_") for name in response.cookies)


# -- two separate sites


def _site_configs(sandbox: Sandbox) -> dict[str, dict[str, str]]:
    configs = {}
    for site in SITES:
        text = sandbox.layout.wordpress_config(site).read_text()
        configs[site] = dict(re.findall(r"define\('(\w+)', '([^']*)'\);", text))
    return configs


def test_sites_have_their_own_database_salts_and_wp_content(sandbox: Sandbox) -> None:
    production, staging = (_site_configs(sandbox)[site] for site in SITES)
    assert (production["DB_NAME"], staging["DB_NAME"]) == ("wp_production", "wp_staging")
    assert production["DB_USER"] != staging["DB_USER"]
    for key in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_SALT"):
        assert production[key] != staging[key]
        assert len(production[key]) == 64
    assert production["WP_CONTENT_DIR"] != staging["WP_CONTENT_DIR"]
    assert production["WP_CONTENT_DIR"].startswith(str(sandbox.state_dir))


def test_wordpress_config_files_are_named_for_this_state_dir(sandbox: Sandbox) -> None:
    for site in SITES:
        path = sandbox.layout.wordpress_config(site)
        assert path.parent == Path("/etc/wordpress")
        assert re.fullmatch(rf"config-parity-[0-9a-f]{{8}}-{site}\.php", path.name)
        assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0  # holds a DB password


def test_each_database_knows_its_own_site_url(sandbox: Sandbox) -> None:
    conn = MySQLdb.connect(**sandbox.root_connect_args())
    try:
        with conn.cursor() as cur:
            for site in SITES:
                cur.execute(
                    f"SELECT option_name, option_value FROM wp_{site}.wp_options"
                    " WHERE option_name IN ('siteurl', 'home', 'permalink_structure',"
                    " 'stylesheet')"
                )
                options = dict(cur.fetchall())
                assert options == {
                    "siteurl": sandbox.urls[site],
                    "home": sandbox.urls[site],
                    "permalink_structure": "/%postname%/",
                    "stylesheet": "twentytwentythree",
                }
    finally:
        conn.close()


def test_a_file_dropped_in_production_plugins_is_served_by_production_only(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    plugins = sandbox.layout.wp_content("production") / "plugins"
    assert plugins.is_dir() and not plugins.is_symlink()
    plugin = plugins / "parity-test-plugin"
    plugin.mkdir(exist_ok=True)
    (plugin / "readme.txt").write_text("parity test plugin\n")
    path = "/wp-content/plugins/parity-test-plugin/readme.txt"
    assert http.get(sandbox.production_url + path).text == "parity test plugin\n"
    assert http.get(sandbox.staging_url + path).status_code == 404


# -- the generated parity.toml


def test_generated_config_describes_both_environments(sandbox: Sandbox) -> None:
    path = sandbox.config_path
    assert path == sandbox.state_dir / "parity.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("# written by `parity sandbox up`\n")
    data = tomllib.loads(text)["environments"]
    user, password = sandbox.admin_credentials()
    for site in SITES:
        env = data[site]
        assert env["url"] == sandbox.urls[site]
        assert env["table_prefix"] == "wp_"
        assert env["protected"] is (site == "production")
        assert env["login"] == {"user": user, "password": password}
        assert env["cache"] == {"kind": "varnish", "purge_url": sandbox.urls[site]}
        assert env["wp_content_dir"] == str(sandbox.layout.wp_content(site))
        assert env["db"].startswith(f"mysql://parity_{site}:")
        assert env["db"].endswith(f"@127.0.0.1:{sandbox.ports.mariadb}/wp_{site}")


def test_generated_config_loads_and_its_db_logins_work(parity_config: Path) -> None:
    settings = load_settings(parity_config)
    for site in SITES:
        db = settings.environment(site).db
        conn = MySQLdb.connect(
            host=db.host,
            port=db.port,
            user=db.user,
            password=db.password.get_secret_value(),
            database=db.database,
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM wp_posts")
                assert cur.fetchone()[0] > 0  # type: ignore[index]
                cur.execute("SHOW DATABASES")
                visible = {row[0] for row in cur.fetchall()}
        finally:
            conn.close()
        assert f"wp_{site}" in visible
        other = "staging" if site == "production" else "production"
        assert f"wp_{other}" not in visible  # each site's user sees its own database only


def test_secrets_in_the_state_dir_are_private(sandbox: Sandbox) -> None:
    for path in (sandbox.layout.state_file, sandbox.config_path, sandbox.layout.varnish_secret):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- lifecycle


def test_up_twice_is_idempotent_and_keeps_the_same_processes(sandbox: Sandbox) -> None:
    before = sandbox.status()
    config_before = sandbox.config_path.read_text()
    installed = {site: sandbox.layout.install_log(site).stat().st_mtime_ns for site in SITES}
    after = sandbox.up()
    assert after.running
    assert [p.pid for p in after.processes] == [p.pid for p in before.processes]
    assert all(p.pid for p in after.processes)
    assert sandbox.config_path.read_text() == config_before  # same passwords
    # WordPress was not installed again (the installer writes its log on every run).
    assert {s: sandbox.layout.install_log(s).stat().st_mtime_ns for s in SITES} == installed


def test_status_reports_every_process_and_site(sandbox: Sandbox) -> None:
    status = sandbox.status()
    assert status.running
    names = [p.name for p in status.processes]
    assert names == [
        "mariadb",
        "php-fpm-production",
        "php-fpm-staging",
        "nginx",
        "varnish-production",
        "varnish-staging",
    ]
    assert status.process("varnish-staging").ports == (
        sandbox.ports.staging_varnish,
        sandbox.ports.staging_varnish_admin,
    )
    assert [s.url for s in status.sites] == [sandbox.production_url, sandbox.staging_url]
    assert all(s.answers and s.http_status == 200 for s in status.sites)


def test_custom_vcl_replaces_production_vcl_until_the_next_plain_up(
    sandbox: Sandbox, http: httpx.Client, tmp_path: Path
) -> None:
    default = sandbox.layout.varnish_vcl("production").read_text()
    custom = tmp_path / "custom.vcl"
    marked = 'set resp.http.X-Cache = "MISS";\n        set resp.http.X-Parity-Custom = "1";'
    custom.write_text(default.replace('set resp.http.X-Cache = "MISS";', marked))
    pid = sandbox.status().process("varnish-production").pid
    try:
        sandbox.up(vcl=custom)
        assert http.get(_fresh(sandbox.production_url)).headers.get("X-Parity-Custom") == "1"
        assert "X-Parity-Custom" not in http.get(_fresh(sandbox.staging_url)).headers
    finally:
        sandbox.up()
    assert "X-Parity-Custom" not in http.get(_fresh(sandbox.production_url)).headers
    assert sandbox.status().process("varnish-production").pid == pid  # reloaded, not restarted


def test_a_vcl_that_does_not_compile_is_reported_with_its_line(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.vcl"
    broken.write_text("vcl 4.1;\nsub vcl_recv { nonsense }\n")
    with pytest.raises(SandboxError) as caught:
        sandbox.up(vcl=broken)
    message = caught.value.one_line()
    assert "Line 2" in message and str(broken) in message
    assert sandbox.status().running


def test_down_stops_every_process_and_frees_every_port(
    tmp_path: Path, sandbox_port_offset: int
) -> None:
    ports = SandboxPorts.with_offset(sandbox_port_offset + 50)
    box = Sandbox(tmp_path / "short-lived", ports)
    try:
        status = box.up()
        pids = {p.pid for p in status.processes if p.pid}
        assert len(pids) == 6  # MariaDB, a PHP-FPM per site, nginx, a Varnish per site
        family = pids | {child for pid in pids for child in descendants(pid)}
        assert set(ports.as_dict().values()) <= _listening_ports()
        box.down()
        assert not [pid for pid in family if _alive(pid)]
        assert not set(ports.as_dict().values()) & _listening_ports()
        assert box.status().stopped
        assert box.state_dir.is_dir()  # without --purge the state stays
        box.down(purge=True)
        assert not box.state_dir.exists()
        assert not any(box.layout.wordpress_config(site).exists() for site in SITES)
    finally:
        box.down(purge=True)


def test_a_port_taken_by_another_program_is_named_with_its_option(
    tmp_path: Path, sandbox_port_offset: int
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = SandboxPorts.with_offset(sandbox_port_offset + 70, production_varnish=taken)
        box = Sandbox(tmp_path / "blocked", ports)
        try:
            with pytest.raises(SandboxError) as caught:
                box.up()
            message = caught.value.one_line()
            assert f"port {taken}" in message and "--production-port" in message
            assert box.status().stopped  # nothing was started
        finally:
            box.down(purge=True)


def test_missing_packages_error_names_the_apt_get_line(tmp_path: Path) -> None:
    empty = tmp_path / "no-programs"
    empty.mkdir()
    box = Sandbox(tmp_path / "state", search_path=str(empty))
    with pytest.raises(MissingPackages) as caught:
        box.up()
    message = caught.value.one_line()
    assert INSTALL_COMMAND in message
    assert "apt-get install -y mariadb-server mariadb-client php-cli php-fpm php" in message
    assert "mariadbd" in message and "varnishd" in message
    assert not box.state_dir.exists()


def test_missing_wordpress_is_named(tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "state", wordpress_root=tmp_path / "no-wordpress")
    with pytest.raises(MissingPackages, match="no-wordpress"):
        box.up()


# -- the command line


def test_cli_status_json_and_exit_code(sandbox: Sandbox) -> None:
    result = CliRunner().invoke(
        sandbox_cmd.app, ["status", "--state-dir", str(sandbox.state_dir), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["running"] is True
    assert [site["url"] for site in data["sites"]] == [sandbox.production_url, sandbox.staging_url]
    assert sandbox.admin_password not in result.output


def test_cli_up_prints_urls_and_config_path_but_no_password(sandbox: Sandbox) -> None:
    result = CliRunner().invoke(
        sandbox_cmd.app, ["up", "--state-dir", str(sandbox.state_dir)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert sandbox.production_url in result.output and sandbox.staging_url in result.output
    assert str(sandbox.config_path) in result.output
    secrets = json.loads(sandbox.layout.state_file.read_text())
    for secret in [secrets["admin_password"], *secrets["db_passwords"].values()]:
        assert secret not in result.output


def test_cli_status_of_a_stopped_sandbox_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        sandbox_cmd.app, ["status", "--state-dir", str(tmp_path / "never-started")]
    )
    assert result.exit_code == 1
    assert "Not everything runs: start it with `parity sandbox up --state-dir" in result.output


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_every_cli_command_has_help(command: str) -> None:
    result = CliRunner().invoke(sandbox_cmd.app, [command, "--help"])
    assert result.exit_code == 0
    assert "--state-dir" in result.output and "--format" in result.output


def test_state_dir_default_is_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Sandbox().state_dir == tmp_path / ".parity" / "sandbox"
    assert os.path.isabs(Sandbox().config_path)
