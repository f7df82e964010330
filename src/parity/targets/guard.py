"""The write guard: the one place that refuses writes to protected environments."""

from __future__ import annotations

import logging

from parity.config import EnvironmentSettings
from parity.errors import ProtectedEnvironment

__all__ = ["ensure_writable"]

log = logging.getLogger(__name__)


def ensure_writable(env: EnvironmentSettings, action: str) -> None:
    """Raise ProtectedEnvironment when ``env`` is protected; ``action`` says what was tried.

    >>> ensure_writable(staging, "rewrite wp_options")   # returns None
    >>> ensure_writable(production, "rewrite wp_options")
    Traceback (most recent call last):
    parity.errors.ProtectedEnvironment: refused to rewrite wp_options on production: ...
    """
    if env.protected:
        log.info("refused write to protected environment %s: %s", env.name, action)
        raise ProtectedEnvironment(
            f"refused to {action} on {env.name}: it is marked protected = true",
            hint="parity never writes to a protected environment; choose another target",
        )
