"""``parity cron ENV``: read an environment's scheduled events and assess them.

The events come from the ``cron`` option (read-only, so this works on production too);
whether WP-cron runs on page loads, and whether remote HTTP is blocked, come from the
site's config file when parity can find it on this machine (``DISABLE_WP_CRON``,
``WP_HTTP_BLOCK_EXTERNAL``); otherwise they are unknown and assumed the risky way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from parity.cron.events import CronReport, assess_events
from parity.cron.wordpress_files import WordPressFiles, locate_wordpress
from parity.environments import EnvironmentSettings
from parity.errors import ConfigError, InputError
from parity.targets.database import Database, quote_identifier
from parity.wordpress.cron_option import CronOptionError, decode_cron_option

__all__ = ["DEFAULT_GRACE_S", "cron_report", "read_cron_option", "wp_cron_state"]

log = logging.getLogger(__name__)

#: An event this many seconds past its time is overdue.
DEFAULT_GRACE_S = 600


def wp_cron_state(files: WordPressFiles | None) -> tuple[bool | None, bool | None]:
    """(WP-cron enabled, remote HTTP blocked) from the site's config; None when unknown."""
    if files is None:
        return None, None
    disabled = files.constant("DISABLE_WP_CRON")
    blocked = files.constant("WP_HTTP_BLOCK_EXTERNAL")
    return disabled is not True, blocked is True


def read_cron_option(env: EnvironmentSettings) -> str | None:
    """The raw ``cron`` option of ``env`` (None when the site has none)."""
    table = quote_identifier(f"{env.table_prefix}options")
    with Database.connect(env) as db:
        value = db.scalar(f"SELECT option_value FROM {table} WHERE option_name = 'cron'")
    return None if value is None else str(value)


def cron_report(
    env: EnvironmentSettings,
    *,
    now: datetime | None = None,
    grace_s: int = DEFAULT_GRACE_S,
    wp_cron_enabled: bool | None = None,
    files: WordPressFiles | None = None,
) -> CronReport:
    """The assessed scheduled events of ``env``.

    ``wp_cron_enabled`` overrides what the config file says; ``files`` is where the
    site's WordPress lives (found automatically when not given and possible).
    """
    if files is None:
        try:
            files = locate_wordpress(env)
        except ConfigError:
            log.info("WordPress files of %s not found on this machine", env.name)
    enabled, blocked = wp_cron_state(files)
    if wp_cron_enabled is not None:
        enabled = wp_cron_enabled
    raw = read_cron_option(env)
    try:
        events = decode_cron_option(raw) if raw else []
    except CronOptionError as exc:
        raise InputError(f"{env.name}: {exc}") from None
    return assess_events(
        env.name,
        events,
        now=now or datetime.now(UTC),
        grace_s=grace_s,
        protected=env.protected,
        wp_cron_enabled=enabled,
        http_blocked=blocked,
    )
