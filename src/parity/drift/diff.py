"""The diff engine: two snapshots in, findings out. Pure code.

Each category has its own comparer that knows what matters there (a plugin activated is
an error, a row count that moved a little is not a finding at all). Then severity
overrides and ignore rules from ``[drift]`` are applied, and masked options are skipped.

>>> report = compare(snapshot_a, snapshot_b, DiffRules())
>>> report.exit_code("warn")
0
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import JsonValue

from parity.drift.core_schema import core_schema_for
from parity.drift.cron import cron_key
from parity.drift.findings import Change, DriftReport, Finding, Origin, Side
from parity.drift.model import (
    CronInfo,
    OptionInfo,
    PluginInfo,
    RouteProbe,
    Snapshot,
    TableInfo,
    ThemeInfo,
)
from parity.drift.normalise import glob_match
from parity.drift.settings import DriftSection, Severity, parse_rule

__all__ = ["DiffRules", "compare", "value_differences"]


@dataclass(frozen=True)
class DiffRules:
    """What the comparison ignores, masks and how it grades findings."""

    ignore: Sequence[str] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    masked_options: Sequence[str] = ()
    volume_tolerance: float = 0.1
    volume_min_rows: int = 100
    autoload_limit_bytes: int = 800_000
    max_leaves_per_option: int = 25

    @classmethod
    def from_section(
        cls, section: DriftSection, *, extra_masked_options: Sequence[str] = ()
    ) -> DiffRules:
        """Rules from the ``[drift]`` section (plus options a refresh policy preserves)."""
        return cls(
            ignore=tuple(section.ignore),
            severity=dict(section.severity),
            masked_options=(*section.preserved_options, *extra_masked_options),
            volume_tolerance=section.volume_tolerance,
            volume_min_rows=section.volume_min_rows,
            autoload_limit_bytes=section.autoload_limit_bytes,
        )

    def matches(self, rule: str, finding: Finding) -> bool:
        """Whether ``"category:key-pattern"`` covers ``finding`` (or its option's root)."""
        category, pattern = parse_rule(rule)
        if category not in ("*", finding.category):
            return False
        root = finding.key.split("[", 1)[0].split(" ", 1)[0].rstrip(":")
        return glob_match(pattern, finding.key) or glob_match(pattern, root)


class _Absent:
    """Marks a side that has no such key."""


_ABSENT: Any = _Absent()


def _is(value: Any) -> bool:
    return value is not _ABSENT


def _find(
    category: str,
    key: str,
    severity: Severity,
    a: Any,
    b: Any,
    *,
    group: str = "",
    note: str = "",
) -> Finding:
    change: Change = "changed"
    if not _is(a):
        change = "added"
    elif not _is(b):
        change = "removed"
    return Finding(
        category=category,
        key=key,
        severity=severity,
        change=change,
        a=a if _is(a) else None,
        b=b if _is(b) else None,
        group=group,
        note=note,
    )


def _same(x: Any, y: Any) -> bool:
    # Strict: PHP's true and 1 are different values (Python says True == 1).
    return type(x) is type(y) and x == y


def value_differences(a: JsonValue, b: JsonValue, root: str) -> list[tuple[str, Any, Any]]:
    """The leaves where ``a`` and ``b`` differ, as ``(path, a_leaf, b_leaf)``.

    Paths look like ``root[key][0]``; a side lacking the key gives the absent marker.
    Walks with an explicit stack, so depth is not limited by recursion.

    >>> value_differences({"c": "blue", "n": 1}, {"c": "red", "n": 1}, "opt")
    [('opt[c]', 'blue', 'red')]
    """
    out: list[tuple[str, Any, Any]] = []
    work: list[tuple[str, Any, Any]] = [(root, a, b)]
    while work:
        path, x, y = work.pop()
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y), reverse=True):
                work.append((f"{path}[{key}]", x.get(key, _ABSENT), y.get(key, _ABSENT)))
        elif isinstance(x, list) and isinstance(y, list):
            for index in range(max(len(x), len(y)) - 1, -1, -1):
                left = x[index] if index < len(x) else _ABSENT
                right = y[index] if index < len(y) else _ABSENT
                work.append((f"{path}[{index}]", left, right))
        elif not _same(x, y):
            out.append((path, x, y))
    return out


# -- wordpress ------------------------------------------------------------------------


def _theme_findings(role: str, a: ThemeInfo | None, b: ThemeInfo | None) -> Iterator[Finding]:
    slug_a = a.slug if a else None
    slug_b = b.slug if b else None
    if slug_a != slug_b:
        yield _find("wordpress", role, "error", slug_a, slug_b)
    elif a and b and a.version and b.version and a.version != b.version:
        yield _find(
            "wordpress",
            f"{role} version",
            "warn",
            a.version,
            b.version,
            note=f"A from {a.source}, B from {b.source}",
        )


def _wordpress(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    wa, wb = a.wordpress, b.wordpress
    if wa.core_version and wb.core_version and wa.core_version != wb.core_version:
        yield _find(
            "wordpress",
            "core version",
            "error",
            wa.core_version,
            wb.core_version,
            note=f"A from {wa.core_version_source}, B from {wb.core_version_source}",
        )
    grades: tuple[tuple[str, Severity, Any, Any], ...] = (
        ("db_version", "error", wa.db_version, wb.db_version),
        ("multisite", "error", wa.multisite, wb.multisite),
        ("permalink structure", "error", wa.permalink_structure, wb.permalink_structure),
        ("language", "warn", wa.language, wb.language),
        ("timezone", "warn", wa.timezone, wb.timezone),
    )
    for key, severity, x, y in grades:
        if x != y:
            yield _find("wordpress", key, severity, x, y)
    yield from _theme_findings("theme", wa.theme, wb.theme)
    yield from _theme_findings("parent theme", wa.parent_theme, wb.parent_theme)


# -- plugins --------------------------------------------------------------------------


def _plugin_note(side: str, info: PluginInfo, taken: Snapshot) -> str:
    if info.source == "none":
        return f"{side}: version unknown"
    age = ""
    if info.observed_at is not None:
        seconds = max(0, int((taken.taken_at - info.observed_at).total_seconds()))
        age = f", {_age(seconds)} old"
    return f"{side}: {info.source}{age}"


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}min"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _plugins(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    for key in sorted(set(a.plugins) | set(b.plugins)):
        pa, pb = a.plugins.get(key), b.plugins.get(key)
        either = pa or pb
        group = (either.name if either else None) or ""
        if pa is None and pb is not None:
            yield _find(
                "plugins",
                key,
                "error",
                _ABSENT,
                pb.version or "(active)",
                group=group,
                note="active only on B; " + _plugin_note("B", pb, b),
            )
        elif pb is None and pa is not None:
            yield _find(
                "plugins",
                key,
                "error",
                pa.version or "(active)",
                _ABSENT,
                group=group,
                note="active only on A; " + _plugin_note("A", pa, a),
            )
        elif pa and pb and pa.version and pb.version and pa.version != pb.version:
            yield _find(
                "plugins",
                key,
                "warn",
                pa.version,
                pb.version,
                group=group,
                note=_plugin_note("A", pa, a) + "; " + _plugin_note("B", pb, b),
            )


# -- options --------------------------------------------------------------------------


def _options(a: Snapshot, b: Snapshot, rules: DiffRules) -> Iterator[Finding]:
    for name in sorted(set(a.options) | set(b.options)):
        oa, ob = a.options.get(name), b.options.get(name)
        if any(glob_match(p, name) for p in rules.masked_options):
            continue
        if (oa and oa.mask) or (ob and ob.mask):
            continue
        group = (oa or ob or OptionInfo()).owner
        if oa is None and ob is not None:
            yield _find("options", name, "warn", _ABSENT, ob.value, group=group)
            continue
        if ob is None and oa is not None:
            yield _find("options", name, "warn", oa.value, _ABSENT, group=group)
            continue
        assert oa is not None and ob is not None
        leaves = value_differences(oa.value, ob.value, name)
        limit = rules.max_leaves_per_option
        for path, x, y in leaves[:limit]:
            yield _find("options", path, "warn", x, y, group=group)
        if len(leaves) > limit:
            yield _find(
                "options",
                f"{name}[…]",
                "warn",
                None,
                None,
                group=group,
                note=f"{len(leaves) - limit} more differences inside {name}",
            )
        if oa.autoload != ob.autoload:
            yield _find("options", f"{name} (autoload)", "info", oa.autoload, ob.autoload)
    limit = rules.autoload_limit_bytes
    over_a, over_b = a.autoload_bytes > limit, b.autoload_bytes > limit
    if over_a != over_b:
        yield _find(
            "options",
            "(autoloaded size)",
            "warn",
            a.autoload_bytes,
            b.autoload_bytes,
            note=f"WordPress warns above {limit} bytes of autoloaded options",
        )


# -- schema ---------------------------------------------------------------------------


def _schema(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    core, _exact = core_schema_for(b.wordpress.db_version or a.wordpress.db_version)
    expected = core.expected(a.wordpress.multisite or b.wordpress.multisite)
    for table in sorted(set(a.tables) | set(b.tables)):
        ta, tb = a.tables.get(table), b.tables.get(table)
        is_core = table in expected
        grade: Severity = "error" if is_core else "warn"
        group = "core" if is_core else ""
        if ta is None or tb is None:
            yield _find(
                "schema",
                table,
                grade,
                "table" if ta else _ABSENT,
                "table" if tb else _ABSENT,
                group=group,
            )
            continue
        yield from _table(table, ta, tb, grade, group, expected.get(table, {}))


def _table(
    table: str,
    ta: TableInfo,
    tb: TableInfo,
    grade: Severity,
    group: str,
    core_indexes: Mapping[str, Any],
) -> Iterator[Finding]:
    for attr in ("engine", "charset", "collation"):
        x, y = getattr(ta, attr), getattr(tb, attr)
        if x != y:
            yield _find("schema", f"{table} {attr}", "warn", x, y, group=group)
    for column in sorted(set(ta.columns) | set(tb.columns)):
        ca, cb = ta.columns.get(column), tb.columns.get(column)
        if ca == cb:
            continue
        if ca is None or cb is None:
            yield _find(
                "schema",
                f"{table}.{column}",
                grade,
                ca.type if ca else _ABSENT,
                cb.type if cb else _ABSENT,
                group=group,
            )
            continue
        for attr in ("type", "nullable", "default", "extra", "collation"):
            x, y = getattr(ca, attr), getattr(cb, attr)
            if x != y:
                yield _find("schema", f"{table}.{column} {attr}", grade, x, y, group=group)
    for index in sorted(set(ta.indexes) | set(tb.indexes)):
        ia, ib = ta.indexes.get(index), tb.indexes.get(index)
        if ia == ib:
            continue
        note = "core index" if index in core_indexes else ""
        yield _find(
            "schema",
            f"{table} index {index}",
            grade,
            ia.describe() if ia else _ABSENT,
            ib.describe() if ib else _ABSENT,
            group=group,
            note=note,
        )


# -- cron, roles, volume -----------------------------------------------------------------


# Format 1 snapshots keyed cron groups by WordPress's md5 of the arguments; later ones by
# their 12-hex fingerprint. The md5 cannot be turned into the fingerprint, so a format 1
# snapshot compared with a later one is compared by hook and schedule only.
_CRON_FINGERPRINT_FORMAT = 2


def _mixed_cron_hashes(a: Snapshot, b: Snapshot) -> bool:
    formats = (a.format, b.format)
    return min(formats) < _CRON_FINGERPRINT_FORMAT <= max(formats)


def _by_hook_and_schedule(cron: Mapping[str, CronInfo]) -> dict[str, CronInfo]:
    out: dict[str, CronInfo] = {}
    for info in cron.values():
        key = cron_key(info.hook, info.schedule, None)
        known = out.get(key)
        out[key] = CronInfo(
            hook=info.hook,
            schedule=info.schedule,
            count=info.count + (known.count if known else 0),
            overdue=info.overdue + (known.overdue if known else 0),
        )
    return out


def _cron(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    cron_a, cron_b = a.cron, b.cron
    if _mixed_cron_hashes(a, b):
        cron_a, cron_b = _by_hook_and_schedule(cron_a), _by_hook_and_schedule(cron_b)
    for key in sorted(set(cron_a) | set(cron_b)):
        ca, cb = cron_a.get(key), cron_b.get(key)
        either = ca or cb
        group = either.hook if either else ""
        if ca is None or cb is None:
            yield _find(
                "cron",
                key,
                "warn",
                ca.count if ca else _ABSENT,
                cb.count if cb else _ABSENT,
                group=group,
                note="events scheduled (count)",
            )
            continue
        if ca.count != cb.count:
            yield _find("cron", f"{key} (count)", "info", ca.count, cb.count, group=group)
        if ca.overdue != cb.overdue:
            yield _find("cron", f"{key} (overdue)", "info", ca.overdue, cb.overdue, group=group)


def _roles(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    for role in sorted(set(a.roles) | set(b.roles)):
        ra, rb = a.roles.get(role), b.roles.get(role)
        if ra is None or rb is None:
            yield _find(
                "roles",
                role,
                "error",
                sorted(c for c, on in ra.capabilities.items() if on) if ra else _ABSENT,
                sorted(c for c, on in rb.capabilities.items() if on) if rb else _ABSENT,
                group=role,
            )
            continue
        if ra.name != rb.name:
            yield _find("roles", f"{role} (name)", "info", ra.name, rb.name, group=role)
        for cap in sorted(set(ra.capabilities) | set(rb.capabilities)):
            x = ra.capabilities.get(cap, _ABSENT)
            y = rb.capabilities.get(cap, _ABSENT)
            if not _same(x, y):
                yield _find("roles", f"{role}: {cap}", "warn", x, y, group=role)
        if ra.users != rb.users:
            yield _find("roles", f"{role} (users)", "info", ra.users, rb.users, group=role)


def _volume(a: Snapshot, b: Snapshot, rules: DiffRules) -> Iterator[Finding]:
    for table in sorted(set(a.volume) & set(b.volume)):
        x, y = a.volume[table].rows, b.volume[table].rows
        delta = abs(x - y)
        if delta > rules.volume_min_rows and delta > rules.volume_tolerance * max(x, y):
            exact = a.volume[table].exact and b.volume[table].exact
            yield _find(
                "volume",
                table,
                "info",
                x,
                y,
                note="counted" if exact else "table statistics (estimates)",
            )


# -- http -----------------------------------------------------------------------------


def _http(a: Snapshot, b: Snapshot) -> Iterator[Finding]:
    for key in sorted(set(a.http) | set(b.http)):
        pa, pb = a.http.get(key), b.http.get(key)
        if pa is None or pb is None:
            yield _find(
                "http",
                key,
                "warn",
                _probe_summary(pa) if pa else _ABSENT,
                _probe_summary(pb) if pb else _ABSENT,
                note="probed on one side only",
            )
            continue
        fields: tuple[tuple[str, Severity, Any, Any], ...] = (
            ("status", "error", pa.status, pb.status),
            ("redirect", "warn", pa.location, pb.location),
            ("final status", "error", pa.final_status, pb.final_status),
            ("error", "error", pa.error, pb.error),
        )
        for name, severity, x, y in fields:
            if x != y:
                yield _find("http", f"{key} {name}", severity, x, y, note=_paths(pa, pb))
        for header in sorted(set(pa.headers) | set(pb.headers)):
            x = pa.headers.get(header, _ABSENT)
            y = pb.headers.get(header, _ABSENT)
            if x != y:
                yield _find("http", f"{key} {header}", "warn", x, y, note=_paths(pa, pb))


def _paths(pa: RouteProbe, pb: RouteProbe) -> str:
    if pa.path == pb.path:
        return f"GET {pa.path}"
    return f"A: GET {pa.path}; B: GET {pb.path}"


def _probe_summary(probe: RouteProbe) -> str:
    if probe.error:
        return probe.error
    text = str(probe.status)
    if probe.location:
        text += f" -> {probe.location}"
    return text


# -- the whole comparison ----------------------------------------------------------------


def _side(snapshot: Snapshot, label: str | None, origin: Origin) -> Side:
    return Side(
        label=label or snapshot.label(),
        environment=snapshot.environment,
        taken_at=snapshot.taken_at,
        snapshot_id=snapshot.id,
        origin=origin,
    )


def compare(
    a: Snapshot,
    b: Snapshot,
    rules: DiffRules | None = None,
    *,
    a_label: str | None = None,
    b_label: str | None = None,
    a_origin: Origin = "live",
    b_origin: Origin = "live",
) -> DriftReport:
    """Every difference between snapshot ``a`` and snapshot ``b`` that ``rules`` keep."""
    rules = rules or DiffRules()
    started = time.perf_counter()
    raw: list[Finding] = [
        *_wordpress(a, b),
        *_plugins(a, b),
        *_options(a, b, rules),
        *_schema(a, b),
        *_cron(a, b),
        *_roles(a, b),
        *_volume(a, b, rules),
        *_http(a, b),
    ]
    kept: list[Finding] = []
    ignored = 0
    for finding in raw:
        if any(rules.matches(rule, finding) for rule in rules.ignore):
            ignored += 1
            continue
        for rule, severity in rules.severity.items():
            if rules.matches(rule, finding):
                finding = replace(finding, severity=severity)
        kept.append(finding)
    notes = tuple(f"A: {n}" for n in a.notes) + tuple(f"B: {n}" for n in b.notes)
    if _mixed_cron_hashes(a, b):
        old = "A" if a.format < b.format else "B"
        notes += (
            f"{old}: snapshot taken by an older parity (format {min(a.format, b.format)}):"
            " cron events compared by hook and schedule only, not by arguments",
        )
    return DriftReport(
        a=_side(a, a_label, a_origin),
        b=_side(b, b_label, b_origin),
        findings=tuple(kept),
        ignored=ignored,
        duration_s=time.perf_counter() - started,
        notes=notes,
    )
