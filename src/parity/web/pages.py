"""Server-rendered HTML: the dashboard (four answers per environment) and a page per
check. Every value is HTML-escaped; nothing secret is ever passed in."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from parity.jobs.presence import WorkersReport
from parity.monitor.answers import QUESTIONS
from parity.monitor.records import AlertRow, DeployMarker, MaintenanceWindow, ProbeResult
from parity.monitor.rollup import Rollup
from parity.monitor.status import StatusReport
from parity.web.svg import sparkline

__all__ = ["check_page", "dashboard_page"]

_TITLES = {
    "up": "Is it up?",
    "slow": "Is it slow?",
    "jobs": "Are jobs failing?",
    "deploy": "Did the last deployment change anything?",
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.6rem}
.answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.6rem}
.answer{border-radius:.4rem;padding:.6rem .8rem;border:1px solid #ccc;background:#fff}
.answer h3{margin:0 0 .3rem;font-size:.95rem}
.level{font-weight:700;text-transform:uppercase;font-size:.8rem;padding:.1rem .4rem;
border-radius:.3rem}
.green{border-left:.5rem solid #1a7f37}.green .level{background:#dafbe1;color:#116329}
.amber{border-left:.5rem solid #bf8700}.amber .level{background:#fff8c5;color:#7d4e00}
.red{border-left:.5rem solid #cf222e}.red .level{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;margin-top:.6rem;background:#fff}
td,th{border-bottom:1px solid #e5e5e5;padding:.3rem .6rem;text-align:left;font-size:.9rem}
.spark{color:#0969da;vertical-align:middle}.ok{color:#116329}.bad{color:#a40e26}
.muted{color:#666;font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        # An empty inline icon: no request for /favicon.ico, no 404 in the console.
        "<link rel=icon href='data:,'>"
        f"<meta name=viewport content='width=device-width'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _when(text: str | None) -> str:
    return escape(text[:19].replace("T", " ") + " UTC") if text else "never"


def dashboard_page(
    report: StatusReport,
    markers: Sequence[DeployMarker],
    windows: Sequence[MaintenanceWindow],
    workers: WorkersReport | None = None,
) -> str:
    """The one-screen dashboard (with the workers, when there is a broker or a worker)."""
    parts = [
        "<h1>parity: production checks</h1>",
        f"<p class=muted>as of {_when(report.generated_at.isoformat())}; refresh the page"
        " for news</p>",
    ]
    for env in report.environments:
        data = env.as_dict()
        name = escape(env.environment)
        parts.append(f'<section id="env-{name}" data-environment="{name}"><h2>{name}</h2>')
        if data["maintenance_until"]:
            parts.append(f"<p><b>maintenance</b> until {_when(data['maintenance_until'])}</p>")
        parts.append('<div class="answers">')
        for question in QUESTIONS:
            answer = data["answers"][question]
            parts.append(
                f'<div class="answer {answer["level"]}" data-question="{question}"'
                f' data-level="{answer["level"]}"><h3>{_TITLES[question]}'
                f' <span class="level">{answer["level"]}</span></h3>'
                f'<div class="reason">{escape(answer["reason"])}</div></div>'
            )
        parts.append(
            "</div><table><tr><th>check</th><th>route</th><th>state</th>"
            "<th>latency (last probes)</th><th>why</th></tr>"
        )
        for check in data["checks"]:
            state = "slow" if check["slow"] else check["health"]
            css = "ok" if state == "up" else "bad"
            link = f"/checks/{escape(env.environment)}/{escape(check['name'])}"
            label = f"{check['name']} latency in ms"
            parts.append(
                f'<tr><td><a href="{link}">{escape(check["name"])}</a></td>'
                f"<td>{escape(check['route'])}</td><td class={css}>{escape(state)}</td>"
                f"<td>{sparkline(check['recent_ms'], label=label)}</td>"
                f"<td>{escape(check['reason'])}</td></tr>"
            )
        parts.append("</table>")
        timeline = _timeline(
            [m for m in markers if m.environment == env.environment],
            [w for w in windows if w.environment == env.environment],
        )
        parts.append(timeline + "</section>")
    if workers is not None and (workers.broker_configured or workers.workers):
        parts.append(_workers(workers))
    return _page("parity dashboard", "".join(parts))


def _workers(report: WorkersReport) -> str:
    """Who is up, what they run, what waits (``/api/workers`` in a table)."""
    queue = report.queue
    if queue is None:
        waiting = "no broker configured"
    elif queue.error is not None:
        waiting = escape(queue.error)
    else:
        waiting = f"{queue.waiting} waiting, {queue.delivered} delivered and not yet acknowledged"
    parts = [
        '<section id="workers"><h2>Workers</h2>',
        f'<p><span data-workers-up="{len(report.workers)}">{len(report.workers)} up</span>;'
        f' batches of open runs: <span data-batches-queued="{report.in_progress.queued}">'
        f"{report.in_progress.queued} queued</span>, {len(report.in_progress.running)} running;"
        f' queue: <span data-queue="{escape(waiting)}">{waiting}</span></p>',
    ]
    if report.workers:
        parts.append("<table><tr><th>worker</th><th>processes</th><th>seen</th></tr>")
        for worker in report.workers:
            parts.append(
                f'<tr data-worker="{escape(worker.name)}"><td>{escape(worker.name)}</td>'
                f"<td>{worker.concurrency or '?'}</td>"
                f"<td>{_when(worker.seen_at.isoformat())}</td></tr>"
            )
        parts.append("</table>")
    if report.in_progress.running:
        parts.append("<table><tr><th>run</th><th>job</th><th>batch</th><th>worker</th></tr>")
        for batch in report.in_progress.running:
            parts.append(
                f"<tr><td>#{batch.run_id}</td><td>{escape(batch.job)}</td>"
                f"<td>{batch.number}</td><td>{escape(batch.worker)}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts) + "</section>"


def _timeline(markers: Sequence[DeployMarker], windows: Sequence[MaintenanceWindow]) -> str:
    events: list[tuple[str, str]] = []
    for m in markers:
        what = f"deploy #{m.id}" + (f" {m.version}" if m.version else "")
        events.append((m.at.isoformat(), what + (f": {m.note}" if m.note else "")))
    for w in windows:
        events.append(
            (
                w.starts_at.isoformat(),
                f"{w.reason} maintenance until {_when(w.ends_at.isoformat())}",
            )
        )
    if not events:
        return "<p class=muted>timeline: no deploy or maintenance yet</p>"
    rows = "".join(
        f"<li>{_when(at)}: {escape(text)}</li>" for at, text in sorted(events, reverse=True)[:8]
    )
    return f"<p class=muted>timeline</p><ul class=timeline>{rows}</ul>"


def check_page(
    key: str,
    route: str,
    results: Sequence[ProbeResult],
    rollups: Sequence[Rollup],
    alerts: Sequence[AlertRow],
    detail: dict[str, Any],
) -> str:
    """One check: its state, per-condition history, rollups and alerts."""
    parts = [
        '<p><a href="/">&larr; dashboard</a></p>',
        f"<h1>{escape(key)} <span class=muted>{escape(route)}</span></h1>",
        f"<p>state: <b>{escape(str(detail.get('health', 'unknown')))}</b>"
        f" {escape(str(detail.get('reason', '')))}</p>",
    ]
    p95 = [r.p95_ms for r in rollups if r.p95_ms is not None]
    parts.append(f"<p>p95 per bucket: {sparkline(p95, width=320, label='p95 ms per bucket')}</p>")
    parts.append(
        "<h2>Recent probes</h2><table><tr><th>at</th><th>status</th><th>ms</th>"
        "<th>cache</th><th>conditions</th></tr>"
    )
    for result in results:
        conds = "<br>".join(
            f"<span class={'ok' if c.ok else 'bad'}>{'✓' if c.ok else '✗'}"
            f" {escape(c.condition)}</span>" + ("" if c.ok else f": {escape(c.reason)}")
            for c in result.conditions
        )
        ms = f"{result.duration_s * 1000:.1f}" if result.duration_s is not None else "-"
        parts.append(
            f"<tr><td>{_when(result.at.isoformat())}</td><td>{result.http_status or '-'}</td>"
            f"<td>{ms}</td><td>{escape(result.cache_status or '-')}</td><td>{conds}</td></tr>"
        )
    parts.append("</table><h2>Alerts</h2>")
    if not alerts:
        parts.append("<p class=muted>none</p>")
    for alert in alerts:
        parts.append(
            f"<p>{_when(alert.at.isoformat())} {escape(alert.event)} to {escape(alert.webhook)}:"
            f" {escape(alert.status)} — {escape(alert.reason)}</p>"
        )
    return _page(f"parity: {key}", "".join(parts))
