"""WordPress's own cron: the scheduled events of an environment, and what they would do.

php_serialize / php_unserialize (phpvalue.py)   PHP's serialize() format, both ways
decode_cron_option / assess_events (events.py)  the cron option as events, assessed
locate_wordpress / read_defines (wordpress_files.py)  a site's files and constants
cron_report (report.py)                         the service behind ``parity cron ENV``
"""

from __future__ import annotations

from parity.cron.events import (
    CronEvent,
    CronOptionError,
    CronReport,
    EventAssessment,
    OutsideReach,
    assess_events,
    decode_cron_option,
    outside_reach,
)
from parity.cron.phpvalue import PhpValue, PhpValueError, php_serialize, php_unserialize
from parity.cron.report import DEFAULT_GRACE_S, cron_report
from parity.cron.wordpress_files import WordPressFiles, locate_wordpress, read_defines

__all__ = [
    "DEFAULT_GRACE_S",
    "CronEvent",
    "CronOptionError",
    "CronReport",
    "EventAssessment",
    "OutsideReach",
    "PhpValue",
    "PhpValueError",
    "WordPressFiles",
    "assess_events",
    "cron_report",
    "decode_cron_option",
    "locate_wordpress",
    "outside_reach",
    "php_serialize",
    "php_unserialize",
    "read_defines",
]
