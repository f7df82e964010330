"""`parity cache test / render / verify / purge`: the cache rules, offline and live.

``test`` and ``render`` work offline on the rules; ``verify`` probes the live caches of one
or two environments; ``purge`` drops routes from one environment's cache and shows that
only those were dropped.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from parity.cache import render_nginx, render_varnish, test_examples
from parity.cache.defaults import default_ruleset
from parity.cache.evaluate import RulesReport
from parity.cache.leaks import NONCE_LIFE
from parity.cache.purge import purge_routes
from parity.cache.rules import RuleSet, rules_from_settings, rules_with_file
from parity.cache.verify import verify_sites
from parity.cache.verify_plan import parse_cookie_options
from parity.cli.cache_render import purge_table, verify_tables
from parity.cli.context import CliState, settings_from
from parity.cli.conventions import OLD_ROUTES_SETTINGS, routes_given
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.config import config_asked_for
from parity.errors import InputError
from parity.targets.cache import purger_for
from parity.targets.site import Site

__all__ = ["app", "ruleset_from_context"]

app = typer.Typer(
    help="Cache rules as tested data: check them offline, render Varnish VCL or nginx config,"
    " verify the live cache, purge routes.",
    no_args_is_help=True,
)

RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="A cache-rules.toml to use with the default rules (instead of parity.toml's).",
        dir_okay=False,
    ),
]


class RenderTarget(StrEnum):
    """What `parity cache render` writes."""

    varnish = "varnish"
    nginx = "nginx"


def _config_exists(ctx: typer.Context) -> bool:
    """Whether a parity.toml was asked for or is there to be found."""
    state = ctx.find_root().obj
    explicit = state.config if isinstance(state, CliState) else None
    return config_asked_for(explicit) is not None


def ruleset_from_context(ctx: typer.Context, rules_file: Path | None) -> RuleSet:
    """The rules a cache command works on.

    ``--rules FILE``: the defaults combined with that file. Otherwise the ``[cache]``
    table of parity.toml (defaults, its ``rules_file``, its inline rules); and when there
    is no parity.toml at all, the defaults alone. A parity.toml that exists but is invalid
    is an error, never silently replaced by the defaults.
    """
    if rules_file is not None:
        return rules_with_file(rules_file)
    if not _config_exists(ctx):
        return default_ruleset()
    # Settings has a `cache: CacheSection` field (the [cache] table of parity.toml).
    settings = settings_from(ctx)
    return rules_from_settings(settings)


def _print_report(report: RulesReport) -> None:
    table = Table(title="parity cache test")
    table.add_column("rule")
    table.add_column("example", overflow="fold")
    table.add_column("expected")
    table.add_column("decided by")
    table.add_column("result")
    for result in report.results:
        decision = result.decision
        mark = Text("ok", style="green") if result.passed else Text("FAIL", style="bold red")
        table.add_row(
            Text(result.rule),
            Text(result.example.label()),
            result.example.expect,
            Text(f"{decision.rule or '(no rule)'}: {decision.action}"),
            mark,
        )
    console.print(table)
    for result in report.failed:
        line = Text("FAIL ", style="bold red")
        line.append(
            f"rule {result.rule} example {result.index + 1}: {result.example.label()} "
            f"should {result.example.expect}, but {result.decision.rule or 'no rule'} "
            f"decides {result.decision.action} ({result.decision.reason})"
        )
        console.print(line)
    for finding in report.findings:
        style = "bold red" if finding.severity == "error" else "yellow"
        line = Text(f"{finding.severity} ({finding.kind}): ", style=style)
        line.append(finding.message)
        console.print(line)
    failed, errors = len(report.failed), len(report.errors)
    warnings = len(report.findings) - errors
    verdict = "ok" if report.ok else "FAILED"
    console.print(
        f"{verdict}: {len(report.results)} examples, {failed} failed; "
        f"{errors} lint errors, {warnings} warnings; {len(report.ruleset.rules)} rules",
        markup=False,
    )


@app.command("test")
def cache_test(
    ctx: typer.Context,
    rules: RulesOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Check every rule's examples against the rules, offline, and lint the rules.

    Shows which rule decided each example. Exit 1 when an example fails or lint finds an
    error (a contradiction, a rule that can never match).
    """
    report = test_examples(ruleset_from_context(ctx, rules))
    emit(format, report.as_dict(), lambda: _print_report(report), code=0 if report.ok else 1)


@app.command("render")
def cache_render(
    ctx: typer.Context,
    target: Annotated[
        RenderTarget, typer.Argument(help="varnish (VCL 4.1) or nginx (fastcgi_cache).")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
    backend_host: Annotated[
        str, typer.Option("--backend-host", help="The VCL backend's host (varnish only).")
    ] = "127.0.0.1",
    backend_port: Annotated[
        int, typer.Option("--backend-port", help="The VCL backend's port (varnish only).")
    ] = 8080,
    rules: RulesOption = None,
) -> None:
    """Write Varnish VCL or an nginx fastcgi_cache config from the cache rules.

    Each rule's name and description become comments. Run `parity cache test` first:
    rendering does not check the examples.
    """
    ruleset = ruleset_from_context(ctx, rules)
    if target is RenderTarget.varnish:
        text = render_varnish(ruleset, backend_host=backend_host, backend_port=backend_port)
    else:
        text = render_nginx(ruleset)
        if rules is None and _config_exists(ctx):
            # Environments with a media proxy configured: its rule comes with the cache's.
            from parity.cli.media_cmd import nginx_media_section

            text += nginx_media_section(settings_from(ctx))
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    console.print(f"wrote {out} ({target.value}, {len(ruleset.rules)} rules)", markup=False)


@app.command("verify")
def cache_verify(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment to probe (a name in parity.toml).")],
    env2: Annotated[
        str | None,
        typer.Argument(help="A second environment: the same probes, and the differences."),
    ] = None,
    route: Annotated[
        list[str] | None,
        typer.Option(
            "--route",
            "-r",
            help="A route to probe (repeat for more; default: /).",
            show_default=False,
        ),
    ] = None,
    examples: Annotated[
        bool,
        typer.Option("--examples/--no-examples", help="Also probe every rule example."),
    ] = True,
    cookie: Annotated[
        list[str] | None,
        typer.Option(
            "--cookie",
            help="NAME=VALUE added to the realistic browser cookies (repeat for more).",
            show_default=False,
        ),
    ] = None,
    nonce_life: Annotated[
        int,
        typer.Option("--nonce-life", help="WordPress's nonce_life in seconds.", min=2),
    ] = NONCE_LIFE,
    rules: RulesOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Probe the live cache: MISS then HIT with Age rising where the rules cache; bypass
    for a real logged-in session, commenter, password-post and cart cookies, previews and
    POST; leak detectors on every shared anonymous response; cookie blame.

    Nothing is written or purged (probe URLs carry a fresh parity-probe parameter).
    Exit 1 when an expectation fails or a leak is found, 2 when it could not run.
    """
    if env2 is not None and env2 == env:
        raise InputError("give two different environments, or one")
    settings = settings_from(ctx)
    ruleset = ruleset_from_context(ctx, rules)
    environments = [settings.environment(name) for name in (env, env2) if name is not None]
    extra = parse_cookie_options(cookie or [])
    with ExitStack() as stack:
        # Each Site ends its WordPress session on the way out (an error if it cannot).
        sites = [stack.enter_context(Site(e)) for e in environments]
        with rows_progress(err_console, unit="probes") as progress:
            tasks = {
                e.name: progress.add_task(f"verify {e.name}", total=None) for e in environments
            }

            def advance(name: str, done: int, total: int) -> None:
                progress.update(tasks[name], completed=done, total=total)

            report = verify_sites(
                sites,
                ruleset,
                route or ["/"],
                examples=examples,
                extra_cookies=extra,
                nonce_life=nonce_life,
                progress=advance,
            )
    code = 0 if report.ok else 1
    emit(format, report.as_dict(), lambda: console.print(verify_tables(report)), code=code)


@app.command("purge", context_settings=OLD_ROUTES_SETTINGS)
def cache_purge(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="Environment whose cache to purge.")],
    route: Annotated[
        list[str] | None,
        typer.Option("--route", "-r", help="A route to purge, e.g. /hello-world/ (repeatable)."),
    ] = None,
    control: Annotated[
        str | None,
        typer.Option(
            "--control",
            help="A route that is not purged and must stay cached (default: /).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Purge only the --route routes of ENV, then show each is a MISS and then a HIT
    again while a route that was not purged stayed a HIT.

    Allowed on protected environments (a purge is not a data write), and logged.
    Exit 1 when the cache did not behave so, 2 when it could not run.
    """
    paths = routes_given(route, ctx.args)
    settings = settings_from(ctx)
    ruleset = ruleset_from_context(ctx, rules)
    environment = settings.environment(env)
    purger = purger_for(environment)
    try:
        with Site(environment) as site:
            report = purge_routes(site, purger, ruleset, paths, control=control)
    finally:
        purger.close()
    code = 0 if report.ok else 1
    emit(format, report.as_dict(), lambda: console.print(purge_table(report)), code=code)
