"""`parity sandbox up | down | status | seed`: the local WordPress pair for demos and tests.

Each command builds a ``Sandbox`` and calls one method; errors are ``ParityError``s that
the main command turns into one line and exit code 2.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from parity.cli.conventions import OLD_ROUTES_SETTINGS, routes_given
from parity.cli.output import FormatOption, OutputFormat, console, emit
from parity.errors import InputError
from parity.sandbox import DEFAULT_STATE_DIR, Sandbox, SandboxPorts, SandboxStatus
from parity.sandbox.faults import Fault, current_faults, set_faults
from parity.sandbox.seed import (
    DEFAULT_ARTICLES,
    DEFAULT_SEED,
    KINDS,
    MAX_ARTICLES,
    SeedResult,
    seed_production,
)
from parity.sandbox.services import parse_services

__all__ = ["app", "parity_command", "print_seed_result", "state_dir_flag"]

app = typer.Typer(
    help="A real local WordPress pair (production + staging) on 127.0.0.1, for demos and tests."
    "\n\nMariaDB, PHP-FPM + nginx serving Debian's WordPress, and Varnish in front of each"
    " site, all kept in one state directory (default .parity/sandbox). `up` writes a"
    " parity.toml there that every parity command finds when run from this directory.",
    no_args_is_help=True,
)

StateDirOption = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        help="Where the sandbox keeps its data, configs, logs and parity.toml.",
        file_okay=False,
    ),
]


def _port_option(flag: str, help_text: str) -> Any:
    return typer.Option(flag, help=help_text, min=1, max=65535, rich_help_panel="Ports")


@app.command("up")
def up(
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="If Debian packages are missing, run apt-get update and apt-get install"
            " (as root) first.",
        ),
    ] = False,
    vcl: Annotated[
        Path | None,
        typer.Option(
            "--vcl",
            help="Run production's Varnish on this VCL file instead of the built-in WordPress"
            " VCL (its backend must be 127.0.0.1:<production nginx port>). Without --vcl,"
            " the built-in VCL is (re)loaded.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    port_offset: Annotated[
        int | None,
        typer.Option(
            "--port-offset",
            help="Add this to every default port (100 gives 3506, 8501/8502, 8181/8182,"
            " 6191/6192), to run a second sandbox beside the first.",
            rich_help_panel="Ports",
        ),
    ] = None,
    mariadb_port: Annotated[
        int | None, _port_option("--mariadb-port", "MariaDB's TCP port [default: 3406].")
    ] = None,
    production_port: Annotated[
        int | None,
        _port_option("--production-port", "Production's URL port (Varnish) [default: 8081]."),
    ] = None,
    staging_port: Annotated[
        int | None,
        _port_option("--staging-port", "Staging's URL port (Varnish) [default: 8082]."),
    ] = None,
    production_nginx_port: Annotated[
        int | None,
        _port_option("--production-nginx-port", "Production's nginx backend [default: 8401]."),
    ] = None,
    staging_nginx_port: Annotated[
        int | None,
        _port_option("--staging-nginx-port", "Staging's nginx backend [default: 8402]."),
    ] = None,
    production_admin_port: Annotated[
        int | None,
        _port_option("--production-admin-port", "Production's varnishadm port [default: 6091]."),
    ] = None,
    staging_admin_port: Annotated[
        int | None,
        _port_option("--staging-admin-port", "Staging's varnishadm port [default: 6092]."),
    ] = None,
    with_services: Annotated[
        str | None,
        typer.Option(
            "--with",
            help="Also start these services (comma-separated): redis (Celery's broker,"
            " port 6479) and postgres (a shared state store, port 5532), moved by"
            " --port-offset like the others; the sandbox's parity.toml then points"
            " [jobs] broker and [state] url at them.",
        ),
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Start the sandbox and install WordPress where needed (safe to run again).

    What already runs is left alone; what does not is started, in parallel. Ports are
    remembered in the state directory: later `up`, `status` and `down` reuse them.
    Passwords are generated once and written only to the state directory's parity.toml
    and sandbox.json (mode 0600); they are never printed.
    """
    overrides = {
        "mariadb": mariadb_port,
        "production_varnish": production_port,
        "staging_varnish": staging_port,
        "production_nginx": production_nginx_port,
        "staging_nginx": staging_nginx_port,
        "production_varnish_admin": production_admin_port,
        "staging_varnish_admin": staging_admin_port,
    }
    ports: SandboxPorts | None = None
    if port_offset is not None or any(v is not None for v in overrides.values()):
        base = (
            SandboxPorts.with_offset(port_offset)
            if port_offset is not None
            else Sandbox(state_dir).ports
        )
        ports = base.with_overrides(**overrides)
    services = parse_services(with_services)
    sandbox = Sandbox(state_dir, ports)
    status = sandbox.up(install=install, vcl=vcl, services=services)

    def show() -> None:
        _print_status(status)
        _print_services(sandbox)
        _print_usage(sandbox)

    emit(format, _json(sandbox, status), show)


@app.command("status")
def status(
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Show each process (PID, listening) and each site (URL, answers).

    Exit code 0 when everything runs and both sites answer, 1 otherwise.
    """
    sandbox = Sandbox(state_dir)
    result = sandbox.status()

    def show() -> None:
        _print_status(result)
        if not result.running:
            command = f"parity sandbox up{state_dir_flag(sandbox)}"
            console.print(f"Not everything runs: start it with `{command}`.", soft_wrap=True)

    emit(format, _json(sandbox, result), show, code=0 if result.running else 1)


@app.command("down")
def down(
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    purge: Annotated[
        bool,
        typer.Option(
            "--purge",
            help="Also delete the state directory (databases, passwords, parity.toml) and"
            " the sandbox's /etc/wordpress/config-parity-*.php files.",
        ),
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Stop the sandbox's processes by PID; --purge also deletes its state.

    Only the processes this state directory started are stopped (found by their pid
    files); the command returns once they are gone and their ports are free. --purge
    removes only what the sandbox made: files found there that it did not make are
    left, with their folders, and listed.
    """
    sandbox = Sandbox(state_dir)
    result = sandbox.down(purge=purge)
    kept = [str(path) for path in result.kept]

    def show() -> None:
        what = "stopped and removed" if purge else "stopped"
        if kept:
            what = "stopped and removed, except what it did not make"
        console.print(f"Sandbox in {sandbox.state_dir} {what}.", markup=False)
        if kept:
            console.print(
                f"Left in place ({len(kept)}, not made by the sandbox): {', '.join(kept)}",
                markup=False,
            )

    data = {"state_dir": str(sandbox.state_dir), "stopped": True, "purged": purge, "kept": kept}
    emit(format, data, show)


@app.command("seed")
def seed(
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    articles: Annotated[
        int,
        typer.Option(
            "--articles",
            "-n",
            help="Synthesized articles to add besides the sample article.",
            min=0,
            max=MAX_ARTICLES,
        ),
    ] = DEFAULT_ARTICLES,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the synthesized articles and comments.", min=0),
    ] = DEFAULT_SEED,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Fill the sandbox's production with what a real site holds (safe to run again).

    The sample article and N synthesized ones as block content with uploaded images
    (absolute production URLs, some JSON-escaped in block attributes), categories and
    tags, comments with e-mail and IP addresses, staff users with their meta, a plugin's
    serialized settings with the site URL inside, a widget and transients. The sandbox
    writes its own database as MariaDB's root: production stays protected for every
    parity command. The same N and seed always give the same content; a second run
    writes nothing.
    """
    result = seed_production(Sandbox(state_dir), articles=articles, seed=seed)
    emit(format, result.as_dict(), lambda: print_seed_result(result))


class PhpState(StrEnum):
    """What `--php` does to a site's PHP-FPM."""

    down = "down"
    up = "up"


@app.command("fault", context_settings=OLD_ROUTES_SETTINGS)
def fault(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="The sandbox site: production or staging.")],
    route: Annotated[
        list[str] | None,
        typer.Option(
            "--route",
            "-r",
            help="A request path to make misbehave, e.g. /sample-page/ (repeatable).",
        ),
    ] = None,
    sleep_ms: Annotated[
        int, typer.Option("--sleep-ms", help="Sleep this long before WordPress answers.", min=0)
    ] = 0,
    status: Annotated[
        int, typer.Option("--status", help="Answer this HTTP status at once (e.g. 500).", min=0)
    ] = 0,
    clear: Annotated[
        bool,
        typer.Option("--clear", help="Remove the routes' faults (every fault without --route)."),
    ] = False,
    php: Annotated[
        PhpState | None,
        typer.Option(
            "--php",
            help="Stop (down) or start again (up) the site's own PHP-FPM: the whole site"
            " answers errors, except pages Varnish still holds.",
        ),
    ] = None,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Make a sandbox route slow or failing on purpose (a must-use plugin), or stop it;
    or stop a site's PHP-FPM (`--php down`) and start it again (`--php up`).

    For monitoring, change records and measurements that need a misbehaving site. The
    fault lives in the site's wp-content/mu-plugins/parity-faults.php and nowhere else;
    `--clear` removes it. Each site has its own PHP-FPM master, so stopping staging's
    leaves production serving. Only the sandbox's own sites can be given faults.
    """
    routes = routes_given(route, ctx.args, required=False)
    sandbox = Sandbox(state_dir)
    layout = sandbox.layout
    faults = {f.route: f for f in current_faults(layout, site)}
    if php is not None:
        if routes or clear or sleep_ms or status:
            raise InputError("--php takes no --route, --sleep-ms, --status or --clear")
        if php is PhpState.down:
            sandbox.stop_php(site)
        else:
            sandbox.start_php(site)
    elif clear:
        if not routes:
            faults.clear()
        for path in routes:
            faults.pop(path, None)
    elif not routes:
        raise InputError("give the --route to make misbehave, or --clear")
    else:
        faults.update({path: Fault(path, sleep_ms=sleep_ms, status=status) for path in routes})
    if php is None:
        set_faults(layout, site, list(faults.values()))
    now = current_faults(layout, site)
    php_running = sandbox.php_running(site)

    def show() -> None:
        console.print(f"{site}: PHP-FPM {'running' if php_running else 'stopped'}", markup=False)
        if not now:
            console.print(f"{site}: no faults.", markup=False)
        for item in now:
            parts = [f"sleeps {item.sleep_ms} ms"] if item.sleep_ms else []
            parts += [f"answers {item.status}"] if item.status else []
            console.print(f"{site} {item.route}: {' and '.join(parts)}", markup=False)

    data = {
        "site": site,
        "php": "running" if php_running else "stopped",
        "faults": [
            {"route": f.route, "sleep_ms": f.sleep_ms, "status": f.status or None} for f in now
        ],
    }
    emit(format, data, show)


def print_seed_result(result: SeedResult) -> None:
    """What `parity sandbox seed` prints: per kind, what was added, and where to look."""
    table = Table(title=f"seed production ({result.database})", title_justify="left")
    for column in ("kind", "added", "updated", "unchanged", "removed"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    table.add_column("e.g.", overflow="fold")
    for kind in KINDS:
        count = result.counts[kind]
        table.add_row(
            kind,
            str(count.added),
            str(count.updated),
            str(count.unchanged),
            str(count.removed),
            Text(", ".join(_shorten(example) for example in count.examples[:2])),
        )
    console.print(table)
    if result.changed:
        verdict = f"seeded {result.articles} synthesized articles (seed {result.seed})"
    else:
        verdict = "production already held this seed: nothing was written"
    console.print(f"{verdict} in {result.seconds:.1f} s", soft_wrap=True, markup=False)
    console.print(f"sample article: {result.sample.url}", soft_wrap=True, markup=False)


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _json(sandbox: Sandbox, status: SandboxStatus) -> dict[str, object]:
    data = status.as_dict()
    data["admin_user"] = sandbox.admin_user
    data["ports"] = sandbox.ports.as_dict()
    data["services"] = [service.as_dict() for service in sandbox.services.status()]
    return data


def _print_services(sandbox: Sandbox) -> None:
    services = sandbox.services.status()
    if not services:
        return
    table = Table(title="Services (--with)", title_justify="left")
    for column in ("service", "pid", "running", "url (password in parity.toml)"):
        table.add_column(column, overflow="fold")
    for service in services:
        table.add_row(service.name, str(service.pid or "-"), _yes_no(service.running), service.url)
    console.print(table)


def _print_status(status: SandboxStatus) -> None:
    processes = Table(title="Processes", title_justify="left")
    for column in ("process", "pid", "running", "listens on", "listening"):
        processes.add_column(column)
    for process in status.processes:
        endpoints = [f"127.0.0.1:{port}" for port in process.ports]
        endpoints += [Path(path).name for path in process.sockets]
        processes.add_row(
            process.name,
            str(process.pid or "-"),
            _yes_no(process.running),
            ", ".join(endpoints),
            _yes_no(process.listening),
        )
    sites = Table(title="Sites", title_justify="left")
    for column in ("site", "url", "answers", "database", "wp-content"):
        sites.add_column(column, overflow="fold")
    for site in status.sites:
        answer = _yes_no(site.answers) + ("" if site.answers else f" ({site.detail})")
        sites.add_row(site.name, site.url, answer, site.database, site.wp_content_dir)
    console.print(processes)
    console.print(sites)


def _print_usage(sandbox: Sandbox) -> None:
    config = sandbox.config_path
    console.print(
        f"WordPress admin: user [bold]{sandbox.admin_user}[/bold] on {sandbox.production_url}"
        f"/wp-admin/ and {sandbox.staging_url}/wp-admin/; the password is in {config}"
        " (login.password), never printed.",
        soft_wrap=True,
    )
    if _is_default_config(config):
        how = "Run parity commands from this directory and they use it, e.g. `parity doctor`."
    else:
        how = f"Use it with `parity --config {config} doctor` or `export PARITY_CONFIG={config}`."
    console.print(f"Configuration: {config}\n{how}", soft_wrap=True)
    console.print(f"Stop it with `parity sandbox down{state_dir_flag(sandbox)}`.", soft_wrap=True)


def _is_default_config(config: Path) -> bool:
    # The config loader looks for $PARITY_CONFIG, ./parity.toml, then this file.
    return (
        config == (DEFAULT_STATE_DIR / "parity.toml").resolve()
        and not Path("parity.toml").exists()
        and "PARITY_CONFIG" not in os.environ
    )


def state_dir_flag(sandbox: Sandbox) -> str:
    """`` --state-dir DIR`` for commands about ``sandbox``, or "" for the default one."""
    if sandbox.state_dir == DEFAULT_STATE_DIR.resolve():
        return ""
    return f" --state-dir {sandbox.state_dir}"


def parity_command(sandbox: Sandbox) -> str:
    """How to run parity on ``sandbox``: ``parity``, or ``parity --config PATH``."""
    config = sandbox.config_path
    return "parity" if _is_default_config(config) else f"parity --config {config}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "[red]no[/red]"
