"""Where an environment's WordPress lives on this machine, and what its config defines.

Two layouts are recognised:

* Debian's ``wordpress`` package: the code in ``/usr/share/wordpress``, one config file
  per site in ``/etc/wordpress/config-<name>.php``, picked by ``WORDPRESS_CONFIG``. The
  site's file is the one whose ``DB_NAME`` and ``DB_HOST`` match the environment's
  database (this is how ``parity sandbox`` sites are found).
* A plain install: ``wp-load.php`` and ``wp-config.php`` in the folder above the
  environment's ``wp_content_dir`` (or in the folder given explicitly).

Constants are read from ``define('NAME', literal)`` lines only (true/false, numbers,
quoted strings), after dropping comments: enough for ``DISABLE_WP_CRON`` and
``WP_HTTP_BLOCK_EXTERNAL``; a value computed at run time is reported as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from parity.environments import EnvironmentSettings
from parity.errors import ConfigError

__all__ = [
    "DEBIAN_CONFIG_DIR",
    "DEBIAN_ROOT",
    "WordPressFiles",
    "locate_wordpress",
    "read_defines",
    "strip_comments",
]

DEBIAN_ROOT = Path("/usr/share/wordpress")
DEBIAN_CONFIG_DIR = Path("/etc/wordpress")

_DEFINE = re.compile(
    r"""define\s*\(\s*(['"])(?P<name>[A-Z0-9_]+)\1\s*,\s*(?P<value>
        true|false|TRUE|FALSE|-?\d+|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"
    )\s*\)""",
    re.X,
)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

Constant = bool | int | str


def strip_comments(text: str) -> str:
    """PHP source without its comments (``//``, ``#``, ``/* */``); strings kept intact.

    >>> strip_comments("define('A', '#not/*a comment'); # a comment")
    "define('A', '#not/*a comment'); "
    """
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char in "'\"":
            end = i + 1
            while end < size and text[end] != char:
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif char == "#" or text.startswith("//", i):
            newline = text.find("\n", i)
            i = size if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = size if close < 0 else close + 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def read_defines(text: str) -> dict[str, Constant]:
    """The constants a PHP config file defines with literal values.

    >>> read_defines("define('DISABLE_WP_CRON', true); // define('X', 1);")
    {'DISABLE_WP_CRON': True}
    """
    found: dict[str, Constant] = {}
    for match in _DEFINE.finditer(strip_comments(text)):
        raw = match.group("value")
        value: Constant
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        elif raw[0] in "'\"":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        else:
            value = int(raw)
        found.setdefault(match.group("name"), value)
    return found


@dataclass(frozen=True)
class WordPressFiles:
    """One site's WordPress on this machine."""

    root: Path  # the folder holding wp-load.php
    config_name: str | None  # Debian's WORDPRESS_CONFIG, when the site uses one
    config_files: tuple[Path, ...]
    defines: dict[str, Constant] = field(default_factory=dict)

    def constant(self, name: str) -> Constant | None:
        """A constant's literal value, or None when not defined (or not literal)."""
        return self.defines.get(name)


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8", "replace")
    except OSError:
        return None


def _host_matches(db_host: str, env: EnvironmentSettings) -> bool:
    host, _, port = db_host.partition(":")
    want_port = env.db.port
    if port and (not port.isdigit() or int(port) != want_port):
        return False
    if not port and want_port != 3306:
        return False
    if host in _LOCAL_HOSTS and env.db.host in _LOCAL_HOSTS:
        return True
    return host == env.db.host


def _debian(env: EnvironmentSettings, config_dir: Path) -> tuple[str, Path, str] | None:
    try:
        candidates = sorted(config_dir.glob("config-*.php"))
    except OSError:
        return None
    for path in candidates:
        text = _read(path)
        if text is None:
            continue
        defines = read_defines(text)
        if defines.get("DB_NAME") != env.db.database:
            continue
        db_host = defines.get("DB_HOST", "localhost")
        if isinstance(db_host, str) and _host_matches(db_host, env):
            return path.stem.removeprefix("config-"), path, text
    return None


def locate_wordpress(
    env: EnvironmentSettings,
    *,
    root: Path | None = None,
    config_name: str | None = None,
    debian_root: Path = DEBIAN_ROOT,
    debian_config_dir: Path = DEBIAN_CONFIG_DIR,
) -> WordPressFiles:
    """Find ``env``'s WordPress files on this machine (see the module docstring).

    ``root`` and ``config_name`` override what is found. Raises ConfigError with a hint
    when nothing matches.
    """
    if config_name is not None or (root is None and (debian_root / "wp-load.php").is_file()):
        base = root or debian_root
        if config_name is not None:
            path = debian_config_dir / f"config-{config_name}.php"
            text = _read(path)
            if text is None:
                raise ConfigError(f"{path}: cannot read the WordPress config of {env.name}")
            found: tuple[str, Path, str] | None = (config_name, path, text)
        else:
            found = _debian(env, debian_config_dir)
        if found is not None:
            name, path, text = found
            defines = read_defines(text)
            master = _read(base / "wp-config.php") or ""
            for key, value in read_defines(master).items():
                defines.setdefault(key, value)
            return WordPressFiles(base, name, (path, base / "wp-config.php"), defines)
    candidates = [root] if root is not None else []
    if root is None and env.wp_content_dir:
        content = Path(env.wp_content_dir)
        candidates += [content.parent, content.parent.parent]
    for folder in candidates:
        if folder is not None and (folder / "wp-load.php").is_file():
            config = folder / "wp-config.php"
            if not config.is_file():
                config = folder.parent / "wp-config.php"
            text = _read(config) or ""
            return WordPressFiles(folder, None, (config,), read_defines(text))
    raise ConfigError(
        f"cannot find the WordPress files of {env.name} on this machine",
        hint="pass --wp-root DIR (the folder with wp-load.php) and, for Debian's package,"
        " --wp-config NAME (the X of /etc/wordpress/config-X.php)",
    )
