"""Deploy markers and maintenance windows: what ``parity deploy mark``, ``parity
maintenance`` and the API's writes do, and the drift of an environment since its marker.

Example::

    marker = mark_deploy(settings, store, "staging", version="1.4.2", note=None, source="cli")
    window = open_maintenance(store, "staging", 900, reason="refresh", source="cli")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from parity.config import Settings
from parity.drift.diff import DiffRules, compare
from parity.drift.live import capture_live as capture_now
from parity.drift.model import Snapshot
from parity.drift.settings import drift_settings
from parity.drift.storage import load_snapshot, save_snapshot
from parity.errors import InputError
from parity.monitor.records import DeployMarker, MaintenanceWindow, MonitorRecords
from parity.refresh.settings import refresh_settings
from parity.store import Store
from parity.store.clock import utc_now

__all__ = [
    "Capture",
    "capture_live",
    "drift_since",
    "maintenance_while",
    "mark_deploy",
    "open_maintenance",
]
#: Captures an environment now (``parity.drift.live.capture_live`` by default).
Capture = Callable[[Settings, str], Snapshot]

#: The longest maintenance window one command opens.
MAX_MAINTENANCE_S = 7 * 86400.0


def capture_live(settings: Settings, environment: str) -> Snapshot:
    """A snapshot of ``environment`` captured now (database and site), not stored."""
    return capture_now(settings, environment)


def mark_deploy(
    settings: Settings,
    store: Store,
    environment: str,
    *,
    version: str | None,
    note: str | None,
    source: str,
    capture: Capture = capture_live,
    now: datetime | None = None,
) -> DeployMarker:
    """Capture a drift snapshot of ``environment``, store it, and record the marker."""
    settings.environment(environment)  # ConfigError naming the known ones
    snapshot = save_snapshot(store, capture(settings, environment))
    return MonitorRecords(store).add_marker(
        environment,
        now or utc_now(),
        version=version,
        note=note,
        snapshot_id=snapshot.id,
        source=source,
    )


def open_maintenance(
    store: Store,
    environment: str,
    duration_s: float,
    *,
    reason: str,
    source: str,
    now: datetime | None = None,
) -> MaintenanceWindow:
    """A maintenance window on ``environment`` from now for ``duration_s`` seconds."""
    if not 0 < duration_s <= MAX_MAINTENANCE_S:
        raise InputError(
            f"a maintenance window lasts more than 0 s and at most 7 days (got {duration_s:g} s)"
        )
    start = now or utc_now()
    return MonitorRecords(store).open_window(
        environment, start, start + timedelta(seconds=duration_s), reason, source
    )


def drift_since(
    settings: Settings, store: Store, marker: DeployMarker, capture: Capture = capture_live
) -> list[dict[str, Any]]:
    """The drift findings of ``marker``'s environment now against its marker snapshot."""
    if marker.snapshot_id is None:
        raise InputError(f"deploy #{marker.id} has no snapshot to compare with")
    before = load_snapshot(store, marker.snapshot_id)
    now = capture(settings, marker.environment)
    rules = DiffRules.from_section(
        drift_settings(settings),
        extra_masked_options=refresh_settings(settings).preserve_options,
    )
    report = compare(before, now, rules, a_label=f"deploy #{marker.id}", b_origin="live")
    return [dict(f.as_dict()) for f in report.findings]


#: The longest a maintenance window opened for a running command stays open if the
#: command dies without closing it (a refresh of a large site takes well under this).
COMMAND_WINDOW_S = 6 * 3600.0


@contextmanager
def maintenance_while(
    store: Store, environment: str, *, reason: str, source: str
) -> Iterator[MaintenanceWindow]:
    """A maintenance window on ``environment`` for as long as the ``with`` block runs.

    ``parity refresh`` opens one on its target: checks keep running and are shown as
    maintenance, and no alert is sent. The window is closed when the block ends, however
    it ends; a process killed inside it leaves a window that lapses by itself after
    ``COMMAND_WINDOW_S``.
    """
    window = open_maintenance(store, environment, COMMAND_WINDOW_S, reason=reason, source=source)
    try:
        yield window
    finally:
        MonitorRecords(store).close_window(window.id, utc_now())
