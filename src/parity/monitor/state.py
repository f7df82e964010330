"""Up or down, with thresholds so one blip is not an alert (pure).

A check starts ``unknown``. Its first good probe makes it ``up``; ``failure_threshold``
failed probes in a row make it ``down``; from down, ``success_threshold`` good probes in
a row make it ``up`` again. The same machine, fed "was it slow?", keeps slowness from
flapping.

Alerts follow the state, not the probes: a failure alert is due when the check is down and
none was sent yet, a resolve alert when it is up again after one was sent. In maintenance
nothing is due; what is still true when it ends is sent then.

    >>> s = CheckState()
    >>> for ok in (True, False, False, False):
    ...     s = advance(s, ok, reason="status was 500", failure_threshold=3, success_threshold=2)
    >>> s.health, alert_due(s, in_maintenance=False)
    ('down', 'failure')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

__all__ = ["AlertEvent", "CheckState", "Health", "advance", "alert_due", "mark_alerted"]

Health = Literal["unknown", "up", "down"]
AlertEvent = Literal["failure", "resolve"]


@dataclass(frozen=True)
class CheckState:
    """Where one check (or its slowness) stands, and the streak that got it there."""

    health: Health = "unknown"
    failures: int = 0
    successes: int = 0
    since: datetime | None = None
    reason: str = ""
    alerted: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "health": self.health,
            "failures": self.failures,
            "successes": self.successes,
            "since": self.since.isoformat() if self.since else None,
            "reason": self.reason,
            "alerted": self.alerted,
        }


def advance(
    state: CheckState,
    ok: bool,
    *,
    reason: str = "",
    at: datetime | None = None,
    failure_threshold: int = 3,
    success_threshold: int = 2,
) -> CheckState:
    """The state after one more probe (``ok`` or not; ``reason`` says why not)."""
    if ok:
        successes, failures = state.successes + 1, 0
        health = state.health
        if health == "unknown" or (health == "down" and successes >= success_threshold):
            health = "up"
    else:
        successes, failures = 0, state.failures + 1
        health = state.health
        if health != "down" and failures >= failure_threshold:
            health = "down"
    since = at if health != state.health else state.since
    kept_reason = reason if not ok else ("" if health == "up" else state.reason)
    return replace(
        state,
        health=health,
        failures=failures,
        successes=successes,
        since=since,
        reason=kept_reason,
    )


def alert_due(state: CheckState, *, in_maintenance: bool) -> AlertEvent | None:
    """The alert to send now, if any (never during maintenance)."""
    if in_maintenance:
        return None
    if state.health == "down" and not state.alerted:
        return "failure"
    if state.health == "up" and state.alerted:
        return "resolve"
    return None


def mark_alerted(state: CheckState, event: AlertEvent) -> CheckState:
    """The state once ``event`` has been queued for sending."""
    return replace(state, alerted=event == "failure")
