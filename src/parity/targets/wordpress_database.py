"""The database a WordPress config really connects to, guarded like any other target.

``content import`` and ``content rollback`` write through WordPress itself (php-cli
loading the site's ``wp-load.php``), so what they write to is whatever the site's config
says, not what parity.toml says. Before WordPress is started for a write, a small PHP
probe (``wordpress_config_probe.php``) loads only that config, connects with its
credentials as WordPress would, and reports the server, schema and table prefix. The
write is refused when that is a protected environment's data, and when it is not the
database of the environment the command was given (``--env``).

Example::

    ensure_wordpress_reaches(db, root=Path("/usr/share/wordpress"), config_name="staging",
                             action="import articles through WordPress")
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from parity.errors import InputError, SiteError
from parity.targets.database import Database, protected_data
from parity.targets.guard import refuse_protected_data
from parity.targets.identity import DataIdentity, same_server

__all__ = ["ensure_wordpress_reaches", "probe_wordpress_database"]

PROBE_TIMEOUT_S = 30


def _describe_config(root: Path, config_name: str | None) -> str:
    if config_name:
        return f"the WordPress config {config_name!r} (/etc/wordpress/config-{config_name}.php)"
    return f"the WordPress config of {root}"


def probe_wordpress_database(
    root: Path, config_name: str | None, site_url: str, *, php: str | None = None
) -> tuple[DataIdentity, tuple[str | None, str, int]]:
    """Ask PHP which database the WordPress in ``root`` (with ``config_name``) uses.

    Returns the identity its server reports and the configured address
    ``(socket, host, port)``. Raises SiteError when php-cli is missing or the config
    cannot be loaded or cannot connect.
    """
    binary = php or shutil.which("php")
    label = _describe_config(root, config_name)
    if binary is None:
        raise SiteError("php-cli is not installed", hint="install php-cli, or use --direct")
    script = resources.files("parity.targets").joinpath("wordpress_config_probe.php")
    with tempfile.TemporaryDirectory(prefix="parity-wp-probe-") as folder:
        probe = Path(folder) / "probe.php"
        probe.write_text(script.read_text("utf-8"), "utf-8")
        # The config's last line loads ABSPATH/wp-settings.php: here, the report.
        (Path(folder) / "wp-settings.php").write_text("<?php parity_probe_report();\n")
        environment = {
            "PATH": "/usr/bin:/bin",
            "PARITY_SITE_URL": site_url,
            "PARITY_WORDPRESS_ROOT": str(root),
            "PARITY_WORDPRESS_CONFIG": config_name or "",
            "PARITY_PROBE_DIR": folder,
        }
        try:
            done = subprocess.run(
                [binary, "-d", "display_errors=stderr", str(probe)],
                capture_output=True,
                text=True,
                env=environment,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SiteError(f"{label}: php did not finish in {PROBE_TIMEOUT_S} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        answer: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if "error" in answer:
        raise SiteError(f"{label}: {answer['error']}")
    if "hostname" not in answer:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SiteError(f"{label}: could not be read by php ({last[:200]})")
    identity = DataIdentity(
        hostname=str(answer["hostname"]),
        port=int(answer["port"]),
        datadir=str(answer["datadir"]),
        database=str(answer["database"]),
        table_prefix=str(answer["table_prefix"]),
        cluster=str(answer.get("cluster") or ""),
    )
    socket = answer.get("db_socket")
    return identity, (
        str(socket) if socket else None,
        str(answer["db_host"]),
        int(answer["db_port"]),
    )


def ensure_wordpress_reaches(
    db: Database,
    *,
    root: Path,
    config_name: str | None,
    action: str,
    php: str | None = None,
) -> DataIdentity:
    """Refuse to start WordPress for a write unless its config reaches ``db``'s data.

    ``db`` is the connection of the environment the command was given. Raises
    ProtectedEnvironment when the config reaches a protected environment's data, and
    InputError when it reaches another database than ``db.env``'s (nothing is written
    in either case). Returns what the config reaches.
    """
    env = db.env
    label = _describe_config(root, config_name)
    db.ensure_writable(action)
    reached, address = probe_wordpress_database(root, config_name, env.url, php=php)
    refuse_protected_data(label, action, reached, address, protected_data(env))
    expected = db.data_identity()
    if not (
        same_server(reached, expected)
        and reached.database == expected.database
        and reached.table_prefix == expected.table_prefix
    ):
        raise InputError(
            f"{label} reaches {reached.describe()}, not the database of {env.name}"
            f" ({expected.describe()})",
            hint=f"pass the --wp-config/--wp-root of {env.name}'s own WordPress",
        )
    return reached
