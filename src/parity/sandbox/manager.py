"""``Sandbox``: start, inspect and stop a local pair of real WordPress sites.

    sandbox = Sandbox(Path(".parity/sandbox"), SandboxPorts())
    status = sandbox.up()          # MariaDB, PHP-FPM, nginx, two Varnish; WordPress installed
    status.site("production").url  # "http://127.0.0.1:8081"
    sandbox.config_path            # the generated parity.toml (mode 0600)
    sandbox.stop_php("staging")    # staging answers 502/503 until start_php("staging")
    sandbox.down(purge=True)       # stop by PID, then remove what the sandbox made

``up`` starts what is not running, in parallel, and leaves alone what already runs (found
by pid file and command line), so calling it twice is cheap and safe.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from parity.errors import InputError, SandboxError
from parity.sandbox.config_file import EnvironmentEntry, write_parity_toml
from parity.sandbox.layout import DEFAULT_STATE_DIR, SITES, Layout, default_cache_dir
from parity.sandbox.mariadb import MariaDB, RootSession
from parity.sandbox.nginx import Nginx
from parity.sandbox.packages import WORDPRESS_ROOT, Tools, find_tools, install_packages
from parity.sandbox.phpfpm import PhpFpm, stop_legacy_master
from parity.sandbox.ports import PORT_OPTIONS, SandboxPorts, describe
from parity.sandbox.processes import (
    descendants,
    listening_ports,
    owned_pid,
    port_is_free,
    stop_processes,
    unix_socket_answers,
    wait_until,
)
from parity.sandbox.purge import PurgeResult, purge_state_dir
from parity.sandbox.services import SandboxServices
from parity.sandbox.state import SandboxState
from parity.sandbox.status import ProcessStatus, SandboxStatus, SiteStatus, probe_site
from parity.sandbox.varnish import Varnish, vcl_digest
from parity.sandbox.wordpress import ADMIN_USER, TABLE_PREFIX, Site

__all__ = ["Sandbox"]

# Entries a state directory may hold; `down --purge` refuses to delete anything else.
_STATE_ENTRIES = frozenset(
    {"sandbox.json", "parity.toml", ".lock", "mariadb", "php-fpm", "nginx", "varnish", *SITES}
    | {"postgres", "redis"}  # `up --with` (parity.sandbox.services)
)
_SITE_ANSWER_TIMEOUT = 15.0


@dataclass(frozen=True)
class _Process:
    """One daemon as ``status``/``down`` see it."""

    name: str
    pid: Callable[[], int | None]
    port_names: tuple[str, ...]
    sockets: tuple[Path, ...] = ()


class Sandbox:
    """A local pair of real WordPress sites ("production", "staging") behind Varnish.

    ``state_dir`` defaults to ``.parity/sandbox`` in the current directory. ``ports``
    defaults to the ports saved by the last ``up`` in that directory, else to
    ``SandboxPorts()``. ``search_path`` (like ``$PATH``) changes where the Debian
    programs are looked up; ``cache_dir`` is where a pristine MariaDB data dir is kept
    between sandboxes (default ``~/.cache/parity/sandbox``).
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        ports: SandboxPorts | None = None,
        *,
        search_path: str | None = None,
        wordpress_root: Path = WORDPRESS_ROOT,
        cache_dir: Path | None = None,
    ) -> None:
        self.layout = Layout.at(state_dir if state_dir is not None else DEFAULT_STATE_DIR)
        try:
            saved = SandboxState.load(self.layout.state_file)
        except SandboxError:
            saved = None  # `up` reports it; `status` and `down --purge` must still work
        self.ports: SandboxPorts = ports or (saved.ports if saved else SandboxPorts())
        self._search_path = search_path
        self._wordpress_root = wordpress_root
        self._cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._opcache_dir = self._cache_dir / "opcache"

    # -- what later work needs to reach the sandbox
    @property
    def services(self) -> SandboxServices:
        """The optional Redis and PostgreSQL (``up --with redis,postgres``)."""
        return SandboxServices(self.layout, self.ports)

    @property
    def state_dir(self) -> Path:
        """The (absolute) state directory."""
        return self.layout.root

    @property
    def config_path(self) -> Path:
        """The generated parity.toml describing both sites (mode 0600)."""
        return self.layout.config_file

    @property
    def root_socket(self) -> Path:
        """MariaDB's unix socket, where root logs in without a password."""
        return self.layout.mariadb_socket

    def root_connect_args(self) -> dict[str, Any]:
        """How to log in as MariaDB's root (socket and user), as a client library takes them.

        parity itself logs in through :class:`parity.targets.root_connection.RootConnection`.
        """
        return {"unix_socket": str(self.root_socket), "user": "root"}

    @property
    def urls(self) -> dict[str, str]:
        """Each site's public (Varnish) URL, which is also its WordPress siteurl."""
        return {site: f"http://127.0.0.1:{self.ports.varnish(site)}" for site in SITES}

    @property
    def production_url(self) -> str:
        """Production's public URL, e.g. ``http://127.0.0.1:8081``."""
        return self.urls["production"]

    @property
    def staging_url(self) -> str:
        """Staging's public URL, e.g. ``http://127.0.0.1:8082``."""
        return self.urls["staging"]

    @property
    def admin_user(self) -> str:
        """The WordPress administrator's login on both sites."""
        return ADMIN_USER

    @property
    def admin_password(self) -> str:
        """The administrator's generated password (a secret: never print it)."""
        return self._saved_state().admin_password

    def admin_credentials(self) -> tuple[str, str]:
        """(user, password) of the WordPress administrator on both sites."""
        return ADMIN_USER, self.admin_password

    def database(self, site: str) -> str:
        """The name of ``site``'s database (``wp_production``, ``wp_staging``)."""
        return f"wp_{site}"

    # -- up
    def up(
        self, install: bool = False, vcl: Path | None = None, services: Sequence[str] = ()
    ) -> SandboxStatus:
        """Start whatever is not running yet, install WordPress where needed; the status.

        ``install`` runs ``apt-get install`` for missing Debian packages (as root).
        ``vcl`` makes production's Varnish run that VCL file instead of the built-in one.
        ``services`` also starts those of ``redis``, ``postgres`` (see :attr:`services`).
        """
        if os.geteuid() != 0:
            raise SandboxError(
                "the sandbox runs as root (its daemons run as root and it writes /etc/wordpress)",
                hint="run it with sudo",
            )
        tools = self._tools(install)
        if vcl is not None and not vcl.is_file():
            raise SandboxError(f"the VCL file {vcl} does not exist", hint="check the --vcl path")
        long_path = self.layout.too_long_socket()
        if long_path is not None:
            raise SandboxError(
                f"the state directory path is too long for the unix socket {long_path}",
                hint="choose a shorter --state-dir",
            )
        self.layout.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._locked():
            self._up(tools, vcl)
            self.services.start(services)
            self.services.add_to_config(self.config_path)
        status = self._wait_for_sites()
        if not status.running:
            self._raise_not_running(status)
        return status

    def _up(self, tools: Tools, vcl: Path | None) -> None:
        layout = self.layout
        saved = SandboxState.load(layout.state_file)
        state = saved or SandboxState.new(self.ports)
        mariadb, fpms, nginx, caches = self._components(tools)
        stop_legacy_master(layout)
        running = {p.name: pid for p in self._processes() if (pid := p.pid()) is not None}
        if saved is not None and saved.ports != self.ports:
            if running:
                raise SandboxError(
                    f"the sandbox in {layout.root} is running on other ports",
                    hint="run `parity sandbox down` first, then `up` with the new ports",
                )
            state.ports = self.ports
        state.save(layout.state_file)
        self._check_ports_free(running)

        sites = {site: self._site(tools, state, site) for site in SITES}
        for site in sites.values():
            site.write_config()
            site.prepare_wp_content()
        for fpm in fpms.values():
            fpm.write_config()
        nginx.write_config()
        wanted_vcl = {site: cache.write_default_vcl() for site, cache in caches.items()}
        if vcl is not None:
            wanted_vcl["production"] = vcl.resolve()

        def database_and_wordpress() -> None:
            if mariadb.name not in running:
                mariadb.start()
            with mariadb.session() as db:
                for site in sites.values():
                    db.ensure_site_database(site.database, site.db_user, site.db_password)
                self._install_wordpress(db, sites, state)

        def varnish(site: str) -> None:
            self._ensure_varnish(caches[site], wanted_vcl[site], state, running)

        tasks: list[Callable[[], object]] = [database_and_wordpress]
        tasks += [fpm.start for fpm in fpms.values() if fpm.name not in running]
        if nginx.name not in running:
            tasks.append(nginx.start)
        tasks += [partial(varnish, site) for site in SITES]
        try:
            _run_parallel(tasks)
        finally:
            state.save(layout.state_file)
        write_parity_toml(layout.config_file, self._environments(state))

    def _install_wordpress(
        self, db: RootSession, sites: dict[str, Site], state: SandboxState
    ) -> None:
        todo = []
        for site in sites.values():
            if db.option(site.database, TABLE_PREFIX, "siteurl") is None:
                todo.append(site)
            elif state.site_urls.get(site.name, site.url) != site.url:
                # The site's port changed since we set its URL: follow it, or WordPress would
                # redirect every request to the old port. (A URL changed by anyone else, a
                # refresh for instance, is left alone.)
                db.set_options(site.database, TABLE_PREFIX, {"siteurl": site.url, "home": site.url})
                state.site_urls[site.name] = site.url
        _run_parallel([partial(s.install, state.admin_password) for s in todo])
        for site in todo:
            state.site_urls[site.name] = site.url

    def _ensure_varnish(
        self, cache: Varnish, vcl: Path, state: SandboxState, running: dict[str, int]
    ) -> None:
        digest = vcl_digest(vcl)
        loaded = state.loaded_vcl.get(cache.site, {})
        if cache.name not in running:
            cache.start(vcl)
            name = "boot"
        elif loaded.get("sha256") == digest:
            return
        else:
            name = cache.use_vcl(vcl, previous=loaded.get("name"))
        state.loaded_vcl[cache.site] = {"name": name, "sha256": digest, "source": str(vcl)}

    def _check_ports_free(self, running: dict[str, int]) -> None:
        for process in self._processes():
            if process.name in running:
                continue
            for port_name in process.port_names:
                port = getattr(self.ports, port_name)
                if not port_is_free(port):
                    raise SandboxError(
                        f"port {port} ({describe(port_name)}) on 127.0.0.1 is already in use"
                        " by another program",
                        hint=f"choose another port with {PORT_OPTIONS[port_name]},"
                        " or move them all with --port-offset",
                    )

    def _wait_for_sites(self) -> SandboxStatus:
        status = self.status()
        if status.running:
            return status
        wait_until(
            lambda: all(probe_site(url)[0] == 200 for url in self.urls.values()),
            _SITE_ANSWER_TIMEOUT,
            interval=0.05,
        )
        return self.status()

    def _raise_not_running(self, status: SandboxStatus) -> None:
        for process in status.processes:
            if not (process.running and process.listening):
                raise SandboxError(
                    f"{process.name} of the sandbox is not running or not listening",
                    hint=f"see the logs in {self.layout.root}",
                )
        for site in status.sites:
            if not site.answers:
                raise SandboxError(
                    f"the {site.name} site {site.url} does not answer ({site.detail})",
                    hint=f"see {self.layout.nginx_log} and {self.layout.php_log(site.name)}",
                )

    # -- status
    def status(self) -> SandboxStatus:
        """Each process (PID, running, listening) and each site (URL, answers)."""
        processes = []
        for process in self._processes():
            pid = process.pid()
            ports = tuple(getattr(self.ports, name) for name in process.port_names)
            listening = (
                pid is not None
                and set(ports) <= listening_ports([pid])
                and all(unix_socket_answers(path) for path in process.sockets)
            )
            processes.append(
                ProcessStatus(
                    name=process.name,
                    pid=pid,
                    running=pid is not None,
                    ports=ports,
                    sockets=tuple(str(path) for path in process.sockets),
                    listening=listening,
                )
            )
        # Probe only through our own Varnish: on a stopped sandbox, a port answering would be
        # somebody else's.
        ours = {p.name: p for p in processes}
        probes: dict[str, tuple[int | None, str]] = {
            site: (None, f"varnish-{site} is not running")
            for site in SITES
            if not ours[f"varnish-{site}"].running
        }
        todo = [site for site in SITES if site not in probes]
        with ThreadPoolExecutor(max_workers=len(SITES)) as pool:
            answers = pool.map(probe_site, [self.urls[site] for site in todo])
            probes.update(zip(todo, answers, strict=True))
        sites = tuple(
            SiteStatus(
                name=site,
                url=self.urls[site],
                answers=probes[site][0] == 200,
                http_status=probes[site][0],
                detail=probes[site][1],
                database=self.database(site),
                wp_content_dir=str(self.layout.wp_content(site)),
            )
            for site in SITES
        )
        return SandboxStatus(
            state_dir=self.layout.root,
            config_path=self.config_path,
            processes=tuple(processes),
            sites=sites,
        )

    # -- one site's PHP, stopped and started on purpose
    def stop_php(self, site: str) -> bool:
        """Stop ``site``'s PHP-FPM master; False when it was not running.

        The site's nginx and Varnish keep running, so pages Varnish holds are still
        served and everything else answers an error: what a site whose PHP died looks
        like. :meth:`start_php` (or ``up``) starts it again.
        """
        fpm = self._fpm(site)
        with self._locked():
            return fpm.stop()

    def start_php(self, site: str) -> bool:
        """Start ``site``'s PHP-FPM master again; False when it was already running."""
        fpm = self._fpm(site)
        with self._locked():
            if fpm.pid() is not None:
                return False
            fpm.write_config()
            fpm.start()
        return True

    def php_running(self, site: str) -> bool:
        """Whether ``site``'s PHP-FPM master runs (ours)."""
        if site not in SITES:
            raise InputError(f"the sandbox has no site {site!r} (its sites: {', '.join(SITES)})")
        return owned_pid(*self.layout.process_identity(f"php-fpm-{site}")) is not None

    def _fpm(self, site: str) -> PhpFpm:
        if site not in SITES:
            raise InputError(f"the sandbox has no site {site!r} (its sites: {', '.join(SITES)})")
        if os.geteuid() != 0:
            raise SandboxError(
                "the sandbox runs as root (its daemons run as root)", hint="run it with sudo"
            )
        self._saved_state()  # a sandbox that never started has no PHP to stop or start
        return PhpFpm(self._tools(False), self.layout, site, self._opcache_dir)

    # -- down
    def down(self, purge: bool = False) -> PurgeResult:
        """Stop the sandbox's processes (by PID) and wait until they and their ports are gone.

        ``purge`` also removes this sandbox's /etc/wordpress files and what it made in
        the state directory (see :mod:`parity.sandbox.purge`); anything else found there
        is left, with the folders holding it, and listed in the result's ``kept``.
        """
        root = self.layout.root
        if root.is_dir():
            if purge:
                self._check_purgeable()
            with self._locked():
                self._stop_all()
        if not purge:
            return PurgeResult()
        for site in SITES:
            self.layout.wordpress_config(site).unlink(missing_ok=True)
        self.services.purge()
        result = purge_state_dir(self.layout)
        if root.exists() and not result.kept:
            raise SandboxError(f"could not remove {root}", hint="remove it by hand")
        return result

    def _stop_all(self) -> None:
        self.services.stop()
        stop_legacy_master(self.layout)
        pids = [pid for process in self._processes() if (pid := process.pid()) is not None]
        family = set(pids)
        for pid in pids:
            family.update(descendants(pid))
        held = listening_ports(family)
        stop_processes(pids)
        if not wait_until(lambda: not (held & listening_ports()), 10):
            busy = ", ".join(str(port) for port in sorted(held & listening_ports()))
            raise SandboxError(f"ports {busy} are still listening after the sandbox stopped")

    def _check_purgeable(self) -> None:
        strangers = sorted(
            entry.name
            for entry in os.scandir(self.layout.root)
            if entry.name not in _STATE_ENTRIES and not entry.name.startswith(".")
        )
        if strangers:
            raise SandboxError(
                f"{self.layout.root} does not look like a sandbox state directory"
                f" (it holds {', '.join(strangers[:3])}); not removing it",
                hint="check --state-dir",
            )

    # -- helpers
    def _tools(self, install: bool) -> Tools:
        try:
            return find_tools(self._search_path, self._wordpress_root)
        except SandboxError:
            if not install:
                raise
        install_packages()
        return find_tools(self._search_path, self._wordpress_root)

    def _saved_state(self) -> SandboxState:
        state = SandboxState.load(self.layout.state_file)
        if state is None:
            raise SandboxError(
                f"the sandbox in {self.layout.root} has not been started",
                hint="run `parity sandbox up`",
            )
        return state

    def _components(
        self, tools: Tools
    ) -> tuple[MariaDB, dict[str, PhpFpm], Nginx, dict[str, Varnish]]:
        return (
            MariaDB(tools, self.layout, self.ports.mariadb, self._cache_dir),
            {site: PhpFpm(tools, self.layout, site, self._opcache_dir) for site in SITES},
            Nginx(tools, self.layout, self.ports),
            {site: Varnish(tools, self.layout, self.ports, site) for site in SITES},
        )

    def _processes(self) -> list[_Process]:
        """The daemons, identified without needing the Debian programs to be installed."""
        layout = self.layout
        wanted: list[tuple[str, tuple[str, ...], tuple[Path, ...]]] = [
            ("mariadb", ("mariadb",), (layout.mariadb_socket,)),
            *((f"php-fpm-{site}", (), (layout.fpm_socket(site),)) for site in SITES),
            ("nginx", tuple(f"{site}_nginx" for site in SITES), ()),
            *(
                (f"varnish-{site}", (f"{site}_varnish", f"{site}_varnish_admin"), ())
                for site in SITES
            ),
        ]
        return [
            _Process(name, partial(owned_pid, *layout.process_identity(name)), ports, sockets)
            for name, ports, sockets in wanted
        ]

    def _site(self, tools: Tools, state: SandboxState, site: str) -> Site:
        return Site(
            name=site,
            url=self.urls[site],
            layout=self.layout,
            tools=tools,
            db_port=self.ports.mariadb,
            db_password=state.db_passwords[site],
            salts=state.salts[site],
            opcache_dir=self._opcache_dir,
        )

    def _environments(self, state: SandboxState) -> list[EnvironmentEntry]:
        return [
            EnvironmentEntry(
                name=site,
                url=self.urls[site],
                db_user=f"parity_{site}",
                db_password=state.db_passwords[site],
                db_port=self.ports.mariadb,
                database=self.database(site),
                table_prefix=TABLE_PREFIX,
                protected=site == "production",
                login_user=ADMIN_USER,
                login_password=state.admin_password,
                wp_content_dir=self.layout.wp_content(site),
            )
            for site in SITES
        ]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.layout.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _run_parallel(tasks: list[Callable[[], object]]) -> None:
    """Run ``tasks`` in threads; wait for all, then raise the first error, if any."""
    if not tasks:
        return
    if len(tasks) == 1:
        tasks[0]()
        return
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures: list[Future[object]] = [pool.submit(task) for task in tasks]
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
