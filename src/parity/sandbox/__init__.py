"""The local sandbox: a real WordPress "production" and "staging" pair on 127.0.0.1.

MariaDB, PHP-FPM + nginx serving Debian's WordPress, and Varnish in front of each site,
all started from, and kept in, one state directory (``.parity/sandbox`` by default)::

    from parity.sandbox import Sandbox, SandboxPorts

    sandbox = Sandbox(Path(".parity/sandbox"), SandboxPorts())
    sandbox.up()                    # idempotent; about 1 s from scratch
    sandbox.config_path             # parity.toml describing both sites
    sandbox.down(purge=True)

See docs/sandbox.md.
"""

from parity.sandbox.layout import DEFAULT_STATE_DIR, SITES
from parity.sandbox.manager import Sandbox
from parity.sandbox.packages import APT_PACKAGES, INSTALL_COMMAND, Tools, find_tools
from parity.sandbox.ports import PORT_OPTIONS, SandboxPorts
from parity.sandbox.status import ProcessStatus, SandboxStatus, SiteStatus
from parity.sandbox.varnish import wordpress_vcl

__all__ = [
    "APT_PACKAGES",
    "DEFAULT_STATE_DIR",
    "INSTALL_COMMAND",
    "PORT_OPTIONS",
    "SITES",
    "ProcessStatus",
    "Sandbox",
    "SandboxPorts",
    "SandboxStatus",
    "SiteStatus",
    "Tools",
    "find_tools",
    "wordpress_vcl",
]
