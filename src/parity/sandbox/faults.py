"""Faults on purpose: make a sandbox route slow or failing, and take it back.

Monitoring, change records and measurements need a site that misbehaves on demand. A
fault is a must-use plugin, ``wp-content/mu-plugins/parity-faults.php``, written into one
sandbox site: for each listed route (the request path, exactly) it sleeps ``sleep_ms``
before WordPress answers and/or answers ``status`` at once. Must-use plugins load on
every request before any other plugin, and nothing else is changed: clearing the faults
removes the file and the site is as it was. Only a sandbox's own sites can be given
faults (the file goes into the sandbox's own wp-content).

Example::

    set_faults(sandbox, "staging", [Fault("/sample-page/", sleep_ms=200)])
    clear_faults(sandbox, "staging")

Varnish still caches the answer: a slow route is slow on a cache MISS (or for a
logged-in visitor), which is what a real slow page looks like behind a cache.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from parity.errors import InputError
from parity.sandbox.layout import SITES, Layout

__all__ = ["FAULTS_FILE", "Fault", "clear_faults", "current_faults", "set_faults"]

FAULTS_FILE = "parity-faults.php"
_MARKER = "// parity-faults: "

_PLUGIN = """<?php
/*
 * Plugin Name: parity sandbox faults
 * Description: Written by parity for tests and demos (slow or failing routes on purpose).
 * Removed by `parity sandbox fault SITE --clear`; edits are lost.
 */
{marker}{payload}
$parity_faults = json_decode({literal}, true);
$parity_uri = isset($_SERVER['REQUEST_URI']) ? $_SERVER['REQUEST_URI'] : '/';
$parity_path = parse_url($parity_uri, PHP_URL_PATH);
foreach ($parity_faults as $parity_fault) {{
    if ($parity_path !== $parity_fault['route']) {{
        continue;
    }}
    if ($parity_fault['sleep_ms'] > 0) {{
        usleep($parity_fault['sleep_ms'] * 1000);
    }}
    if ($parity_fault['status'] > 0) {{
        http_response_code($parity_fault['status']);
        header('Content-Type: text/plain; charset=utf-8');
        echo "parity sandbox fault: this route answers {{$parity_fault['status']}} on purpose\\n";
        exit;
    }}
}}
"""


@dataclass(frozen=True)
class Fault:
    """One route's misbehaviour: a delay before answering, a status answered at once."""

    route: str
    sleep_ms: int = 0
    status: int = 0

    def __post_init__(self) -> None:
        if not self.route.startswith("/") or any(c in self.route for c in "?#\n\r'\\"):
            raise InputError(
                f"fault route {self.route!r} must be a plain path starting with /",
                hint="give the request path only, e.g. /sample-page/",
            )
        if not 0 <= self.sleep_ms <= 60_000:
            raise InputError(f"--sleep-ms {self.sleep_ms} must be between 0 and 60000")
        if self.status and not 100 <= self.status <= 599:
            raise InputError(f"--status {self.status} is not an HTTP status (100-599)")
        if not self.sleep_ms and not self.status:
            raise InputError(
                f"a fault on {self.route} needs --sleep-ms or --status",
                hint="use --clear to remove faults",
            )


def _plugin_path(layout: Layout, site: str) -> Path:
    if site not in SITES:
        raise InputError(f"the sandbox has no site {site!r} (its sites: {', '.join(SITES)})")
    return layout.wp_content(site) / "mu-plugins" / FAULTS_FILE


def current_faults(layout: Layout, site: str) -> list[Fault]:
    """The faults ``site`` has now (none when the plugin file is not there)."""
    path = _plugin_path(layout, site)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        if line.startswith(_MARKER):
            return [Fault(**item) for item in json.loads(line.removeprefix(_MARKER))]
    return []


def set_faults(layout: Layout, site: str, faults: Sequence[Fault]) -> Path:
    """Give ``site`` exactly ``faults`` (replacing any it had); returns the plugin file.

    An empty list removes the plugin (see :func:`clear_faults`).
    """
    path = _plugin_path(layout, site)
    if not faults:
        clear_faults(layout, site)
        return path
    payload = json.dumps([asdict(f) for f in faults], separators=(",", ":"))
    # The JSON is embedded as a PHP single-quoted string: escape backslash and quote.
    literal = "'" + payload.replace("\\", "\\\\").replace("'", "\\'") + "'"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(_PLUGIN.format(marker=_MARKER, payload=payload, literal=literal), "utf-8")
    temporary.chmod(0o644)
    temporary.replace(path)  # PHP never reads half a file
    return path


def clear_faults(layout: Layout, site: str) -> bool:
    """Remove ``site``'s faults; True when there were any."""
    path = _plugin_path(layout, site)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    with contextlib.suppress(OSError):  # the folder the faults made, when nothing else is in it
        path.parent.rmdir()
    return True
