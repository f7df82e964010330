"""The four questions, answered per environment in green, amber or red with the reason in
words (pure): is it up, is it slow, are jobs failing, did the last deployment change
anything. The dashboard, ``/api/status`` and ``parity status`` all show these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from parity.monitor.job_health import JobProblem
from parity.monitor.latency import DeployVerdict, SlowVerdict
from parity.monitor.state import CheckState

__all__ = [
    "QUESTIONS",
    "Answer",
    "CheckView",
    "DeployView",
    "Level",
    "deploy_answer",
    "jobs_answer",
    "slow_answer",
    "up_answer",
    "worst",
]

Level = Literal["green", "amber", "red"]
Question = Literal["up", "slow", "jobs", "deploy"]
#: The questions, in the order they are shown.
QUESTIONS: tuple[Question, ...] = ("up", "slow", "jobs", "deploy")
_RANK = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class Answer:
    """One question's answer for one environment."""

    question: Question
    level: Level
    reason: str
    items: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "question": self.question,
            "level": self.level,
            "reason": self.reason,
            "items": self.items,
        }


def worst(levels: Sequence[Level]) -> Level:
    """The most serious of ``levels`` (green when there are none)."""
    return max(levels, key=lambda lv: _RANK[lv], default="green")


@dataclass(frozen=True)
class CheckView:
    """What the answers need to know of one check."""

    key: str
    name: str
    route: str
    state: CheckState
    slow_state: CheckState
    slow: SlowVerdict | None = None


def _names(views: Sequence[CheckView], limit: int = 4) -> str:
    parts = [f"{v.name} ({v.state.reason})" if v.state.reason else v.name for v in views[:limit]]
    more = len(views) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def up_answer(checks: Sequence[CheckView], maintenance_until: datetime | None = None) -> Answer:
    """Red when a check is down (named, with the failing condition), amber before the
    first probes and during maintenance, else green."""
    down = [c for c in checks if c.state.health == "down"]
    unknown = [c for c in checks if c.state.health == "unknown"]
    wobbling = [c for c in checks if c.state.health == "up" and c.state.failures]
    items = [{"check": c.key, "health": c.state.health, "reason": c.state.reason} for c in checks]
    if maintenance_until is not None:
        tail = f"; {len(down)} of {len(checks)} checks down" if down else ""
        return Answer(
            "up",
            "amber",
            f"maintenance until {maintenance_until:%Y-%m-%d %H:%M} UTC: checks run, no alerts"
            + tail,
            items,
        )
    if down:
        return Answer("up", "red", f"down: {_names(down)}", items)
    if not checks:
        return Answer("up", "amber", "no checks configured", items)
    if len(unknown) == len(checks):
        return Answer("up", "amber", "waiting for the first probes", items)
    reason = f"up: {len(checks) - len(unknown)} of {len(checks)} checks passing"
    if wobbling:
        reason += f" (failed its last probe, not yet down: {_names(wobbling)})"
    return Answer("up", "green", reason, items)


def slow_answer(checks: Sequence[CheckView]) -> Answer:
    """Red when a route has been slow for the failure threshold (named, with why)."""
    items = [
        {
            "check": c.key,
            "route": c.route,
            "slow": c.slow_state.health == "down",
            "verdict": c.slow.as_dict() if c.slow else None,
        }
        for c in checks
    ]
    slow = [c for c in checks if c.slow_state.health == "down"]
    if slow:
        named = "; ".join(
            f"{c.name} {c.route} ({c.slow_state.reason or (c.slow.reason if c.slow else '')})"
            for c in slow
        )
        return Answer("slow", "red", f"slow: {named}", items)
    judged = [c for c in checks if c.slow is not None and c.slow.state != "not enough data"]
    if not judged:
        return Answer("slow", "amber", "not enough data yet to judge latency", items)
    return Answer(
        "slow", "green", f"not slow: {len(judged)} routes within their SLO and baseline", items
    )


def jobs_answer(problems: Sequence[JobProblem], jobs_known: int) -> Answer:
    """Red when a job is failing (with owner, expected result and rollback note)."""
    items = [p.as_dict() for p in problems]
    failing = [p for p in problems if p.severity == "error"]
    warned = [p for p in problems if p.severity == "warn"]
    if failing:
        first = failing[0]
        more = f"; and {len(failing) - 1} more" if len(failing) > 1 else ""
        return Answer(
            "jobs",
            "red",
            f"jobs failing: {first.job}: {first.problem} (owner: {first.owner}; expected:"
            f" {first.expected}; rollback: {first.rollback_note}){more}",
            items,
        )
    if warned:
        return Answer(
            "jobs", "amber", "; ".join(f"{p.job}: {p.problem}" for p in warned[:3]), items
        )
    if not jobs_known:
        return Answer("jobs", "green", "no jobs have run or are declared", items)
    return Answer("jobs", "green", f"no job failing ({jobs_known} jobs)", items)


@dataclass(frozen=True)
class DeployView:
    """The last deploy marker of an environment and what changed since."""

    marker_id: int
    at: datetime
    version: str | None
    note: str | None
    findings: list[dict[str, Any]]
    drift_checked_at: datetime | None
    drift_error: str | None
    routes: dict[str, DeployVerdict]


def deploy_answer(view: DeployView | None) -> Answer:
    """Red when a route got slower or drift has an error finding since the marker;
    amber when drift found something; green when nothing changed."""
    if view is None:
        return Answer("deploy", "green", "no deployment marked yet")
    label = f"deploy #{view.marker_id}" + (f" ({view.version})" if view.version else "")
    slower = [route for route, v in view.routes.items() if v.change == "slower"]
    faster = [route for route, v in view.routes.items() if v.change == "faster"]
    waiting = [route for route, v in view.routes.items() if v.change == "not enough data yet"]
    items: list[dict[str, Any]] = [
        {"route": route, **v.as_dict()} for route, v in sorted(view.routes.items())
    ]
    parts = []
    if view.findings:
        keys = ", ".join(f"{f['category']} {f['key']}" for f in view.findings[:3])
        more = f" and {len(view.findings) - 3} more" if len(view.findings) > 3 else ""
        parts.append(f"drift since the marker: {keys}{more}")
    elif view.drift_error:
        parts.append(f"drift not checked: {view.drift_error}")
    elif view.drift_checked_at is None:
        parts.append("drift not checked yet")
    else:
        parts.append("no drift since the marker")
    if slower:
        parts.append("slower: " + ", ".join(slower))
    if faster:
        parts.append("faster: " + ", ".join(faster))
    if waiting and not slower and not faster:
        parts.append(f"latency: not enough data yet for {len(waiting)} routes")
    level: Level = "green"
    if view.findings:
        level = "amber"
    if slower or any(f.get("severity") == "error" for f in view.findings):
        level = "red"
    return Answer("deploy", level, f"{label}: " + "; ".join(parts), items)
