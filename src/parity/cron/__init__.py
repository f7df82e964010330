"""WordPress's own cron: the scheduled events of an environment, and what they would do.

assess_events / outside_reach (events.py)       the cron option's events, assessed
locate_wordpress / read_defines (wordpress_files.py)  a site's files and constants
cron_report (report.py)                         the service behind ``parity cron ENV``
"""

from __future__ import annotations

from parity.cron.events import (
    CronReport,
    EventAssessment,
    OutsideReach,
    assess_events,
    outside_reach,
)
from parity.cron.report import DEFAULT_GRACE_S, cron_report
from parity.cron.wordpress_files import WordPressFiles, locate_wordpress, read_defines
from parity.wordpress.cron_option import CronEvent, CronOptionError, decode_cron_option

__all__ = [
    "DEFAULT_GRACE_S",
    "CronEvent",
    "CronOptionError",
    "CronReport",
    "EventAssessment",
    "OutsideReach",
    "WordPressFiles",
    "assess_events",
    "cron_report",
    "decode_cron_option",
    "locate_wordpress",
    "outside_reach",
    "read_defines",
]
