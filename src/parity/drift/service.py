"""Snapshots and drift reports for the shells: resolve what A and B are, capture, compare.

A side of a comparison is named by the user in one of three ways, tried in this order:
an environment of parity.toml (captured live), a snapshot JSON file, a stored snapshot id
(``12`` or ``#12``).

Example::

    snapshot = take_snapshot(settings, "staging")              # captured and stored
    report = drift_report(settings, "production", "staging")   # both live
    report = drift_report(settings, "staging", since="last")   # vs its last snapshot
    report.exit_code("warn")
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from parity.config import Settings
from parity.drift.capture import capture_snapshot
from parity.drift.diff import DiffRules, compare
from parity.drift.findings import DriftReport, Origin
from parity.drift.model import Snapshot
from parity.drift.settings import DriftSection, drift_settings
from parity.drift.storage import latest_snapshot, load_snapshot, save_snapshot
from parity.errors import InputError
from parity.store import Store, open_store
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = [
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


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings.state_url())
    try:
        yield store
    finally:
        store.close()


def capture_environment(
    settings: Settings,
    name: str,
    *,
    exact: bool | None = None,
    section: DriftSection | None = None,
) -> Snapshot:
    """Capture environment ``name`` now (database and site), without storing it."""
    env = settings.environment(name)
    section = section or drift_settings(settings)
    with Database.connect(env) as db, Site(env) as site:
        return capture_snapshot(env, db, site, section, exact=exact)


def take_snapshot(
    settings: Settings,
    name: str,
    *,
    exact: bool | None = None,
    section: DriftSection | None = None,
) -> Snapshot:
    """Capture environment ``name`` and store it; returns it with its id."""
    snapshot = capture_environment(settings, name, exact=exact, section=section)
    with _store(settings) as store:
        return save_snapshot(store, snapshot)


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
    settings: Settings,
    ref: str,
    *,
    exact: bool | None = None,
    section: DriftSection | None = None,
) -> Resolved:
    """What ``ref`` names: an environment (captured now), a JSON file or a snapshot id."""
    if ref in settings.environments:
        snapshot = capture_environment(settings, ref, exact=exact, section=section)
        return Resolved(snapshot, f"{ref} (live)", "live")
    path = Path(ref)
    if path.is_file():
        snapshot = read_snapshot_file(path)
        return Resolved(snapshot, f"{snapshot.label()} from {path.name}", "file")
    number = _snapshot_id(ref)
    if number is not None:
        with _store(settings) as store:
            snapshot = load_snapshot(store, number)
        return Resolved(snapshot, snapshot.label(), "store")
    known = ", ".join(sorted(settings.environments)) or "none"
    raise InputError(
        f"{ref!r} is neither an environment ({known}), a snapshot file, nor a snapshot id"
    )


def _since(settings: Settings, environment: str, since: str) -> Resolved:
    with _store(settings) as store:
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
    settings: Settings,
    a: str,
    b: str | None = None,
    *,
    since: str | None = None,
    exact: bool | None = None,
    masked_options: Sequence[str] = (),
    section: DriftSection | None = None,
) -> DriftReport:
    """Compare A with B, or environment A now with its own snapshot ``since``.

    ``masked_options`` adds option patterns never compared (a refresh policy's preserved
    options) to those of ``[drift] preserved_options``.
    """
    section = section or drift_settings(settings)
    if since is not None and b is not None:
        raise InputError("give either B or --since, not both")
    if since is None and b is None:
        raise InputError(
            "nothing to compare A with", hint="give B, or --since last to compare with A's past"
        )
    if since is not None:
        if a not in settings.environments:
            raise InputError(f"--since needs an environment as A, not {a!r}")
        before = _since(settings, a, since)
        now = resolve_side(
            settings, a, exact=exact or before.snapshot.exact_counts, section=section
        )
        left, right = before, now
    else:
        assert b is not None
        left = resolve_side(settings, a, exact=exact, section=section)
        right = resolve_side(settings, b, exact=exact, section=section)
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
