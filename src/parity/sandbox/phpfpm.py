"""The sandbox's PHP-FPM: one master with a pool per site, on unix sockets in the state dir.

It runs on its own configuration (``-y``) and prefix (``-p``), so Debian's www pool never
starts, and as root (``-R``) like the rest of the sandbox.
"""

from __future__ import annotations

from pathlib import Path

from parity.errors import SandboxError
from parity.sandbox.layout import SITES, Layout
from parity.sandbox.packages import Tools
from parity.sandbox.processes import owned_pid, run_daemonizing, unix_socket_answers, wait_until
from parity.sandbox.rendering import render

__all__ = ["PhpFpm", "opcache_setting"]


def opcache_setting(opcache_dir: Path | None) -> str:
    """The pool line that shares compiled WordPress between sandboxes (or a comment).

    OPcache's file cache survives restarts, so a new sandbox's first page does not wait
    for all of WordPress to compile; PHP checks file times and its own build id.
    """
    if opcache_dir is None:
        return "; no shared OPcache file cache"
    return f"php_admin_value[opcache.file_cache] = {opcache_dir}"


class PhpFpm:
    """Write the configuration of, start and identify the sandbox's PHP-FPM master."""

    name = "php-fpm"

    def __init__(self, tools: Tools, layout: Layout, opcache_dir: Path | None = None) -> None:
        self.tools = tools
        self.layout = layout
        self.opcache_dir = opcache_dir

    def pid(self) -> int | None:
        """The master's PID when it is running (ours), else None."""
        return owned_pid(*self.layout.process_identity(self.name))

    def config_text(self) -> str:
        """The php-fpm.conf for both sites."""
        layout = self.layout
        pools = "\n".join(
            render(
                "php-fpm-pool.conf",
                {
                    "site": site,
                    "socket": layout.fpm_socket(site),
                    "php_log": layout.php_log(site),
                    "opcache": opcache_setting(self.opcache_dir),
                },
            )
            for site in SITES
        )
        return render(
            "php-fpm.conf",
            {"state_dir": layout.root, "fpm_dir": layout.fpm_dir, "pools": pools},
        )

    def write_config(self) -> None:
        """Write php-fpm.conf into the state dir."""
        self.layout.fpm_dir.mkdir(parents=True, exist_ok=True)
        if self.opcache_dir is not None:
            self.opcache_dir.mkdir(parents=True, exist_ok=True)
        self.layout.fpm_conf.write_text(self.config_text(), "utf-8")

    def start(self) -> int:
        """Start the master and wait until both pools' sockets accept connections."""
        layout = self.layout
        for site in SITES:
            layout.fpm_socket(site).unlink(missing_ok=True)
        argv = [
            str(self.tools.php_fpm),
            "-R",
            "-y",
            str(layout.fpm_conf),
            "-p",
            str(layout.fpm_dir),
        ]
        run_daemonizing(argv, layout.fpm_dir / "php-fpm.out", "PHP-FPM")
        sockets = [layout.fpm_socket(site) for site in SITES]
        if not wait_until(lambda: all(unix_socket_answers(s) for s in sockets), 10):
            raise SandboxError(
                "PHP-FPM started but its pools do not listen", hint=f"see {layout.fpm_log}"
            )
        pid = self.pid()
        if pid is None:
            raise SandboxError(
                "PHP-FPM started but wrote no pid file", hint=f"see {layout.fpm_log}"
            )
        return pid
