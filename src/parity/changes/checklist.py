"""The runbook's checklist for one change, each item backed by the evidence parity kept.

Pure code: it reads a ``ChangeRecord`` and its kept checks. The items, in order:

============================  =============================================================
``baseline``                  the baseline written down: routes, modes, samples, snapshot
``cache-headers``             the cache headers seen, anonymous and logged-in, per route
``logged-in``                 logged-in traffic measured (a session through wp-login.php)
``purge``                     only the change's routes purged; the control stayed cached
``response-time``             before and after, per route and mode, with parity's verdict
``one-variable``              drift since the baseline names at most one changed thing
``rollback``                  the rollback command, ready; what it did when it was run
============================  =============================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parity.changes.model import ChangeCheck, ChangeRecord, CheckKind

__all__ = ["CHECKLIST", "ChecklistItem", "checklist"]

#: (key, what the runbook asks) of every item, in order.
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("baseline", "Baseline written down before the change"),
    ("cache-headers", "Cache headers inspected (anonymous and logged-in)"),
    ("logged-in", "Logged-in traffic tested"),
    ("purge", "Only the affected routes purged"),
    ("response-time", "Response time measured before and after"),
    ("one-variable", "One variable changed at a time"),
    ("rollback", "Rollback command ready"),
)


@dataclass(frozen=True)
class ChecklistItem:
    """One item: what the runbook asks, whether it was done, and the evidence."""

    key: str
    title: str
    done: bool
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"item": self.key, "title": self.title, "done": self.done, "evidence": self.evidence}


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def headers_text(seen: Mapping[str, Any] | None) -> str:
    """``HTTP 200, X-Cache: MISS, Age: 0, Cache-Control: max-age=300`` (what was seen)."""
    if not seen:
        return "not seen"
    parts = [f"HTTP {seen.get('http_status')}"]
    for key, label in (("x_cache", "X-Cache"), ("age", "Age"), ("cache_control", "Cache-Control")):
        if seen.get(key) is not None:
            parts.append(f"{label}: {seen[key]}")
    if seen.get("cache_status") and not seen.get("x_cache"):
        parts.append(f"cache {seen['cache_status']}")
    return ", ".join(parts)


def _latest(checks: Sequence[ChangeCheck], kind: CheckKind) -> ChangeCheck | None:
    found = [c for c in checks if c.kind is kind]
    return found[-1] if found else None


def _baseline(record: ChangeRecord) -> ChecklistItem:
    base = record.baseline
    text = (
        f"recorded {base.get('taken_at')} by {record.owner}: {', '.join(record.routes)} in"
        f" {', '.join(record.modes)} mode ({record.samples} samples each);"
        f" drift snapshot #{base.get('snapshot_id')}; expected: {' and '.join(record.expect)}"
    )
    if base.get("query"):
        q = base["query"]
        text += f"; query examined {q.get('rows_examined')} rows in {_ms(q.get('duration_s'))}"
    if base.get("command"):
        text += f"; command exited {base['command'].get('exit_code')}"
    return ChecklistItem("baseline", CHECKLIST[0][1], True, text)


def _headers(record: ChangeRecord) -> ChecklistItem:
    seen = record.baseline.get("headers") or []
    parts = []
    both = bool(seen)
    for item in seen:
        logged = item.get("logged_in")
        both = both and logged is not None
        parts.append(
            f"{item['route']}: anonymous {headers_text(item.get('anonymous'))};"
            f" logged-in {headers_text(logged) if logged else 'not checked (no login)'}"
        )
    return ChecklistItem("cache-headers", CHECKLIST[1][1], both, "; ".join(parts) or "none seen")


def _measurement_text(m: Mapping[str, Any]) -> str:
    mix = ", ".join(f"{n} {status}" for status, n in sorted((m.get("cache_mix") or {}).items()))
    return f"median {_ms(m.get('median_s'))} over {m.get('n')} samples ({mix})"


def _logged_in(record: ChangeRecord, check: ChangeCheck | None) -> ChecklistItem:
    title = CHECKLIST[2][1]
    if "logged-in" not in record.modes:
        return ChecklistItem(
            "logged-in", title, False, f"not tested: {record.environment} has no login"
        )
    parts = [
        f"{m['route']} baseline {_measurement_text(m)}"
        for m in record.baseline.get("measurements", [])
        if m.get("mode") == "logged-in"
    ]
    if check is not None:
        parts += [
            f"{m['route']} after {_measurement_text(m)}"
            for m in check.body.get("measurements", [])
            if m.get("mode") == "logged-in"
        ]
    return ChecklistItem("logged-in", title, bool(parts), "; ".join(parts))


def _purge(record: ChangeRecord, check: ChangeCheck | None) -> ChecklistItem:
    title = CHECKLIST[3][1]
    if check is None:
        return ChecklistItem("purge", title, False, "no check yet: `parity change check` purges")
    purge = check.body.get("purge")
    if not purge:
        return ChecklistItem("purge", title, False, f"{record.environment} has no cache to purge")
    parts = [f"purged {r['route']}: {r['detail']}" for r in purge.get("routes", [])]
    control = purge.get("control")
    if control:
        parts.append(f"control {control['route']} not purged: {control['detail']}")
    return ChecklistItem("purge", title, bool(purge.get("ok")), "; ".join(parts))


def comparison_text(c: Mapping[str, Any]) -> str:
    """``/r cold: 312.0 ms -> 15.2 ms, faster (ratio 0.049, p = 0.00018)``."""
    a, b = c.get("a") or {}, c.get("b") or {}
    text = f"{c['route']} {c['mode']}: {_ms(a.get('median'))} -> {_ms(b.get('median'))}, "
    if c.get("verdict") == "refused":
        return text + str(c.get("message"))
    text += str(c.get("verdict"))
    if c.get("median_ratio") is not None and c.get("p_value") is not None:
        text += f" (ratio {c['median_ratio']:.3f}, p = {c['p_value']:.3g})"
    return text


def _response_time(check: ChangeCheck | None) -> ChecklistItem:
    title = CHECKLIST[4][1]
    if check is None:
        return ChecklistItem("response-time", title, False, "baseline only: no check yet")
    comparisons = check.body.get("comparisons", [])
    text = "; ".join(comparison_text(c) for c in comparisons)
    return ChecklistItem("response-time", title, bool(comparisons), text or "nothing compared")


def _one_variable(check: ChangeCheck | None) -> ChecklistItem:
    title = CHECKLIST[5][1]
    if check is None:
        return ChecklistItem("one-variable", title, False, "no check yet")
    things = check.body.get("drift", {}).get("things", [])
    if not things:
        text = "drift since the baseline found nothing it watches changed (code outside it may)"
    elif len(things) == 1:
        text = f"one thing changed since the baseline: {things[0]}"
    else:
        text = f"{len(things)} things changed since the baseline: {'; '.join(things)}"
    return ChecklistItem("one-variable", title, len(things) <= 1, text)


def _rollback(record: ChangeRecord, rollback: ChangeCheck | None) -> ChecklistItem:
    text = f"`{record.rollback_command}`"
    if rollback is not None:
        ran = rollback.body.get("rollback") or {}
        text += f"; run {rollback.as_dict()['at']}, exit {ran.get('exit_code')}: {rollback.message}"
    return ChecklistItem("rollback", CHECKLIST[6][1], bool(record.rollback_command), text)


def checklist(record: ChangeRecord, checks: Sequence[ChangeCheck]) -> list[ChecklistItem]:
    """Every item of ``CHECKLIST`` for ``record``, from its baseline and latest checks."""
    check = _latest(checks, CheckKind.check)
    return [
        _baseline(record),
        _headers(record),
        _logged_in(record, check),
        _purge(record, check),
        _response_time(check),
        _one_variable(check),
        _rollback(record, _latest(checks, CheckKind.rollback)),
    ]
