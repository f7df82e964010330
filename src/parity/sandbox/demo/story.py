"""The staging story on the sandbox: start, doctor, seed, drift, refresh, drift, a change
on staging, drift, cache verify and purge, measure cold and warm.

Each ``_name`` function runs one step and returns its data; ``_check_name`` holds the
step to what it is there to show. :data:`STORY` lists them as :class:`Step` values.
"""

from __future__ import annotations

from dataclasses import dataclass

from parity.cache.purge import PurgeReport, purge_routes
from parity.cache.rules import rules_from_settings
from parity.cache.verify import verify_sites
from parity.cache.verify_report import VerifyReport
from parity.doctor import check_environment
from parity.doctor.checks import EnvironmentReport
from parity.drift.findings import DriftReport, Finding
from parity.drift.live import live_environments
from parity.drift.service import drift_report
from parity.drift.settings import drift_settings
from parity.errors import InputError
from parity.measure.compare import REFUSAL, Verdict
from parity.measure.records import Measurement
from parity.measure.service import MeasurementComparison, compare_measurements, measure_routes
from parity.refresh.report import RefreshResult
from parity.refresh.settings import refresh_settings
from parity.sandbox.demo.steps import DemoContext, Step, StepFailed
from parity.sandbox.layout import SITES
from parity.sandbox.option_change import OptionChange, set_serialized_option_value
from parity.sandbox.seed import DEMO_OPTION, DEMO_OPTION_PATH, seed_production
from parity.sandbox.seed.result import SeedResult
from parity.sandbox.status import SandboxStatus
from parity.targets.cache import purger_for
from parity.targets.site import Site

__all__ = [
    "CHANGED_VALUE",
    "SAMPLES",
    "STORY",
    "DoctorChecked",
    "DriftCompared",
    "Measured",
    "SandboxStarted",
]

#: The value the demo gives the plugin setting on staging (production keeps 1000).
CHANGED_VALUE = 50
#: Samples per measurement: enough for the comparison, quick on the sandbox.
SAMPLES = 15


@dataclass(frozen=True)
class SandboxStarted:
    """The sandbox's sites, and whether everything runs."""

    urls: dict[str, str]
    status: SandboxStatus


@dataclass(frozen=True)
class DoctorChecked:
    """``parity doctor`` on every environment."""

    reports: list[EnvironmentReport]


@dataclass(frozen=True)
class DriftCompared:
    """``parity drift production staging --exact`` at one moment of the story."""

    report: DriftReport
    #: ``before``, ``after refresh`` or ``after change``.
    moment: str
    #: After the change: the finding that names it.
    named: Finding | None = None


@dataclass(frozen=True)
class Measured:
    """Cold, warm and warm again, and the two comparisons."""

    measurements: list[Measurement]
    cold_vs_warm: MeasurementComparison
    warm_vs_warm: MeasurementComparison


def _sandbox_up(ctx: DemoContext) -> SandboxStarted:
    return SandboxStarted(dict(ctx.sandbox.urls), ctx.sandbox.up())


def _check_sandbox_up(started: SandboxStarted) -> None:
    if not started.status.running:
        raise StepFailed("the sandbox did not come up", hint="run `parity sandbox status`")


def _doctor(ctx: DemoContext) -> DoctorChecked:
    settings = ctx.settings
    names = sorted(settings.environments)
    return DoctorChecked([check_environment(settings.environment(n)) for n in names])


def _check_doctor(checked: DoctorChecked) -> None:
    if not all(r.ok for r in checked.reports):
        raise StepFailed("parity doctor found a problem (see the table above)")


def _seed(ctx: DemoContext) -> SeedResult:
    result = seed_production(ctx.sandbox, articles=ctx.articles, seed=ctx.seed)
    ctx.route = result.sample.path
    return result


def _drift(ctx: DemoContext, moment: str) -> DriftCompared:
    settings = ctx.settings
    # As `parity drift` does: what a refresh keeps on staging on purpose is not drift.
    # The sandbox is small, so rows are counted exactly (`--exact`) rather than estimated
    # from table statistics, which lag behind a bulk load.
    section = drift_settings(settings)
    with ctx.store() as store:
        report = drift_report(
            "production",
            "staging",
            live=live_environments(settings, section),
            store=store,
            section=section,
            exact=True,
            masked_options=refresh_settings(settings).preserve_options,
        )
    named = next((f for f in report.findings if f.key.startswith(DEMO_OPTION)), None)
    return DriftCompared(report, moment, named if moment == "after change" else None)


def _refresh(ctx: DemoContext) -> RefreshResult:
    from parity.refresh.service import RefreshService

    settings = ctx.settings
    production, staging = (settings.environment(name) for name in SITES)
    with ctx.store() as store:
        service = RefreshService(production, staging, refresh_settings(settings), store)
        return service.run()


def _check_no_drift(compared: DriftCompared) -> None:
    if compared.report.findings:
        raise StepFailed(
            f"staging still differs from production after the refresh"
            f" ({len(compared.report.findings)} findings, see above)"
        )


def _change_staging(ctx: DemoContext) -> OptionChange:
    env = ctx.settings.environment("staging")
    try:
        return set_serialized_option_value(env, DEMO_OPTION, DEMO_OPTION_PATH, CHANGED_VALUE)
    except InputError as exc:
        raise StepFailed(exc.one_line(), hint="the refresh copies it from production") from None


def _check_change_named(compared: DriftCompared) -> None:
    if compared.named is None:
        raise StepFailed(f"drift did not report the change of {DEMO_OPTION}")


def _cache_verify(ctx: DemoContext) -> VerifyReport:
    settings = ctx.settings
    sites = [Site(settings.environment(name)) for name in SITES]
    try:
        return verify_sites(sites, rules_from_settings(settings), [ctx.route], examples=False)
    finally:
        for site in sites:
            site.close()


def _check_verify(report: VerifyReport) -> None:
    if not report.ok:
        raise StepFailed("cache verify found a problem (see above)")


def _cache_purge(ctx: DemoContext) -> PurgeReport:
    env = ctx.settings.environment("staging")
    purger = purger_for(env)
    try:
        with Site(env) as site:
            rules = rules_from_settings(ctx.settings)
            return purge_routes(site, purger, rules, [ctx.route], control="/")
    finally:
        purger.close()


def _check_purge(report: PurgeReport) -> None:
    if not report.ok:
        raise StepFailed("the purge did not behave (see above)")


def _measure(ctx: DemoContext) -> Measured:
    env = ctx.settings.environment("staging")
    purger = purger_for(env)
    with ctx.store() as store:
        try:
            with Site(env) as site:
                cold = measure_routes(
                    site, [ctx.route], mode="cold", count=SAMPLES, store=store, purger=purger
                )
                warm = measure_routes(site, [ctx.route], mode="warm", count=SAMPLES, store=store)
                again = measure_routes(site, [ctx.route], mode="warm", count=SAMPLES, store=store)
        finally:
            purger.close()
        cold_id, warm_id, again_id = (_saved_id(m) for m in (cold[0], warm[0], again[0]))
        refused = compare_measurements(store, cold_id, warm_id)
        same = compare_measurements(store, warm_id, again_id)
    return Measured([*cold, *warm, *again], refused, same)


def _check_measured(measured: Measured) -> None:
    comparison = measured.cold_vs_warm.comparison
    if comparison.verdict is not Verdict.refused or REFUSAL not in comparison.message:
        raise StepFailed("comparing a cold measurement with a warm one was not refused")


def _saved_id(measurement: Measurement) -> int:
    if measurement.id is None:  # measure_routes returns saved measurements
        raise StepFailed("a measurement was not saved")
    return measurement.id


STORY: list[Step] = [
    Step(
        "Start a real WordPress pair",
        "production and staging, each Debian's WordPress behind nginx, PHP-FPM and Varnish,"
        " on 127.0.0.1 only: the same kind of stack you run, without touching your sites.",
        _sandbox_up,
        _check_sandbox_up,
    ),
    Step(
        "Check that parity can reach and use both environments",
        "database, WordPress tables, site, logged-in session and cache purge endpoint for"
        " each environment: the first thing to run when pointing parity at new sites.",
        _doctor,
        _check_doctor,
    ),
    Step(
        "Give production the data of a real site",
        "articles in blocks with uploaded images, users, comments with e-mail and IP"
        " addresses, a plugin's serialized settings with the site URL inside: what makes"
        " copying a site hard. (The sandbox writes its own database; parity never writes"
        " to production.)",
        _seed,
    ),
    Step(
        "Compare production with staging",
        "`parity drift production staging`: is staging still like production? Options,"
        " plugins, schema, cron, roles, row counts and HTTP behaviour, compared.",
        lambda ctx: _drift(ctx, "before"),
    ),
    Step(
        "Refresh staging from production",
        "`parity refresh --from production --to staging`: real data on staging, safe to"
        " use. URLs rewritten everywhere (serialized, JSON, blocks), personal data scrubbed,"
        " verified, swapped in atomically, with a rollback point.",
        _refresh,
    ),
    Step(
        "Compare again: staging now matches production",
        "the same `parity drift`: after a refresh there must be nothing left to explain."
        " Exit code 0, no findings.",
        lambda ctx: _drift(ctx, "after refresh"),
        _check_no_drift,
    ),
    Step(
        "Someone changes a plugin setting on staging",
        "a value deep inside a serialized plugin option, changed straight in staging's"
        " database: the kind of change nobody remembers making.",
        _change_staging,
    ),
    Step(
        "Compare again: the change is found, and named",
        "`parity drift` names the option and the key inside it, with both values: exit"
        " code 1, so CI can stop a deployment on it.",
        lambda ctx: _drift(ctx, "after change"),
        _check_change_named,
    ),
    Step(
        "Verify the cache on both sites",
        "`parity cache verify production staging`: cached where the rules say (MISS, then"
        " HIT with Age rising), bypassed for logged-in users, commenters, carts, previews"
        " and POST, and no private data in a shared response.",
        _cache_verify,
        _check_verify,
    ),
    Step(
        "Purge one route",
        "`parity cache purge staging --route ROUTE`: drop only the page that changed, and"
        " prove it: MISS then HIT again, while a route that was not purged stayed HIT.",
        _cache_purge,
        _check_purge,
    ),
    Step(
        "Measure cold and warm, and compare",
        "`parity measure` labels every sample with its cache status, and `measure compare`"
        " refuses to compare a cold page with a cached one: no lucky cache hit passes for"
        " a fix. Two warm measurements compare fine.",
        _measure,
        _check_measured,
    ),
]
