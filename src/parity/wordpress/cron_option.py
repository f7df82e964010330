"""WordPress's ``cron`` option, read once for every capability that needs it (pure).

The option is a PHP-serialized array: ``timestamp => hook => md5(serialize(args)) =>
{schedule, args, interval}``, plus ``"version" => 2``. Each entry becomes a
:class:`CronEvent`. ``parity cron`` assesses the events; drift groups them.

An event's arguments can hold addresses or tokens, so parity never shows them: it shows
:func:`args_fingerprint`, 12 hex digits of a SHA-256 of the arguments as JSON (the same
value in ``parity cron`` and in drift snapshots). WordPress's own md5 key is not used.

>>> events = decode_cron_option(
...     'a:2:{i:1764100000;a:1:{s:16:"wp_version_check";'
...     'a:1:{s:32:"40cd750bba9870f18aada2478b24840a";a:3:{s:8:"schedule";'
...     's:10:"twicedaily";s:4:"args";a:0:{}s:8:"interval";i:43200;}}}s:7:"version";i:2;}'
... )
>>> events[0].hook, events[0].schedule, args_fingerprint(events[0].args)
('wp_version_check', 'twicedaily', None)
>>> args_fingerprint({0: 42})
'b86b1ea11b28'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from parity.errors import MalformedPhpValue
from parity.wordpress.phpvalue import PhpValue, php_unserialize

__all__ = ["CronEvent", "CronOptionError", "args_fingerprint", "decode_cron_option"]


@dataclass(frozen=True)
class CronEvent:
    """One scheduled event."""

    hook: str
    timestamp: int
    schedule: str | None  # None: a single event
    interval: int | None
    args: PhpValue

    @property
    def next_run(self) -> datetime:
        """When it is due (UTC)."""
        return datetime.fromtimestamp(self.timestamp, UTC)


class CronOptionError(ValueError):
    """The ``cron`` option is not the structure WordPress writes."""


def decode_cron_option(value: str | bytes) -> list[CronEvent]:
    """The events of a ``cron`` option value, ordered by next run, then hook.

    Raises CronOptionError when the value is not what WordPress writes.
    """
    try:
        decoded = php_unserialize(value)
    except MalformedPhpValue as exc:
        raise CronOptionError(f"the cron option is not PHP-serialized data: {exc}") from None
    if not isinstance(decoded, dict):
        raise CronOptionError("the cron option is not an array")
    events: list[CronEvent] = []
    for timestamp, hooks in decoded.items():
        if not isinstance(timestamp, int):
            continue  # "version" => 2
        if not isinstance(hooks, dict):
            raise CronOptionError(f"the entry for {timestamp} is not an array of hooks")
        for hook, instances in hooks.items():
            if not isinstance(instances, dict):
                raise CronOptionError(f"hook {hook} at {timestamp} is not an array of events")
            for instance in instances.values():
                if not isinstance(instance, dict):
                    raise CronOptionError(f"an event of {hook} at {timestamp} is malformed")
                schedule = instance.get("schedule")
                interval = instance.get("interval")
                events.append(
                    CronEvent(
                        hook=str(hook),
                        timestamp=timestamp,
                        schedule=schedule if isinstance(schedule, str) and schedule else None,
                        interval=interval if isinstance(interval, int) else None,
                        args=instance.get("args"),
                    )
                )
    events.sort(key=lambda event: (event.timestamp, event.hook))
    return events


def args_fingerprint(args: PhpValue) -> str | None:
    """A short stable hash of an event's arguments (None when it has none)."""
    if args is None or args == {}:
        return None
    text = json.dumps(_plain(args), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _plain(value: PhpValue) -> Any:
    """PHP values as JSON-ready data (arrays with keys 0..n-1 become lists)."""
    if isinstance(value, dict):
        if list(value) == list(range(len(value))):
            return [_plain(v) for v in value.values()]
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)
