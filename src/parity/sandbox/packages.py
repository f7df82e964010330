"""Find the Debian programs the sandbox runs, or say exactly what to install.

The lookup takes a ``search_path`` (like ``$PATH``) so a test can simulate a machine
without the packages by pointing it at an empty directory::

    tools = find_tools()              # Tools(mariadbd=Path("/usr/sbin/mariadbd"), ...)
    find_tools(search_path="/nowhere")  # raises MissingPackages naming the apt-get line
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from parity.errors import MissingPackages, SandboxError

__all__ = [
    "APT_PACKAGES",
    "INSTALL_COMMAND",
    "WORDPRESS_ROOT",
    "Tools",
    "find_tools",
    "install_packages",
]

#: Every Debian package the sandbox needs. ``php`` and ``php-fpm`` are named so that apt
#: does not choose Apache to satisfy ``php``; without the theme the front page is blank.
APT_PACKAGES: tuple[str, ...] = (
    "mariadb-server",
    "mariadb-client",
    "php-cli",
    "php-fpm",
    "php",
    "php-mysql",
    "wordpress",
    "wordpress-theme-twentytwentythree",
    "varnish",
    "nginx",
)

#: The line to run when something is missing.
INSTALL_COMMAND = "apt-get install -y " + " ".join(APT_PACKAGES)

#: Where Debian's ``wordpress`` package puts WordPress.
WORDPRESS_ROOT = Path("/usr/share/wordpress")

_THEME = "twentytwentythree"
# sbin directories are not on a normal user's PATH, but the daemons live there.
_EXTRA_PATH = "/usr/local/sbin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the programs and files the sandbox uses."""

    mariadbd: Path
    mariadb_install_db: Path
    php: Path
    php_fpm: Path
    nginx: Path
    varnishd: Path
    varnishadm: Path
    wordpress_root: Path
    theme_dir: Path


def _which(names: tuple[str, ...], search_path: str) -> Path | None:
    for name in names:
        found = shutil.which(name, path=search_path)
        if found:
            return Path(found)
    return None


def _php_fpm(search_path: str) -> Path | None:
    found = _which(("php-fpm", "php-fpm8.2"), search_path)
    if found:
        return found
    # Debian names the binary after the PHP version (php-fpm8.2); take the newest.
    for directory in search_path.split(os.pathsep):
        if not directory:
            continue
        matches = sorted(glob.glob(os.path.join(directory, "php-fpm[0-9]*")), reverse=True)
        for match in matches:
            if os.access(match, os.X_OK):
                return Path(match)
    return None


def _theme_dir(wordpress_root: Path) -> Path | None:
    for candidate in (
        wordpress_root / "wp-content" / "themes" / _THEME,
        Path("/usr/share/wordpress-theme-twentytwentythree") / _THEME,
        Path("/var/lib/wordpress/wp-content/themes") / _THEME,
    ):
        if (candidate / "style.css").is_file():
            return candidate
    return None


def _php_has_mysqli() -> bool:
    # Debian's php-mysql ships this file for every PHP version it supports.
    return bool(glob.glob("/etc/php/*/mods-available/mysqli.ini"))


def find_tools(search_path: str | None = None, wordpress_root: Path = WORDPRESS_ROOT) -> Tools:
    """The sandbox's programs, found on ``search_path`` (default: ``$PATH`` plus sbin).

    Raises MissingPackages naming what is missing and the ``apt-get install`` line.
    """
    if search_path is None:
        search_path = os.pathsep.join(filter(None, (os.environ.get("PATH"), _EXTRA_PATH)))
    found: dict[str, Path | None] = {
        "mariadbd": _which(("mariadbd",), search_path),
        "mariadb_install_db": _which(("mariadb-install-db",), search_path),
        "php": _which(("php",), search_path),
        "php_fpm": _php_fpm(search_path),
        "nginx": _which(("nginx",), search_path),
        "varnishd": _which(("varnishd",), search_path),
        "varnishadm": _which(("varnishadm",), search_path),
    }
    wordpress_ok = (wordpress_root / "wp-settings.php").is_file()
    theme = _theme_dir(wordpress_root) if wordpress_ok else None
    missing = [name.replace("_", "-") for name, path in found.items() if path is None]
    if not wordpress_ok:
        missing.append(str(wordpress_root))
    elif theme is None:
        missing.append(f"the {_THEME} theme")
    if found["php"] is not None and not _php_has_mysqli():
        missing.append("PHP's mysqli extension")
    if missing:
        raise MissingPackages(
            f"the sandbox needs Debian packages that are not installed ({', '.join(missing)})",
            hint=f"install them with: {INSTALL_COMMAND}"
            " (or run `parity sandbox up --install` as root)",
        )
    paths = {name: path for name, path in found.items() if path is not None}
    assert theme is not None  # checked above; tells mypy
    return Tools(**paths, wordpress_root=wordpress_root, theme_dir=theme)


def install_packages() -> None:
    """Run ``apt-get update`` and ``apt-get install -y ...`` (root only)."""
    if os.geteuid() != 0:
        raise SandboxError(
            "installing the sandbox's Debian packages needs root",
            hint=f"run: sudo {INSTALL_COMMAND}",
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *APT_PACKAGES]):
        try:
            done = subprocess.run(argv, env=env, check=False)
        except FileNotFoundError:
            raise SandboxError(
                "apt-get was not found: the sandbox runs on Debian or Ubuntu only",
                hint=f"install the equivalent of: {INSTALL_COMMAND}",
            ) from None
        if done.returncode != 0:
            raise SandboxError(
                f"`{' '.join(argv)}` failed with exit code {done.returncode}",
                hint="read apt-get's output above, fix it, and run the command again",
            )
