"""Webhook alerts: a JSON POST once when a check fails and once when it resolves.

Alerts are queued in the state store (``monitor_alerts``) by the check that changed state
and delivered by :class:`AlertSender` on its own schedule, so a webhook that fails or
hangs never holds up a probe. A delivery that fails is retried with exponential backoff
(1, 2, 4, ... seconds, at most ``MAX_BACKOFF_S``) up to the webhook's ``attempts``; each
attempt is held to the webhook's ``timeout_s``.

The body (documented in docs/monitor.md)::

    {"schema_version": 1, "ok": false, "event": "failure", "kind": "down",
     "environment": "staging", "check": "staging/home", "at": "...+00:00",
     "reason": "staging/home is down: status was 502, expected == 200"}

The webhook's URL is never logged or shown: it often carries a token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from parity.monitor.records import AlertRow, MonitorRecords
from parity.monitor.settings import AlertWebhook
from parity.store.clock import utc_now
from parity.targets.webhook import post_json

if TYPE_CHECKING:
    from httpx import BaseTransport

__all__ = ["MAX_BACKOFF_S", "AlertSender", "alert_body", "backoff_s", "webhooks_for"]

log = logging.getLogger(__name__)

#: The longest wait between two attempts of one alert (seconds).
MAX_BACKOFF_S = 60.0


def backoff_s(attempts_done: int) -> float:
    """Seconds to wait after ``attempts_done`` failed attempts.

    >>> [backoff_s(n) for n in (1, 2, 3, 10)]
    [1.0, 2.0, 4.0, 60.0]
    """
    return min(MAX_BACKOFF_S, 2.0 ** (attempts_done - 1))


def webhooks_for(webhooks: Sequence[AlertWebhook], environment: str) -> list[str]:
    """The names of the webhooks that take alerts of ``environment``."""
    return [w.name for w in webhooks if not w.envs or environment in w.envs]


def alert_body(alert: AlertRow) -> dict[str, Any]:
    """The JSON a webhook receives."""
    return {
        "schema_version": 1,
        "ok": alert.event == "resolve",
        "event": alert.event,
        "kind": alert.kind,
        "environment": alert.environment,
        "check": alert.check_key,
        "at": alert.at.isoformat(),
        "reason": alert.reason,
    }


class AlertSender:
    """Delivers due alerts; call :meth:`deliver_due` every second or so."""

    def __init__(
        self,
        records: MonitorRecords,
        webhooks: Sequence[AlertWebhook],
        *,
        transport: BaseTransport | None = None,
    ) -> None:
        self.records = records
        self.webhooks: Mapping[str, AlertWebhook] = {w.name: w for w in webhooks}
        self.transport = transport

    def _post(self, hook: AlertWebhook, body: dict[str, Any]) -> str | None:
        """POST ``body``; None when the webhook took it (2xx), else why not."""
        return post_json(hook.url, body, timeout_s=hook.timeout_s, transport=self.transport)

    def deliver_due(self, now: datetime | None = None) -> int:
        """Try every due alert once; returns how many were delivered."""
        now = now or utc_now()
        delivered = 0
        for alert in self.records.due_alerts(now):
            hook = self.webhooks.get(alert.webhook)
            if hook is None:
                self.records.alert_attempted(
                    alert.id, at=now, sent=False, error="webhook no longer configured"
                )
                continue
            error = self._post(hook, alert_body(alert))
            done = utc_now()
            if error is None:
                self.records.alert_attempted(alert.id, at=done, sent=True)
                delivered += 1
                continue
            attempts = alert.attempts + 1
            retry = None
            if attempts < hook.attempts:
                retry = done + timedelta(seconds=backoff_s(attempts))
            log.warning(
                "alert #%s to webhook %s failed (%s), attempt %s of %s",
                alert.id,
                hook.name,
                error,
                attempts,
                hook.attempts,
            )
            self.records.alert_attempted(alert.id, at=done, sent=False, error=error, retry_at=retry)
        return delivered
