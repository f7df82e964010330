"""The change record as Markdown, ready to paste into a pull request (pure code).

text = markdown_record(record, checks)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parity.changes.checklist import checklist, comparison_text
from parity.changes.model import ChangeCheck, ChangeRecord

__all__ = ["markdown_record"]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _measurements(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| route | mode | n | median ms | p95 ms | cache | measurement |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in rows:
        mix = ", ".join(f"{n} {s}" for s, n in sorted((m.get("cache_mix") or {}).items()))
        lines.append(
            f"| `{_cell(m['route'])}` | {m['mode']} | {m.get('n')} | {_ms(m.get('median_s'))}"
            f" | {_ms(m.get('p95_s'))} | {mix} | #{m.get('measurement_id')} |"
        )
    return lines


def _query(q: Mapping[str, Any] | None) -> list[str]:
    if not q:
        return []
    return [
        f"- query: `{_cell(q['sql'])}`: rows examined {q.get('rows_examined')},"
        f" estimated {q.get('rows_estimated')}, {_ms(q.get('duration_s'))} ms",
    ]


def _command(c: Mapping[str, Any] | None, what: str = "command") -> list[str]:
    if not c:
        return []
    lines = [f"- {what}: `{_cell(c['command'])}` exited {c.get('exit_code')}"]
    tail = str(c.get("output_tail") or "").strip()
    if tail:
        lines += ["", "```text", tail, "```"]
    return lines


def _check(check: ChangeCheck) -> list[str]:
    body = check.body
    title = "Rollback" if check.kind.value == "rollback" else "Check"
    lines = [
        "",
        f"### {title} #{check.id} ({check.as_dict()['at']}): {check.message}",
        "",
    ]
    lines += _command(body.get("rollback"), "rollback command")
    for warning in body.get("warnings", []):
        lines.append(f"- **{warning['severity']}**: {_cell(warning['message'])}")
    things = body.get("drift", {}).get("things", [])
    snapshot = body.get("drift", {}).get("snapshot_id")
    lines.append(
        f"- drift since the baseline (snapshot #{snapshot}): "
        + ("; ".join(things) if things else "nothing changed that drift watches")
    )
    for result in body.get("expectations", []):
        mark = "met" if result["met"] else "NOT met"
        lines.append(f"- expect `{_cell(result['expect'])}`: {mark}: {_cell(result['detail'])}")
    for c in body.get("comparisons", []):
        lines.append(f"- {_cell(comparison_text(c))}")
    lines += _query(body.get("query"))
    lines += _command(body.get("command"))
    if body.get("measurements"):
        lines += ["", *_measurements(body["measurements"])]
    return lines


def markdown_record(record: ChangeRecord, checks: Sequence[ChangeCheck]) -> str:
    """The whole record: fields, checklist with evidence, baseline, checks, commands run."""
    latest = [c for c in checks if c.kind.value == "check"]
    verdict = latest[-1].message if latest else "not checked yet"
    lines = [
        f"## Change `{_cell(record.name)}` on {record.environment}",
        "",
        "| | |",
        "| --- | --- |",
        f"| owner | {_cell(record.owner)} |",
        f"| routes | {', '.join(f'`{_cell(r)}`' for r in record.routes)} |",
        f"| expected result | {', '.join(f'`{_cell(e)}`' for e in record.expect)} |",
        f"| rollback command | `{_cell(record.rollback_command)}` |",
        f"| status | {record.status.value} |",
        f"| opened | {record.as_dict()['opened_at']} |",
        f"| verdict | {_cell(verdict)} |",
    ]
    if record.note:
        lines.append(f"| note | {_cell(record.note)} |")
    lines += ["", "### Checklist", ""]
    for item in checklist(record, checks):
        box = "x" if item.done else " "
        lines.append(f"- [{box}] **{item.title}**: {_cell(item.evidence)}")
    base = record.baseline
    lines += ["", f"### Baseline ({base.get('taken_at')})", ""]
    lines += _measurements(base.get("measurements", []))
    lines.append("")
    lines += _query(base.get("query"))
    lines += _command(base.get("command"))
    for check in checks:
        lines += _check(check)
    lines += ["", "### Commands parity ran", ""]
    for ran in record.commands:
        lines.append(f"- {ran.get('at')} `{_cell(ran['command'])}` ({_cell(ran.get('why', ''))})")
    lines += ["", "### Assumptions", ""]
    lines += [f"- {_cell(a)}" for a in record.assumptions]
    return "\n".join(lines) + "\n"
