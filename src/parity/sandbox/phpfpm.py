"""The sandbox's PHP-FPM: one master per site, each with one pool on a unix socket in the
state dir.

It runs on its own configuration (``-y``) and prefix (``-p``), so Debian's www pool never
starts, and as root (``-R``) like the rest of the sandbox. A master per site (rather than one
master with two pools) lets one site's PHP be stopped on purpose while the other serves.
"""

from __future__ import annotations

from pathlib import Path

from parity.errors import SandboxError
from parity.sandbox.layout import Layout
from parity.sandbox.packages import Tools
from parity.sandbox.processes import (
    owned_pid,
    run_daemonizing,
    stop_processes,
    unix_socket_answers,
    wait_until,
)
from parity.sandbox.rendering import render

__all__ = ["PhpFpm", "opcache_setting", "stop_legacy_master"]


def opcache_setting(opcache_dir: Path | None) -> str:
    """The pool line that shares compiled WordPress between sandboxes (or a comment).

    OPcache's file cache survives restarts, so a new sandbox's first page does not wait
    for all of WordPress to compile; PHP checks file times and its own build id.
    """
    if opcache_dir is None:
        return "; no shared OPcache file cache"
    return f"php_admin_value[opcache.file_cache] = {opcache_dir}"


class PhpFpm:
    """Write the configuration of, start, stop and identify one site's PHP-FPM master.

    Each site has a master of its own (``php-fpm-production``, ``php-fpm-staging``), so
    one site's PHP can be stopped while the other keeps serving: that is how monitoring
    is shown a real "down" (see :meth:`parity.sandbox.Sandbox.stop_php`).
    """

    def __init__(
        self, tools: Tools, layout: Layout, site: str, opcache_dir: Path | None = None
    ) -> None:
        self.tools = tools
        self.layout = layout
        self.site = site
        self.opcache_dir = opcache_dir

    @property
    def name(self) -> str:
        """The process name ``status`` shows: ``php-fpm-<site>``."""
        return f"php-fpm-{self.site}"

    def pid(self) -> int | None:
        """The master's PID when it is running (ours), else None."""
        return owned_pid(*self.layout.process_identity(self.name))

    def config_text(self) -> str:
        """The php-fpm.conf of this site's master: one pool."""
        layout = self.layout
        pool = render(
            "php-fpm-pool.conf",
            {
                "site": self.site,
                "socket": layout.fpm_socket(self.site),
                "php_log": layout.php_log(self.site),
                "opcache": opcache_setting(self.opcache_dir),
            },
        )
        return render(
            "php-fpm.conf",
            {
                "state_dir": layout.root,
                "fpm_dir": layout.fpm_dir,
                "pid_file": layout.fpm_pid(self.site),
                "error_log": layout.fpm_log(self.site),
                "pools": pool,
            },
        )

    def write_config(self) -> None:
        """Write this site's master configuration into the state dir."""
        self.layout.fpm_dir.mkdir(parents=True, exist_ok=True)
        if self.opcache_dir is not None:
            self.opcache_dir.mkdir(parents=True, exist_ok=True)
        self.layout.fpm_conf(self.site).write_text(self.config_text(), "utf-8")

    def start(self) -> int:
        """Start the master and wait until its pool's socket accepts connections."""
        layout, site = self.layout, self.site
        socket = layout.fpm_socket(site)
        socket.unlink(missing_ok=True)
        argv = [
            str(self.tools.php_fpm),
            "-R",
            "-y",
            str(layout.fpm_conf(site)),
            "-p",
            str(layout.fpm_dir),
        ]
        run_daemonizing(argv, layout.fpm_out(site), f"PHP-FPM of {site}")
        if not wait_until(lambda: unix_socket_answers(socket), 10):
            raise SandboxError(
                f"PHP-FPM of {site} started but its pool does not listen",
                hint=f"see {layout.fpm_log(site)}",
            )
        pid = self.pid()
        if pid is None:
            raise SandboxError(
                f"PHP-FPM of {site} started but wrote no pid file",
                hint=f"see {layout.fpm_log(site)}",
            )
        return pid

    def stop(self) -> bool:
        """Stop the master and its workers (by PID); False when it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        stop_processes([pid])
        self.layout.fpm_socket(self.site).unlink(missing_ok=True)
        return True


def stop_legacy_master(layout: Layout) -> None:
    """Stop the one shared master an older sandbox may still run in ``layout``.

    Sandboxes used to run a single PHP-FPM for both sites; a state directory started that
    way is taken over cleanly by the per-site masters.
    """
    pid_file, conf = layout.legacy_fpm
    pid = owned_pid(pid_file, str(conf))
    if pid is not None:
        stop_processes([pid])
    pid_file.unlink(missing_ok=True)
    conf.unlink(missing_ok=True)
