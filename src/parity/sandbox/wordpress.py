"""The two WordPress sites: their Debian config files, wp-content dirs and installation.

Debian's WordPress (``/usr/share/wordpress``) is shared; what differs per site is the
file ``/etc/wordpress/config-parity-<hash>-<site>.php`` (database, salts, wp-content)
and the site's own ``wp-content`` in the state dir. WordPress is installed with php-cli
calling ``wp_install()`` (there is no wp-cli), offline and without mail.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from parity.errors import SandboxError
from parity.sandbox.layout import WORDPRESS_CONFIG_DIR, Layout
from parity.sandbox.packages import Tools
from parity.sandbox.processes import last_log_line
from parity.sandbox.rendering import render

__all__ = ["ADMIN_USER", "TABLE_PREFIX", "THEME", "Site"]

ADMIN_USER = "admin"
TABLE_PREFIX = "wp_"
THEME = "twentytwentythree"
_INSTALL_TIMEOUT = 120


def _php_string(value: str) -> str:
    """``value`` for a single-quoted PHP string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


@dataclass(frozen=True)
class Site:
    """One WordPress site of the sandbox ("production" or "staging")."""

    name: str
    url: str
    layout: Layout
    tools: Tools
    db_port: int
    db_password: str
    salts: dict[str, str]
    #: OPcache file cache shared with PHP-FPM (None: compile from scratch).
    opcache_dir: Path | None = None

    @property
    def database(self) -> str:
        """The site's database: ``wp_<name>``."""
        return f"wp_{self.name}"

    @property
    def db_user(self) -> str:
        """The site's database user (at '127.0.0.1'): ``parity_<name>``."""
        return f"parity_{self.name}"

    @property
    def wp_content(self) -> Path:
        """The site's own wp-content directory."""
        return self.layout.wp_content(self.name)

    @property
    def config_path(self) -> Path:
        """The site's Debian config file in /etc/wordpress."""
        return self.layout.wordpress_config(self.name)

    def config_text(self) -> str:
        """The PHP of the site's Debian config file (it holds the DB password)."""
        salts = "\n".join(
            f"define('{key}', '{_php_string(value)}');" for key, value in self.salts.items()
        )
        return render(
            "wp-site-config.php",
            {
                "site": self.name,
                "state_dir": self.layout.root,
                "wordpress_config": self.layout.wordpress_config_name(self.name),
                "db_name": self.database,
                "db_user": self.db_user,
                "db_password": _php_string(self.db_password),
                "db_port": self.db_port,
                "table_prefix": TABLE_PREFIX,
                "salts": salts,
                "wp_content_dir": _php_string(str(self.wp_content)),
                "environment_type": "production" if self.name == "production" else "staging",
            },
        )

    def write_config(self) -> None:
        """Write the config file (mode 0640, rewritten only when its text changed)."""
        text = self.config_text()
        path = self.config_path
        try:
            if path.read_text("utf-8") == text:
                return
        except OSError:
            pass
        try:
            WORDPRESS_CONFIG_DIR.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            raise SandboxError(
                f"cannot write {path}: {exc.strerror}",
                hint="the sandbox must run as root (it writes /etc/wordpress)",
            ) from None

    def remove_config(self) -> None:
        """Remove the config file from /etc/wordpress (when it is there)."""
        self.config_path.unlink(missing_ok=True)

    def prepare_wp_content(self) -> None:
        """Create the site's wp-content: the theme linked in, real plugins and uploads dirs."""
        content = self.wp_content
        for sub in ("themes", "plugins", "uploads", "upgrade"):
            (content / sub).mkdir(parents=True, exist_ok=True)
        theme = content / "themes" / THEME
        if not theme.exists():
            theme.unlink(missing_ok=True)  # a dangling link
            theme.symlink_to(self.tools.theme_dir, target_is_directory=True)
        for sub in ("", "plugins", "themes"):
            index = content / sub / "index.php"
            if not index.exists():
                index.write_text("<?php\n// Silence is golden.\n", "utf-8")

    def install(self, admin_password: str) -> bool:
        """Install WordPress into the site's database; False when it already was."""
        script = self.layout.site_dir(self.name) / "install-wordpress.php"
        script.write_text(render("install-wordpress.php", {}), "utf-8")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PARITY_SITE_URL": self.url,
            "PARITY_WORDPRESS_CONFIG": self.layout.wordpress_config_name(self.name),
            "PARITY_WORDPRESS_ROOT": str(self.tools.wordpress_root),
            "PARITY_SITE_TITLE": f"parity {self.name}",
            "PARITY_SITE_DESCRIPTION": f"The {self.name} site of the parity sandbox",
            "PARITY_ADMIN_USER": ADMIN_USER,
            "PARITY_ADMIN_EMAIL": f"{ADMIN_USER}@{self.name}.sandbox.invalid",
            "PARITY_ADMIN_PASSWORD": admin_password,
            "PARITY_THEME": THEME,
        }
        log = self.layout.install_log(self.name)
        argv = [str(self.tools.php), "-d", "display_errors=stderr"]
        if self.opcache_dir is not None:
            self.opcache_dir.mkdir(parents=True, exist_ok=True)
            argv += ["-d", "opcache.enable_cli=1", "-d", f"opcache.file_cache={self.opcache_dir}"]
        try:
            done = subprocess.run(
                [*argv, str(script)],
                capture_output=True,
                text=True,
                env=env,
                timeout=_INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SandboxError(
                f"installing WordPress for {self.name} took more than {_INSTALL_TIMEOUT} s"
            ) from None
        log.write_text(done.stdout + done.stderr, "utf-8")
        result = self._result(done.stdout)
        if done.returncode != 0 or result is None:
            raise SandboxError(
                f"installing WordPress for {self.name} failed: {last_log_line(log)}",
                hint=f"see {log}",
            )
        return bool(result.get("installed"))

    @staticmethod
    def _result(stdout: str) -> dict[str, object] | None:
        for line in reversed(stdout.splitlines()):
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    return None
                return value if isinstance(value, dict) else None
        return None
