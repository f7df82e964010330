"""WordPress's scheduled events (the ``cron`` option) by hook, schedule and arguments.

The option is read by :func:`parity.wordpress.cron_option.decode_cron_option`, the
reader ``parity cron`` uses, and arguments are identified by the same fingerprint
(:func:`~parity.wordpress.cron_option.args_fingerprint`, 12 hex digits; none when an
event has no arguments). Timestamps are left out of the comparison (they always differ
between environments); what is kept is which events exist, how many of each, and how many
are overdue. Pure code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from parity.drift.model import CronInfo
from parity.wordpress.cron_option import (
    CronEvent,
    CronOptionError,
    args_fingerprint,
    decode_cron_option,
)

__all__ = ["cron_key", "read_cron", "shape_cron"]


def cron_key(hook: str, schedule: str, args_hash: str | None) -> str:
    """The key of an event group, e.g. ``wp_version_check [twicedaily]`` (no arguments)
    or ``shop_send_order_emails [single] b86b1ea11b28``."""
    key = f"{hook} [{schedule}]"
    return f"{key} {args_hash}" if args_hash else key


def shape_cron(
    events: Sequence[CronEvent], now: datetime, overdue_after_s: int
) -> dict[str, CronInfo]:
    """Group ``events``; count those overdue at ``now``.

    An event is overdue when its next run is more than ``overdue_after_s`` in the past.
    """
    groups: dict[str, CronInfo] = {}
    deadline = now.timestamp() - overdue_after_s
    for event in events:
        name = event.schedule or "single"
        args_hash = args_fingerprint(event.args)
        key = cron_key(event.hook, name, args_hash)
        late = 1 if event.timestamp < deadline else 0
        known = groups.get(key)
        if known is None:
            groups[key] = CronInfo(
                hook=event.hook, schedule=name, args_hash=args_hash, count=1, overdue=late
            )
        else:
            groups[key] = known.model_copy(
                update={"count": known.count + 1, "overdue": known.overdue + late}
            )
    return dict(sorted(groups.items()))


def read_cron(
    raw: str | None, now: datetime, overdue_after_s: int
) -> tuple[dict[str, CronInfo], str | None]:
    """The grouped events of a ``cron`` option value, and a note when it cannot be read."""
    if not raw:
        return {}, None
    try:
        events = decode_cron_option(raw)
    except CronOptionError as exc:
        return {}, f"cron events left out: {exc}"
    return shape_cron(events, now, overdue_after_s), None
