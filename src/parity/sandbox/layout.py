"""Where everything of one sandbox lives: one state directory, plus two files in /etc/wordpress.

Debian's WordPress reads ``/etc/wordpress/config-<X>.php``; those files are global to the
machine, so their names carry a short hash of the state directory and two sandboxes (a
demo and a test one) never share them::

    <state>/sandbox.json             passwords, salts, ports (mode 0600)
    <state>/parity.toml              the generated configuration (mode 0600)
    <state>/mariadb/                 data/, mariadb.sock, mariadb.pid, mariadb.log
    <state>/php-fpm/                 per site: <site>.conf, <site>.sock, <site>.pid, logs
    <state>/nginx/                   nginx.conf, nginx.pid, temp/, logs, media/ (proxy rules),
                                     media-cache/ (files a media proxy fetched)
    <state>/varnish/                 <site>.vcl, <site>/ (varnishd -n), <site>.pid, secret
    <state>/<site>/wp-content/       each site's own themes/, plugins/, uploads/
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_STATE_DIR", "SITES", "WORDPRESS_CONFIG_DIR", "Layout", "default_cache_dir"]

#: The sandbox's state directory when none is given, relative to the current directory.
DEFAULT_STATE_DIR = Path(".parity/sandbox")

#: The two sites of every sandbox, in the order they are shown.
SITES: tuple[str, ...] = ("production", "staging")

#: Where Debian's WordPress looks for per-site configuration files.
WORDPRESS_CONFIG_DIR = Path("/etc/wordpress")

# A unix socket path must fit in sockaddr_un.sun_path (108 bytes with the final NUL).
_MAX_SOCKET_PATH = 107


def default_cache_dir() -> Path:
    """Where sandboxes keep what they can share (a pristine MariaDB data dir).

    ``$XDG_CACHE_HOME/parity/sandbox``, by default ``~/.cache/parity/sandbox``; unlike the
    state directory it survives ``down --purge``, which makes the next cold start faster.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "parity" / "sandbox"


@dataclass(frozen=True)
class Layout:
    """Paths of one sandbox, all derived from its (absolute) state directory."""

    root: Path

    @classmethod
    def at(cls, state_dir: Path) -> Layout:
        """The layout for ``state_dir`` (made absolute, symlinks resolved)."""
        return cls(state_dir.expanduser().resolve())

    @property
    def tag(self) -> str:
        """A short hash of the state directory that names this sandbox's global files."""
        return hashlib.sha256(str(self.root).encode()).hexdigest()[:8]

    # -- files of the whole sandbox
    @property
    def state_file(self) -> Path:
        """Passwords, salts and ports (JSON, mode 0600)."""
        return self.root / "sandbox.json"

    @property
    def config_file(self) -> Path:
        """The generated parity.toml (mode 0600)."""
        return self.root / "parity.toml"

    @property
    def lock_file(self) -> Path:
        """Held while ``up`` or ``down`` runs, so two of them never overlap."""
        return self.root / ".lock"

    # -- MariaDB
    @property
    def mariadb_dir(self) -> Path:
        """MariaDB's directory."""
        return self.root / "mariadb"

    @property
    def mariadb_data(self) -> Path:
        """MariaDB's data directory."""
        return self.mariadb_dir / "data"

    @property
    def mariadb_socket(self) -> Path:
        """MariaDB's unix socket (root logs in here, by unix_socket authentication)."""
        return self.mariadb_dir / "mariadb.sock"

    @property
    def mariadb_pid(self) -> Path:
        """mariadbd's pid file."""
        return self.mariadb_dir / "mariadb.pid"

    @property
    def mariadb_log(self) -> Path:
        """mariadbd's error log."""
        return self.mariadb_dir / "mariadb.log"

    # -- PHP-FPM
    @property
    def fpm_dir(self) -> Path:
        """PHP-FPM's directory (its -p prefix)."""
        return self.root / "php-fpm"

    def fpm_conf(self, site: str) -> Path:
        """The configuration (-y file) of ``site``'s PHP-FPM master."""
        return self.fpm_dir / f"{site}.conf"

    def fpm_pid(self, site: str) -> Path:
        """The pid file of ``site``'s PHP-FPM master."""
        return self.fpm_dir / f"{site}.pid"

    def fpm_log(self, site: str) -> Path:
        """The error log of ``site``'s PHP-FPM master."""
        return self.fpm_dir / f"{site}-fpm.log"

    def fpm_out(self, site: str) -> Path:
        """What ``site``'s PHP-FPM printed while starting."""
        return self.fpm_dir / f"{site}-fpm.out"

    @property
    def legacy_fpm(self) -> tuple[Path, Path]:
        """(pid file, configuration) of the one shared master older sandboxes ran."""
        return self.fpm_dir / "php-fpm.pid", self.fpm_dir / "php-fpm.conf"

    def fpm_socket(self, site: str) -> Path:
        """The unix socket of ``site``'s PHP-FPM pool."""
        return self.fpm_dir / f"{site}.sock"

    def php_log(self, site: str) -> Path:
        """PHP errors of ``site``."""
        return self.fpm_dir / f"{site}-php.log"

    # -- nginx
    @property
    def nginx_dir(self) -> Path:
        """nginx's directory (its -p prefix)."""
        return self.root / "nginx"

    @property
    def nginx_conf(self) -> Path:
        """nginx's configuration."""
        return self.nginx_dir / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        """nginx master's pid file."""
        return self.nginx_dir / "nginx.pid"

    @property
    def nginx_media_dir(self) -> Path:
        """The media proxy rules nginx includes (``<site>-http.conf``, ``<site>-server.conf``)."""
        return self.nginx_dir / "media"

    def nginx_media_cache(self, site: str) -> Path:
        """Where a media proxy keeps the files it fetched for ``site``."""
        return self.nginx_dir / "media-cache" / site

    @property
    def nginx_log(self) -> Path:
        """nginx's error log (also its -e file)."""
        return self.nginx_dir / "error.log"

    # -- Varnish
    @property
    def varnish_dir(self) -> Path:
        """Varnish's directory."""
        return self.root / "varnish"

    @property
    def varnish_secret(self) -> Path:
        """The shared secret of both Varnish admin ports (-S)."""
        return self.varnish_dir / "secret"

    def varnish_workdir(self, site: str) -> Path:
        """varnishd's -n directory for ``site`` (absolute, as varnishadm needs)."""
        return self.varnish_dir / site

    def varnish_pid(self, site: str) -> Path:
        """The Varnish manager's pid file for ``site``."""
        return self.varnish_dir / f"{site}.pid"

    def varnish_vcl(self, site: str) -> Path:
        """The generated WordPress VCL for ``site``."""
        return self.varnish_dir / f"{site}.vcl"

    def varnish_log(self, site: str) -> Path:
        """What varnishd and varnishadm printed for ``site``."""
        return self.varnish_dir / f"{site}.log"

    # -- WordPress
    def site_dir(self, site: str) -> Path:
        """The directory of ``site``."""
        return self.root / site

    def wp_content(self, site: str) -> Path:
        """``site``'s own wp-content directory."""
        return self.site_dir(site) / "wp-content"

    def install_log(self, site: str) -> Path:
        """What the WordPress installer printed for ``site``."""
        return self.site_dir(site) / "install.log"

    def wordpress_config_name(self, site: str) -> str:
        """The X of /etc/wordpress/config-X.php, passed as ``WORDPRESS_CONFIG``."""
        return f"parity-{self.tag}-{site}"

    def wordpress_config(self, site: str) -> Path:
        """``site``'s Debian WordPress configuration file."""
        return WORDPRESS_CONFIG_DIR / f"config-{self.wordpress_config_name(site)}.php"

    def process_identity(self, name: str) -> tuple[Path, str]:
        """Process ``name``'s pid file, and a path its command line always contains.

        >>> Layout(Path("/s")).process_identity("nginx")
        (PosixPath('/s/nginx/nginx.pid'), '/s/nginx/nginx.conf')
        """
        if name.startswith("varnish-"):
            site = name.removeprefix("varnish-")
            return self.varnish_pid(site), str(self.varnish_workdir(site))
        if name.startswith("php-fpm-"):
            site = name.removeprefix("php-fpm-")
            return self.fpm_pid(site), str(self.fpm_conf(site))
        identities = {
            "mariadb": (self.mariadb_pid, self.mariadb_data),
            "nginx": (self.nginx_pid, self.nginx_conf),
        }
        pid_file, marker = identities[name]
        return pid_file, str(marker)

    def sockets(self) -> list[Path]:
        """Every unix socket path of the sandbox (they must fit in 107 bytes)."""
        return [self.mariadb_socket, *(self.fpm_socket(site) for site in SITES)]

    def too_long_socket(self) -> Path | None:
        """The first socket path too long for a unix socket, if any."""
        for path in self.sockets():
            if len(str(path).encode()) > _MAX_SOCKET_PATH:
                return path
        return None
