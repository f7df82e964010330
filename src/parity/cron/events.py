"""WordPress's scheduled events, read from the ``cron`` option and assessed (pure).

The option is read by :func:`parity.wordpress.cron_option.decode_cron_option` (the one
reader, which drift uses too); each entry is a :class:`CronEvent`.

An event is *overdue* when its next run is more than ``grace`` seconds in the past
(WP-cron runs due events on the next page load, so a long-overdue event means cron is not
running). An event *reaches the outside world* when it sends mail or makes remote HTTP
calls: known core hooks are listed, and other hooks are judged by their names. On an
environment that is not protected, with WP-cron enabled, such events are flagged: a
staging copy of production would mail real people or call real services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from parity.wordpress.cron_option import CronEvent, args_fingerprint

__all__ = [
    "CronReport",
    "EventAssessment",
    "OutsideReach",
    "assess_events",
    "outside_reach",
]

Reach = Literal["mail", "http"]


@dataclass(frozen=True)
class OutsideReach:
    """How an event's hook reaches outside the site, and why parity thinks so."""

    kind: Reach
    reason: str


# Core hooks (and a few very common plugin hooks) known to mail or call out.
_KNOWN: dict[str, OutsideReach] = {
    "wp_version_check": OutsideReach("http", "asks api.wordpress.org for core updates"),
    "wp_update_plugins": OutsideReach("http", "asks api.wordpress.org for plugin updates"),
    "wp_update_themes": OutsideReach("http", "asks api.wordpress.org for theme updates"),
    "wp_maybe_auto_update": OutsideReach("mail", "downloads updates and mails the admin"),
    "do_pings": OutsideReach("http", "sends pingbacks, trackbacks and update pings"),
    "publish_future_post": OutsideReach("http", "publishes a post, which pings other sites"),
    "wp_site_health_scheduled_check": OutsideReach("http", "tests connections to wordpress.org"),
    "action_scheduler_run_queue": OutsideReach("mail", "runs queued actions (shop mails, hooks)"),
    "jetpack_sync_cron": OutsideReach("http", "syncs the site to WordPress.com"),
    "akismet_schedule_cron_recheck": OutsideReach("http", "sends comments to Akismet"),
}
# Hooks known to stay inside the site, although their names look otherwise.
_LOCAL = frozenset(
    {
        "wp_privacy_delete_old_export_files",
        "woocommerce_cleanup_sessions",
        "wp_https_detection",
        "delete_expired_transients",
        "wp_scheduled_delete",
        "wp_scheduled_auto_draft_delete",
        "wp_update_user_counts",
        "wp_delete_temp_updater_backups",
        "recovery_mode_clean_expired_keys",
        "importer_scheduled_cleanup",
        "upgrader_scheduled_cleanup",
        "akismet_scheduled_delete",
    }
)
_MAIL_WORDS = re.compile(r"mail|newsletter|notif|digest|subscri|smtp|reminder")
_HTTP_WORDS = re.compile(
    r"ping|http|remote|api|webhook|sync|fetch|feed|update_check|push|slack|zapier|"
    r"mailchimp|stripe|paypal|jetpack|crm|export_to|backup_to|cdn"
)


def outside_reach(hook: str) -> OutsideReach | None:
    """Whether running ``hook`` would send mail or call a remote service.

    >>> outside_reach("wp_version_check").kind
    'http'
    >>> outside_reach("shop_send_order_emails").reason
    "its name mentions 'mail'"
    >>> outside_reach("wp_scheduled_delete") is None
    True
    """
    if hook in _LOCAL:
        return None
    known = _KNOWN.get(hook)
    if known is not None:
        return known
    lowered = hook.lower()
    if match := _MAIL_WORDS.search(lowered):
        return OutsideReach("mail", f"its name mentions {match.group()!r}")
    if match := _HTTP_WORDS.search(lowered):
        return OutsideReach("http", f"its name mentions {match.group()!r}")
    return None


@dataclass(frozen=True)
class EventAssessment:
    """One event with what parity found about it."""

    event: CronEvent
    overdue: bool
    seconds_until: int  # negative when in the past
    reach: OutsideReach | None
    flag: str | None  # why it needs attention on this environment, if it does

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "hook": self.event.hook,
            "next_run": self.event.next_run.isoformat(),
            "seconds_until": self.seconds_until,
            "schedule": self.event.schedule or "once",
            "interval_s": self.event.interval,
            # Arguments can hold addresses or tokens: only their fingerprint is shown.
            "args_hash": args_fingerprint(self.event.args),
            "overdue": self.overdue,
            "reaches_outside": None
            if self.reach is None
            else {"kind": self.reach.kind, "reason": self.reach.reason},
            "flag": self.flag,
        }


@dataclass(frozen=True)
class CronReport:
    """The events of one environment and the verdict."""

    environment: str
    protected: bool
    wp_cron_enabled: bool | None  # None: could not tell
    http_blocked: bool | None  # WP_HTTP_BLOCK_EXTERNAL
    events: list[EventAssessment]

    @property
    def overdue(self) -> list[EventAssessment]:
        """The overdue events."""
        return [e for e in self.events if e.overdue]

    @property
    def flagged(self) -> list[EventAssessment]:
        """Events that would reach the outside world from this environment."""
        return [e for e in self.events if e.flag]

    @property
    def ok(self) -> bool:
        """Nothing overdue and nothing flagged."""
        return not self.overdue and not self.flagged

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the stable shape of ``parity cron --format json``)."""
        return {
            "ok": self.ok,
            "environment": self.environment,
            "protected": self.protected,
            "wp_cron_enabled": self.wp_cron_enabled,
            "http_blocked": self.http_blocked,
            "counts": {
                "events": len(self.events),
                "overdue": len(self.overdue),
                "flagged": len(self.flagged),
            },
            "events": [event.as_dict() for event in self.events],
        }


def assess_events(
    environment: str,
    events: list[CronEvent],
    *,
    now: datetime,
    grace_s: int,
    protected: bool,
    wp_cron_enabled: bool | None,
    http_blocked: bool | None,
) -> CronReport:
    """Mark overdue events, and flag outside-reaching ones on unprotected environments."""
    assessed = []
    moment = int(now.timestamp())
    for event in events:
        reach = outside_reach(event.hook)
        flag = None
        if reach is not None and not protected and wp_cron_enabled is not False:
            if reach.kind == "http" and http_blocked:
                flag = None  # WP_HTTP_BLOCK_EXTERNAL stops the request
            else:
                state = "enabled" if wp_cron_enabled else "possibly enabled"
                verb = "send mail" if reach.kind == "mail" else "call remote services"
                flag = f"would {verb} from {environment} (WP-cron {state}): {reach.reason}"
        assessed.append(
            EventAssessment(
                event=event,
                overdue=event.timestamp + grace_s < moment,
                seconds_until=event.timestamp - moment,
                reach=reach,
                flag=flag,
            )
        )
    return CronReport(environment, protected, wp_cron_enabled, http_blocked, assessed)
