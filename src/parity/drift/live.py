"""The composition for the shells: open an environment's targets and capture it now.

The drift service takes open targets (:func:`parity.drift.service.capture_environment`)
and a :class:`~parity.drift.service.LiveEnvironments`; this module is what opens the
connections from the settings, for the CLI, the web app and the monitor.

Example::

    snapshot = capture_live(settings, "staging")
    live = live_environments(settings, drift_settings(settings))
"""

from __future__ import annotations

from parity.config import Settings
from parity.drift.model import Snapshot
from parity.drift.service import LiveEnvironments, capture_environment
from parity.drift.settings import DriftSection, drift_settings
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = ["capture_live", "live_environments"]


def capture_live(
    settings: Settings,
    name: str,
    *,
    exact: bool | None = None,
    section: DriftSection | None = None,
) -> Snapshot:
    """Open environment ``name``'s database and site, capture it now, close them."""
    env = settings.environment(name)
    with Database.connect(env) as db, Site(env) as site:
        return capture_environment(db, site, section or drift_settings(settings), exact=exact)


def live_environments(settings: Settings, section: DriftSection | None = None) -> LiveEnvironments:
    """The environments of ``settings``, each captured by :func:`capture_live`."""
    section = section or drift_settings(settings)

    def capture(name: str, exact: bool | None) -> Snapshot:
        return capture_live(settings, name, exact=exact, section=section)

    return LiveEnvironments(frozenset(settings.environments), capture)
