"""WordPress's scheduled events (the ``cron`` option) by hook, schedule and arguments.

Timestamps are left out of the comparison (they always differ between environments);
what is kept is which events exist, how many of each, and how many are overdue.
Pure code.
"""

from __future__ import annotations

from datetime import datetime

from parity.drift.model import CronInfo
from parity.drift.phpvalue import PhpValue

__all__ = ["cron_key", "shape_cron"]


def cron_key(hook: str, schedule: str, args_hash: str) -> str:
    """The key of an event group, e.g. ``wp_version_check [twicedaily] 40cd750b``."""
    return f"{hook} [{schedule}] {args_hash[:8]}"


def shape_cron(value: PhpValue, now: datetime, overdue_after_s: int) -> dict[str, CronInfo]:
    """Group the events of the decoded ``cron`` option; count those overdue at ``now``.

    An event is overdue when its next run is more than ``overdue_after_s`` in the past.
    """
    events: dict[str, CronInfo] = {}
    if not isinstance(value, dict):
        return events
    deadline = now.timestamp() - overdue_after_s
    for stamp, hooks in value.items():
        if stamp == "version" or not isinstance(hooks, dict):
            continue
        try:
            when = float(stamp)
        except ValueError:
            continue
        for hook, instances in hooks.items():
            if not isinstance(instances, dict):
                continue
            for args_hash, event in instances.items():
                schedule = event.get("schedule") if isinstance(event, dict) else None
                name = schedule if isinstance(schedule, str) and schedule else "single"
                key = cron_key(hook, name, args_hash)
                late = 1 if when < deadline else 0
                known = events.get(key)
                if known is None:
                    events[key] = CronInfo(
                        hook=hook, schedule=name, args_hash=args_hash, count=1, overdue=late
                    )
                else:
                    events[key] = known.model_copy(
                        update={"count": known.count + 1, "overdue": known.overdue + late}
                    )
    return dict(sorted(events.items()))
