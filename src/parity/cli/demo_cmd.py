"""`parity demo`: the whole staging story on the local sandbox, one step at a time.

Each step prints a heading saying what it shows and why a team cares, then the normal
output of the command it runs. The demo stops at the first step that fails, with its
error. It only uses the sandbox: your own sites are never touched. Running it again is
safe: the seed writes nothing new, the refresh puts staging back, the change is made again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from parity.cli.output import console, err_console
from parity.cli.sandbox_cmd import parity_command, print_seed_result, state_dir_flag
from parity.config import Settings, load_settings
from parity.doctor import check_environment
from parity.drift.findings import DriftReport
from parity.drift.render import summary_line, table_report
from parity.drift.service import drift_report
from parity.errors import InputError, ParityError
from parity.measure.records import Measurement
from parity.refresh.settings import refresh_settings
from parity.sandbox import DEFAULT_STATE_DIR, SITES, Sandbox, SandboxPorts
from parity.sandbox.option_change import set_serialized_option_value
from parity.sandbox.seed import (
    DEFAULT_ARTICLES,
    DEFAULT_SEED,
    DEMO_OPTION,
    DEMO_OPTION_PATH,
    MAX_ARTICLES,
    seed_production,
)
from parity.store import Store, open_store

__all__ = ["STEPS", "DemoContext", "Step", "StepFailed", "demo"]

#: The value the demo gives the plugin setting on staging (production keeps 1000).
CHANGED_VALUE = 50
#: Samples per measurement: enough for the comparison, quick on the sandbox.
SAMPLES = 15
#: A drift report longer than this is shown a few findings per category, then summed up.
_SHOWN_FINDINGS = 12
_PER_CATEGORY = 3


class StepFailed(ParityError):
    """A demo step did not show what it should."""


@dataclass
class DemoContext:
    """What the steps share."""

    sandbox: Sandbox
    articles: int = DEFAULT_ARTICLES
    seed: int = DEFAULT_SEED
    #: The route of the sample article on both sites (known once production is seeded).
    route: str = "/"
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The sandbox's parity.toml (written by the first step)."""
        if self._settings is None:
            self._settings = load_settings(self.sandbox.config_path)
        return self._settings

    def store(self) -> Store:
        """parity's state store, as the commands open it (use it in a ``with``)."""
        return open_store(self.settings.state_url())


@dataclass(frozen=True)
class Step:
    """One step of the demo: a heading, why it matters, and what it runs."""

    title: str
    why: str
    run: Callable[[DemoContext], None]


# -- the steps -------------------------------------------------------------------------


def _sandbox_up(ctx: DemoContext) -> None:
    status = ctx.sandbox.up()
    for name, url in ctx.sandbox.urls.items():
        console.print(f"  {name:<10} {url}")
    if not status.running:
        raise StepFailed("the sandbox did not come up", hint="run `parity sandbox status`")


def _doctor(ctx: DemoContext) -> None:
    from parity.cli.doctor_cmd import print_reports

    settings = ctx.settings
    reports = [check_environment(settings.environment(n)) for n in sorted(settings.environments)]
    print_reports(reports)
    if not all(r.ok for r in reports):
        raise StepFailed("parity doctor found a problem (see the table above)")


def _seed(ctx: DemoContext) -> None:
    result = seed_production(ctx.sandbox, articles=ctx.articles, seed=ctx.seed)
    print_seed_result(result)
    ctx.route = result.sample.path


def _drift(ctx: DemoContext) -> DriftReport:
    settings = ctx.settings
    # As `parity drift` does: what a refresh keeps on staging on purpose is not drift.
    # The sandbox is small, so rows are counted exactly (`--exact`) rather than estimated
    # from table statistics, which lag behind a bulk load.
    report = drift_report(
        settings,
        "production",
        "staging",
        exact=True,
        masked_options=refresh_settings(settings).preserve_options,
    )
    _show_drift(report, parity_command(ctx.sandbox))
    return report


def _show_drift(report: DriftReport, parity: str) -> None:
    """The drift table; when long, a few findings per category and the full count."""
    if len(report.findings) <= _SHOWN_FINDINGS:
        console.print(table_report(report, "warn"))
        return
    shown = tuple(
        finding
        for findings in report.by_category().values()
        for finding in findings[:_PER_CATEGORY]
    )
    table = table_report(replace(report, findings=shown), "warn").renderables[0]
    console.print(table)
    console.print(
        f"… and {len(report.findings) - len(shown)} more findings"
        f" (`{parity} drift production staging --exact` shows all of them)",
        soft_wrap=True,
        markup=False,
    )
    console.print(summary_line(report, "warn"))


def _drift_before(ctx: DemoContext) -> None:
    report = _drift(ctx)
    if not report.findings:
        console.print("staging already matches production (an earlier demo refreshed it)")


def _refresh(ctx: DemoContext) -> None:
    from parity.cli.refresh_cmd import print_summary as print_refresh_summary
    from parity.refresh.service import RefreshService

    settings = ctx.settings
    production, staging = (settings.environment(name) for name in SITES)
    with ctx.store() as store:
        service = RefreshService(production, staging, refresh_settings(settings), store)
        result = service.run()
    print_refresh_summary(result)


def _drift_after_refresh(ctx: DemoContext) -> None:
    report = _drift(ctx)
    if report.findings:
        raise StepFailed(
            f"staging still differs from production after the refresh"
            f" ({len(report.findings)} findings, see above)"
        )


def _change_staging(ctx: DemoContext) -> None:
    env = ctx.settings.environment("staging")
    try:
        change = set_serialized_option_value(env, DEMO_OPTION, DEMO_OPTION_PATH, CHANGED_VALUE)
    except InputError as exc:
        raise StepFailed(exc.one_line(), hint="the refresh copies it from production") from None
    console.print(
        f"staging: {change.key} {change.before} -> {change.after}"
        f" (one UPDATE of {change.table} in staging's database; production keeps"
        f" {change.before})",
        soft_wrap=True,
        markup=False,
    )


def _drift_after_change(ctx: DemoContext) -> None:
    report = _drift(ctx)
    named = [f for f in report.findings if f.key.startswith(DEMO_OPTION)]
    if not named:
        raise StepFailed(f"drift did not report the change of {DEMO_OPTION}")
    finding = named[0]
    console.print(
        f"found: {finding.category} {finding.key}: {finding.a} -> {finding.b}", markup=False
    )


def _cache_verify(ctx: DemoContext) -> None:
    from parity.cache.live_render import verify_tables
    from parity.cache.rules import rules_from_settings
    from parity.cache.verify import verify_sites
    from parity.targets.site import Site

    settings = ctx.settings
    sites = [Site(settings.environment(name)) for name in SITES]
    try:
        report = verify_sites(sites, rules_from_settings(settings), [ctx.route], examples=False)
    finally:
        for site in sites:
            site.close()
    console.print(verify_tables(report))
    if not report.ok:
        raise StepFailed("cache verify found a problem (see above)")


def _cache_purge(ctx: DemoContext) -> None:
    from parity.cache.live_render import purge_table
    from parity.cache.purge import purge_routes
    from parity.cache.rules import rules_from_settings
    from parity.targets.cache import purger_for
    from parity.targets.site import Site

    env = ctx.settings.environment("staging")
    purger = purger_for(env)
    try:
        with Site(env) as site:
            report = purge_routes(
                site, purger, rules_from_settings(ctx.settings), [ctx.route], control="/"
            )
    finally:
        purger.close()
    console.print(purge_table(report))
    if not report.ok:
        raise StepFailed("the purge did not behave (see above)")


def _measure(ctx: DemoContext) -> None:
    from parity.cli.measure_cmd import comparison_view, measurements_table
    from parity.measure.compare import REFUSAL, Verdict
    from parity.measure.service import compare_measurements, measure_routes
    from parity.targets.cache import purger_for
    from parity.targets.site import Site

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
        console.print(measurements_table([*cold, *warm, *again]))
        cold_id, warm_id, again_id = (_saved_id(m) for m in (cold[0], warm[0], again[0]))
        console.print(f"\n$ parity measure compare {cold_id} {warm_id}   # cold vs warm")
        refused = compare_measurements(store, cold_id, warm_id)
        console.print(comparison_view(refused))
        console.print(f"\n$ parity measure compare {warm_id} {again_id}   # warm vs warm")
        console.print(comparison_view(compare_measurements(store, warm_id, again_id)))
    comparison = refused.comparison
    if comparison.verdict is not Verdict.refused or REFUSAL not in comparison.message:
        raise StepFailed("comparing a cold measurement with a warm one was not refused")


def _saved_id(measurement: Measurement) -> int:
    if measurement.id is None:  # measure_routes returns saved measurements
        raise StepFailed("a measurement was not saved")
    return measurement.id


STEPS: list[Step] = [
    Step(
        "Start a real WordPress pair",
        "production and staging, each Debian's WordPress behind nginx, PHP-FPM and Varnish,"
        " on 127.0.0.1 only: the same kind of stack you run, without touching your sites.",
        _sandbox_up,
    ),
    Step(
        "Check that parity can reach and use both environments",
        "database, WordPress tables, site, logged-in session and cache purge endpoint for"
        " each environment: the first thing to run when pointing parity at new sites.",
        _doctor,
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
        _drift_before,
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
        _drift_after_refresh,
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
        _drift_after_change,
    ),
    Step(
        "Verify the cache on both sites",
        "`parity cache verify production staging`: cached where the rules say (MISS, then"
        " HIT with Age rising), bypassed for logged-in users, commenters, carts, previews"
        " and POST, and no private data in a shared response.",
        _cache_verify,
    ),
    Step(
        "Purge one route",
        "`parity cache purge staging ROUTE`: drop only the page that changed, and prove it:"
        " MISS then HIT again, while a route that was not purged stayed HIT.",
        _cache_purge,
    ),
    Step(
        "Measure cold and warm, and compare",
        "`parity measure` labels every sample with its cache status, and `measure compare`"
        " refuses to compare a cold page with a cached one: no lucky cache hit passes for"
        " a fix. Two warm measurements compare fine.",
        _measure,
    ),
]


def _run_steps(context: DemoContext) -> float:
    started = time.monotonic()
    for number, step in enumerate(STEPS, start=1):
        console.print(Rule(f"[bold]{number}. {step.title}[/]", align="left"))
        console.print(f"[dim]{step.why}[/]")
        step_started = time.monotonic()
        try:
            step.run(context)
        except ParityError:
            err_console.print(f"The demo stopped at step {number} ({step.title}).", markup=False)
            raise
        console.print(f"[dim]({time.monotonic() - step_started:.1f} s)[/]")
    return time.monotonic() - started


def _print_end(context: DemoContext, elapsed: float) -> None:
    sandbox = context.sandbox
    parity = parity_command(sandbox)
    console.print(Rule("[bold]Done[/]", align="left"))
    user = sandbox.admin_user
    console.print(f"All {len(STEPS)} steps passed in {elapsed:.1f} s. Look around:")
    for name, url in sandbox.urls.items():
        console.print(f"  {name:<10} {url}  (log in: /wp-admin/ as {user})", markup=False)
    console.print(f"  sample     {sandbox.production_url}{context.route}", soft_wrap=True)
    console.print(
        f"  the admin password is in {sandbox.config_path} (login.password);"
        " staging's users got it too, from the refresh",
        soft_wrap=True,
    )
    console.print("Try next:")
    for command in (
        f"{parity} drift production staging --format markdown",
        f"{parity} refresh --from production --to staging --dry-run",
        f"{parity} refresh rollback staging",
        f"{parity} cache verify production staging",
        f"{parity} measure staging {context.route} --mode cold",
        f"{parity} doctor --format json",
        f"parity sandbox seed --articles 2000{state_dir_flag(sandbox)}",
        f"parity sandbox down --purge{state_dir_flag(sandbox)}"
        "      # stop everything and remove its state",
    ):
        console.print(f"  {command}", soft_wrap=True)


def demo(
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="Where the sandbox keeps its state.", file_okay=False),
    ] = DEFAULT_STATE_DIR,
    port_offset: Annotated[
        int | None,
        typer.Option(
            "--port-offset",
            help="Add this to every default sandbox port (as `parity sandbox up`"
            " --port-offset); default: the ports the sandbox last used, else the defaults.",
        ),
    ] = None,
    articles: Annotated[
        int,
        typer.Option(
            "--articles",
            help="Synthesized articles production gets besides the sample.",
            min=0,
            max=MAX_ARTICLES,
        ),
    ] = DEFAULT_ARTICLES,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the synthesized content.", min=0)
    ] = DEFAULT_SEED,
) -> None:
    """Run the whole staging story on the local sandbox (starts it if needed): seed
    production, drift, refresh, drift, change, drift, cache verify and purge, measure.

    Exit 0 when every step showed what it should, 2 at the first step that could not.
    """
    ports = SandboxPorts.with_offset(port_offset) if port_offset is not None else None
    context = DemoContext(Sandbox(state_dir, ports), articles=articles, seed=seed)
    elapsed = _run_steps(context)
    _print_end(context, elapsed)
