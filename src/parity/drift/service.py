"""Snapshots and drift reports: resolve what A and B are, capture, compare.

The service receives its targets and store: :func:`capture_environment` reads an open
:class:`~parity.targets.database.Database` and :class:`~parity.targets.site.Site`;
:func:`drift_report` captures environments through a :class:`LiveEnvironments` (the
composition in :mod:`parity.drift.live` opens each one's connections) and reads stored
snapshots from the store it is given.

A side of a comparison is named by the user in one of three ways, tried in this order:
an environment of parity.toml (captured live), a snapshot JSON file, a stored snapshot id
(``12`` or ``#12``).

Example::

    with Database.connect(env) as db, Site(env) as site:
        snapshot = take_snapshot(db, site, store, section)        # captured and stored
    live = live_environments(settings, section)                   # parity.drift.live
    report = drift_report("production", "staging", live=live, store=store, section=section)
    report = drift_report("staging", since="last", live=live, store=store, section=section)
    report.exit_code("warn")
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from parity.drift.capture import capture_snapshot
from parity.drift.diff import DiffRules, compare
from parity.drift.findings import DriftReport, Origin
from parity.drift.model import Snapshot
from parity.drift.settings import DriftSection
from parity.drift.storage import latest_snapshot, load_snapshot, save_snapshot
from parity.errors import InputError
from parity.store import Store
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = [
    "LiveEnvironments",
    "Resolved",
    "capture_environment",
    "drift_report",
    "read_snapshot_file",
    "resolve_side",
    "take_snapshot",
    "write_snapshot_file",
]


@dataclass(frozen=True)
class Resolved:
    """A snapshot to compare, what the user called it, and where it came from."""

    snapshot: Snapshot
    label: str
    origin: Origin


@dataclass(frozen=True)
class LiveEnvironments:
    """The environments a side may name, and how one is captured now.

    ``capture(name, exact)`` opens the environment's targets, captures and closes them
    (:func:`parity.drift.live.live_environments` builds it from the settings).
    """

    names: Collection[str]
    capture: Callable[[str, bool | None], Snapshot]


def capture_environment(
    db: Database, site: Site, section: DriftSection, *, exact: bool | None = None
) -> Snapshot:
    """Capture the environment ``db`` and ``site`` reach, now, without storing it."""
    return capture_snapshot(db.env, db, site, section, exact=exact)


def take_snapshot(
    db: Database,
    site: Site,
    store: Store,
    section: DriftSection,
    *,
    exact: bool | None = None,
) -> Snapshot:
    """Capture the environment and store the snapshot; returns it with its id."""
    return save_snapshot(store, capture_environment(db, site, section, exact=exact))


def write_snapshot_file(snapshot: Snapshot, path: Path) -> None:
    """Write ``snapshot`` as JSON to ``path``."""
    try:
        path.write_text(snapshot.to_json() + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def read_snapshot_file(path: Path) -> Snapshot:
    """Read a snapshot JSON file (as written by ``parity snapshot --out``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return Snapshot.from_json(text)
    except ValidationError:
        raise InputError(
            f"{path} is not a parity snapshot", hint="write one with `parity snapshot ENV --out`"
        ) from None


def _snapshot_id(ref: str) -> int | None:
    text = ref.removeprefix("#")
    return int(text) if text.isdigit() else None


def resolve_side(
    ref: str, *, live: LiveEnvironments, store: Store, exact: bool | None = None
) -> Resolved:
    """What ``ref`` names: an environment (captured now), a JSON file or a snapshot id."""
    if ref in live.names:
        return Resolved(live.capture(ref, exact), f"{ref} (live)", "live")
    path = Path(ref)
    if path.is_file():
        snapshot = read_snapshot_file(path)
        return Resolved(snapshot, f"{snapshot.label()} from {path.name}", "file")
    number = _snapshot_id(ref)
    if number is not None:
        snapshot = load_snapshot(store, number)
        return Resolved(snapshot, snapshot.label(), "store")
    known = ", ".join(sorted(live.names)) or "none"
    raise InputError(
        f"{ref!r} is neither an environment ({known}), a snapshot file, nor a snapshot id"
    )


def _since(store: Store, environment: str, since: str) -> Resolved:
    if since == "last":
        snapshot = latest_snapshot(store, environment)
        if snapshot is None:
            raise InputError(
                f"no snapshot of {environment} yet",
                hint=f"run `parity snapshot {environment}` first (before the deployment)",
            )
    else:
        number = _snapshot_id(since)
        if number is None:
            raise InputError(f"--since takes `last` or a snapshot id, not {since!r}")
        snapshot = load_snapshot(store, number)
    if snapshot.environment != environment:
        raise InputError(
            f"snapshot #{snapshot.id} is of {snapshot.environment}, not {environment}",
            hint=f"compare them with `parity drift {snapshot.id} {environment}`",
        )
    return Resolved(snapshot, snapshot.label(), "store")


def drift_report(
    a: str,
    b: str | None = None,
    *,
    live: LiveEnvironments,
    store: Store,
    section: DriftSection,
    since: str | None = None,
    exact: bool | None = None,
    masked_options: Sequence[str] = (),
) -> DriftReport:
    """Compare A with B, or environment A now with its own snapshot ``since``.

    ``masked_options`` adds option patterns never compared (a refresh policy's preserved
    options) to those of ``[drift] preserved_options``.
    """
    if since is not None and b is not None:
        raise InputError("give either B or --since, not both")
    if since is None and b is None:
        raise InputError(
            "nothing to compare A with", hint="give B, or --since last to compare with A's past"
        )
    if since is not None:
        if a not in live.names:
            raise InputError(f"--since needs an environment as A, not {a!r}")
        before = _since(store, a, since)
        now = resolve_side(a, live=live, store=store, exact=exact or before.snapshot.exact_counts)
        left, right = before, now
    else:
        assert b is not None
        left = resolve_side(a, live=live, store=store, exact=exact)
        right = resolve_side(b, live=live, store=store, exact=exact)
    rules = DiffRules.from_section(section, extra_masked_options=masked_options)
    return compare(
        left.snapshot,
        right.snapshot,
        rules,
        a_label=left.label,
        b_label=right.label,
        a_origin=left.origin,
        b_origin=right.origin,
    )
