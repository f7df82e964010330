"""``parity change open / check / rollback``: the runbook's checklist as one workflow.

The service receives the settings and the state store and reaches the environment only
through its targets (``Site``, ``Database``, the cache ``Purger``); what it measures,
purges and snapshots goes through parity's own capabilities, never a copy of them:
``parity.measure`` (samples and the verdict), ``parity.cache`` (headers and the purge
that proves only the change's routes were dropped), ``parity.drift`` (snapshot and the
diff since the baseline).

    record = open_change(settings, store, OpenRequest("faster-page", "staging", ["/p/"],
                         owner="ana", expect=["median -20%"], rollback="..."))
    check = check_change(settings, store, "faster-page")       # after the change
    undo = rollback_change(settings, store, "faster-page")
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from parity.cache.observe import observe
from parity.cache.purge import purge_routes
from parity.cache.rules import rules_from_settings
from parity.changes.expect import (
    CommandOutcome,
    QueryOutcome,
    default_mode,
    evaluate,
    parse_expectations,
    timing_outcome,
)
from parity.changes.model import (
    ChangeCheck,
    ChangeRecord,
    ChangeStatus,
    CheckKind,
    back_in_range,
    check_change_name,
    one_variable_warning,
    things_changed,
    timing_word,
    verdict_of,
)
from parity.changes.query import check_select, plan_figures
from parity.changes.records import add_check, change_exists, load_change, save_change
from parity.changes.shell import CommandResult, run_command, secrets_of
from parity.config import Settings
from parity.drift.capture import capture_snapshot
from parity.drift.diff import DiffRules, compare
from parity.drift.settings import drift_settings
from parity.drift.storage import load_snapshot, save_snapshot
from parity.environments import EnvironmentSettings
from parity.errors import InputError, ProtectedEnvironment
from parity.measure.records import Measurement
from parity.measure.service import compare_measurements, measure_routes
from parity.store.clock import utc_now
from parity.store.state import Store
from parity.targets.cache import HttpPurger, purger_for
from parity.targets.database import Database
from parity.targets.site import Site
from parity.vocabulary import iso_utc

__all__ = ["DEFAULT_SAMPLES", "OpenRequest", "check_change", "open_change", "rollback_change"]

log = logging.getLogger(__name__)

#: Samples per route and mode when ``--samples`` is not given.
DEFAULT_SAMPLES = 20

#: Called with a line saying what is being done (for progress on the terminal).
Progress = Callable[[str], None]

ASSUMPTIONS: tuple[str, ...] = (
    "A timing is the whole request (headers and body) as a client on this machine sees it.",
    "cold mode purges the route before each sample (every sample a MISS); warm mode primes"
    " it (every sample a HIT); logged-in mode uses one wp-login.php session (PASS).",
    "Faster or slower is parity's verdict: Mann-Whitney U at p < 0.05 and a median ratio"
    " beyond 2% (parity measure compare); comparisons of different cache mixes or of"
    " non-2xx samples are refused.",
    "An expectation without a mode is about cold mode (else logged-in, else warm).",
    "Drift since the baseline sees WordPress, plugins (must-use too), options, schema,"
    " cron, roles and HTTP headers; a change outside them (code, server) shows in timings"
    " only.",
    "The query runs with ANALYZE FORMAT=JSON inside a read-only transaction: it is executed.",
    "Commands run with /bin/sh -c from the directory parity was started in.",
    "Back at baseline after a rollback: no drift since the baseline at warn or error, and"
    " every route and mode measuring no different from the baseline (or its median within"
    " 20% or 20 ms of the baseline's).",
)


@dataclass
class OpenRequest:
    """What ``parity change open`` was given."""

    name: str
    environment: str
    routes: list[str]
    owner: str
    expect: list[str]
    rollback: str | None
    query: str | None = None
    command: str | None = None
    note: str | None = None
    samples: int = DEFAULT_SAMPLES


@dataclass
class _Run:
    """The targets of one open, check or rollback, and the commands it ran."""

    settings: Settings
    env: EnvironmentSettings
    store: Store
    site: Site
    purger: HttpPurger | None
    progress: Progress
    ran: list[dict[str, Any]] = field(default_factory=list)

    def note(self, command: str, why: str) -> None:
        """Keep ``command`` (what a person would type to do the same) and say it."""
        self.ran.append({"at": iso_utc(utc_now()), "command": command, "why": why})
        self.progress(f"{why}: {command}")


def _modes(env: EnvironmentSettings) -> list[str]:
    cached = env.cache is not None and env.cache.kind != "none"
    modes = ["cold", "warm"] if cached else []
    if env.login is not None:
        modes.append("logged-in")
    if not modes:
        modes.append("warm")  # no cache, no login: a plain anonymous timing (all unknown)
    return modes


@contextmanager
def _targets(
    settings: Settings, env: EnvironmentSettings, store: Store, progress: Progress
) -> Iterator[_Run]:
    with ExitStack() as stack:
        site = stack.enter_context(Site(env))  # logs out on the way out
        purger = None
        if env.cache is not None and env.cache.kind != "none":
            purger = purger_for(env)
            stack.callback(purger.close)
        yield _Run(settings, env, store, site, purger, progress)


def _preflight(site: Site, routes: Sequence[str]) -> None:
    for route in routes:
        status = site.get(route).status_code
        if not 200 <= status < 300:
            raise InputError(
                f"route {route} answers HTTP {status} on {site.env.name}: a change is opened"
                " on routes that work (nothing was recorded)",
                hint="check the path, with its trailing slash",
            )


def _seen(run: _Run, route: str, *, logged_in: bool) -> dict[str, Any]:
    started = time.perf_counter()
    response = run.site.get(route, logged_in=logged_in)
    obs = observe(response, method="GET", url=route, seconds=time.perf_counter() - started)
    return {
        "http_status": obs.status,
        "cache_status": obs.cache,
        "x_cache": obs.x_cache,
        "age": obs.age,
        "cache_control": obs.cache_control,
        "vary": obs.vary,
        "set_cookie": list(obs.set_cookies),
        "duration_s": obs.seconds,
    }


def _headers(run: _Run, routes: Sequence[str], modes: Sequence[str]) -> list[dict[str, Any]]:
    seen = []
    login = "logged-in" in modes
    if login and not run.site.logged_in:
        run.site.login()
    for route in routes:
        run.note(f"curl -sI {run.env.url.rstrip('/')}{route}", "cache headers, anonymous")
        item = {"route": route, "anonymous": _seen(run, route, logged_in=False), "logged_in": None}
        if login:
            run.note(f"GET {route} with the login's session", "cache headers, logged-in")
            item["logged_in"] = _seen(run, route, logged_in=True)
        seen.append(item)
    return seen


def _route_flags(routes: Sequence[str]) -> str:
    """``--route /a/ --route /b/``: the routes as a person would type them."""
    return " ".join(f"--route {route}" for route in routes)


def _measurement(m: Measurement) -> dict[str, Any]:
    summary = m.summary()
    return {
        "route": m.route,
        "mode": m.mode,
        "measurement_id": m.id,
        "n": summary.n,
        "median_s": summary.median,
        "p95_s": summary.p95,
        "cache_mix": m.cache_mix(),
        "unexpected": m.unexpected(),
        "non_2xx": m.non_2xx(),
    }


def _measure(run: _Run, routes: Sequence[str], modes: Sequence[str], samples: int) -> list[Any]:
    out = []
    for mode in modes:
        run.note(
            f"parity measure {run.env.name} {_route_flags(routes)} --mode {mode}"
            f" --samples {samples}",
            f"response time, {mode}",
        )
        saved = measure_routes(
            run.site,
            routes,
            mode=mode,
            count=samples,
            store=run.store,
            purger=run.purger if mode == "cold" else None,
        )
        out += [_measurement(m) for m in saved]
    return out


def _query(run: _Run, sql: str | None) -> dict[str, Any] | None:
    if sql is None:
        return None
    run.note(f"ANALYZE FORMAT=JSON {sql}", "the slow query's plan, read-only")
    with Database.connect(run.env) as db:
        db.query("START TRANSACTION READ ONLY")
        try:
            started = time.perf_counter()
            rows = db.query(f"ANALYZE FORMAT=JSON {sql}")
            wall = time.perf_counter() - started
        finally:
            db.query("ROLLBACK")
    plan = json.loads(str(rows[0][0])) if rows and rows[0] else {}
    examined, estimated, duration = plan_figures(plan)
    return {
        "sql": sql,
        "rows_examined": examined,
        "rows_estimated": estimated,
        "duration_s": duration if duration is not None else wall,
        "plan": plan,
    }


def _command(run: _Run, command: str | None, why: str) -> CommandResult | None:
    if command is None:
        return None
    run.note(command, why)
    return run_command(command, secrets=secrets_of(run.settings))


def _snapshot(run: _Run) -> int:
    run.note(f"parity snapshot {run.env.name}", "drift snapshot")
    with Database.connect(run.env) as db:
        snapshot = capture_snapshot(run.env, db, run.site, drift_settings(run.settings))
    saved = save_snapshot(run.store, snapshot)
    assert saved.id is not None
    return saved.id


def _drift(run: _Run, baseline_id: int) -> dict[str, Any]:
    now_id = _snapshot(run)
    before = load_snapshot(run.store, baseline_id)
    after = load_snapshot(run.store, now_id)
    report = compare(before, after, DiffRules.from_section(drift_settings(run.settings)))
    findings = [f.as_dict() for f in report.findings]
    return {
        "baseline_snapshot_id": baseline_id,
        "snapshot_id": now_id,
        "findings": findings,
        "things": things_changed(findings),
    }


def _environment(settings: Settings, name: str) -> EnvironmentSettings:
    env = settings.environment(name)
    if env.protected:
        raise ProtectedEnvironment(
            f"{name} is protected: a change is made and rolled back on an environment parity"
            " may write to, never on a protected one (nothing was recorded)",
            hint="open the change on staging",
        )
    return env


def open_change(
    settings: Settings,
    store: Store,
    request: OpenRequest,
    *,
    progress: Progress = lambda line: None,
) -> ChangeRecord:
    """Record the baseline of a new change (see the module doc); nothing is kept on error.

    Refused (InputError, ProtectedEnvironment) without a rollback command, on a protected
    environment, for a route that does not answer 2xx, for a name already taken, or for
    an expectation or query parity cannot check.
    """
    name = check_change_name(request.name)
    if not (request.rollback or "").strip():
        raise InputError(
            "a change without a ready rollback is not opened: give --rollback COMMAND"
            " (nothing was recorded)"
        )
    assert request.rollback is not None
    parse_expectations(request.expect)
    routes = list(dict.fromkeys(request.routes))
    if not routes or any(not r.startswith("/") for r in routes):
        raise InputError("give every --route as a path, e.g. --route /sample-page/")
    if request.samples < 2:
        raise InputError(f"--samples must be at least 2 (got {request.samples})")
    sql = check_select(request.query) if request.query else None
    env = _environment(settings, request.environment)
    if change_exists(store, name):
        raise InputError(f"a change called {name!r} already exists", hint="pick another name")
    modes = _modes(env)
    started = time.perf_counter()
    taken = utc_now()
    with _targets(settings, env, store, progress) as run:
        _preflight(run.site, routes)
        snapshot_id = _snapshot(run)
        headers = _headers(run, routes, modes)
        measurements = _measure(run, routes, modes, request.samples)
        query = _query(run, sql)
        command = _command(run, request.command, "the failing command, before")
    baseline = {
        "taken_at": iso_utc(taken),
        "duration_s": time.perf_counter() - started,
        "snapshot_id": snapshot_id,
        "headers": headers,
        "measurements": measurements,
        "query": query,
        "command": command.as_dict() if command else None,
    }
    record = ChangeRecord(
        name=name,
        environment=env.name,
        owner=request.owner,
        expect=list(request.expect),
        rollback_command=request.rollback,
        routes=routes,
        modes=modes,
        samples=request.samples,
        opened_at=taken,
        baseline=baseline,
        query=sql,
        command=request.command,
        note=request.note,
        commands=run.ran,
        assumptions=list(ASSUMPTIONS),
    )
    return save_change(store, record)


def _compare(run: _Run, record: ChangeRecord, after: Sequence[dict[str, Any]]) -> list[Any]:
    baseline = {(m["route"], m["mode"]): m for m in record.baseline["measurements"]}
    out = []
    for m in after:
        base = baseline.get((m["route"], m["mode"]))
        if base is None:
            continue
        result = compare_measurements(run.store, base["measurement_id"], m["measurement_id"])
        out.append(
            {
                "route": m["route"],
                "mode": m["mode"],
                "baseline_id": base["measurement_id"],
                "after_id": m["measurement_id"],
                **result.comparison.as_dict(),
            }
        )
    return out


def check_change(
    settings: Settings,
    store: Store,
    name: str,
    *,
    progress: Progress = lambda line: None,
) -> tuple[ChangeRecord, ChangeCheck]:
    """Check the change against its baseline and expectation; the check is kept.

    Drift since the baseline (a warning when more than one thing changed), a purge of
    only the change's routes (the control route must stay cached), the same
    measurements, the query and the command again, and the verdict on ``--expect``.
    """
    record, _checks = load_change(store, name)
    assert record.id is not None
    env = _environment(settings, record.environment)
    expectations = parse_expectations(record.expect)
    started = time.perf_counter()
    at = utc_now()
    with _targets(settings, env, store, progress) as run:
        drift = _drift(run, int(record.baseline["snapshot_id"]))
        purge = None
        if run.purger is not None:
            run.note(f"parity cache purge {env.name} {_route_flags(record.routes)}", "purge")
            rules = rules_from_settings(settings)
            purge = purge_routes(run.site, run.purger, rules, record.routes).as_dict()
        measurements = _measure(run, record.routes, record.modes, record.samples)
        comparisons = _compare(run, record, measurements)
        query = _query(run, record.query)
        command = _command(run, record.command, "the command, after")
    timings = [timing_outcome(c["route"], c["mode"], c) for c in comparisons]
    results = evaluate(
        expectations,
        timings,
        QueryOutcome(query["rows_examined"], query["rows_estimated"], query["duration_s"])
        if query
        else None,
        CommandOutcome(command.exit_code) if command else None,
    )
    verdict = verdict_of(results)
    warnings = []
    warning = one_variable_warning(drift["things"])
    if warning:
        warnings.append({"severity": "warn", "message": warning})
    if purge is not None and not purge["ok"]:
        warnings.append(
            {
                "severity": "warn",
                "message": "the purge did not prove that only the change's routes were"
                " dropped: see purge",
            }
        )
    modes = [e.mode for e in expectations if e.kind in ("relative", "absolute")]
    mode = next((m for m in modes if m), None) or default_mode(record.modes)
    word = timing_word(comparisons, mode)
    key = [c for c in comparisons if c["mode"] == mode]
    numbers = "; ".join(
        f"{c['route']} {mode}: median ratio {c['median_ratio']:.3f}, p = {c['p_value']:.3g}"
        for c in key
        if c.get("median_ratio") is not None and c.get("p_value") is not None
    )
    message = f"{word}, expectation {verdict}" + (f" ({numbers})" if numbers else "")
    body = {
        "duration_s": time.perf_counter() - started,
        "drift": drift,
        "purge": purge,
        "measurements": measurements,
        "comparisons": comparisons,
        "query": query,
        "command": command.as_dict() if command else None,
        "expectations": [r.as_dict() for r in results],
        "warnings": warnings,
    }
    check = add_check(store, ChangeCheck(record.id, CheckKind.check, at, verdict, message, body))
    record.commands += run.ran
    save_change(store, record)
    return record, check


def rollback_change(
    settings: Settings,
    store: Store,
    name: str,
    *,
    progress: Progress = lambda line: None,
) -> tuple[ChangeRecord, ChangeCheck]:
    """Run the recorded rollback command, then check the environment is back at baseline.

    Back means: no drift since the baseline at warn or error, and every route and mode
    measuring no different from the baseline (or its median within 20% or 20 ms). The
    rollback is kept like a check; the change's status becomes ``rolled back`` when back.
    """
    record, _checks = load_change(store, name)
    assert record.id is not None
    if record.status is ChangeStatus.rolled_back:
        raise InputError(
            f"change {name} was already rolled back and found back at its baseline:"
            " its rollback command is not run twice",
            hint=f"`parity change show {name}` shows the rollback",
        )
    env = _environment(settings, record.environment)
    started = time.perf_counter()
    at = utc_now()
    with _targets(settings, env, store, progress) as run:
        rolled = _command(run, record.rollback_command, "the rollback command")
        assert rolled is not None
        drift = _drift(run, int(record.baseline["snapshot_id"]))
        measurements = _measure(run, record.routes, record.modes, record.samples)
        comparisons = _compare(run, record, measurements)
    drifted = drift["things"]
    out_of_range = [c for c in comparisons if not back_in_range(c)]
    back = rolled.exit_code == 0 and not drifted and not out_of_range
    if back:
        message = "rolled back: the environment is back at its baseline"
        message += " (no drift since the baseline; timings back in range)"
    elif rolled.exit_code != 0:
        message = f"the rollback command failed (exit {rolled.exit_code})"
    else:
        why = []
        if drifted:
            why.append("drift since the baseline: " + "; ".join(drifted))
        if out_of_range:
            why.append(
                "timings not back: "
                + "; ".join(f"{c['route']} {c['mode']} {c['verdict']}" for c in out_of_range)
            )
        message = "not back at baseline: " + "; ".join(why)
    body = {
        "duration_s": time.perf_counter() - started,
        "rollback": rolled.as_dict(),
        "drift": drift,
        "measurements": measurements,
        "comparisons": comparisons,
        "back_at_baseline": back,
        "warnings": [],
    }
    verdict = "back" if back else "not back"
    check = add_check(store, ChangeCheck(record.id, CheckKind.rollback, at, verdict, message, body))
    if back:
        record.status = ChangeStatus.rolled_back
    record.commands += run.ran
    save_change(store, record)
    return record, check
