"""`parity media sync / proxy / verify`: staging's images after a refresh.

``sync --from production --to staging`` copies the referenced uploads staging lacks;
``proxy ENV`` renders (``--apply``: puts in place) the nginx rule that serves the rest
from production; ``verify ENV`` crawls pages and checks every image. ``parity refresh
--media sync|proxy`` runs :class:`MediaAfterRefresh` after its swap. The main app mounts
this app as ``media``.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Annotated, Any

import typer
from rich.progress import Progress, TaskID
from rich.table import Table

from parity.cli.context import settings_from
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import bytes_progress
from parity.config import Settings
from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.media import (
    MediaReport,
    MediaService,
    ProxyResult,
    VerifyReport,
    media_settings,
    render_proxy,
    verify_media,
)
from parity.store import open_store
from parity.targets.guard import ensure_writable

__all__ = ["MEDIA_MODES", "MediaAfterRefresh", "app", "print_report"]

app = typer.Typer(
    help="Images after a refresh: copy the uploads the database references, serve the rest"
    " from production, check every image on the pages.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

#: What ``parity refresh --media`` does after its swap.
MEDIA_MODES = ("none", "sync", "proxy")

ViaOption = Annotated[
    str,
    typer.Option(
        "--via",
        help="Where files are read: local (the source's uploads folder on this machine),"
        " http (its site), auto (local when there).",
    ),
]


class _Bytes:
    """The sync's progress: one bar of bytes (rate, ETA) on stderr."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self._description = description
        self._task: TaskID | None = None

    def planned(self, files: int, size: int) -> None:
        """Add the bar."""
        self._task = self._progress.add_task(f"{self._description} ({files} files)", total=size)

    def advanced(self, size: int) -> None:
        """Move the bar."""
        if self._task is not None:
            self._progress.advance(self._task, size)


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def print_report(report: MediaReport) -> None:
    """The counts, then the files the source lacks too, then the failures."""
    title = f"media {report.mode}: {report.source} -> {report.target} (via {report.via})"
    table = Table(title=title + (" (dry run)" if report.dry_run else ""))
    table.add_column("")
    table.add_column("files", justify="right")
    table.add_column("size", justify="right")
    rows = [
        ("referenced", report.referenced),
        (f"present on {report.target}", report.present),
        (f"{report.target} lacked", report.lacking),
        ("copied", report.copied),
        (f"served from {report.source} (proxy)", report.proxied),
    ]
    for label, tally in rows:
        table.add_row(label, f"{tally.files:,}", _mb(tally.bytes))
    table.add_row(f"missing on {report.source} too", f"{len(report.missing):,}", "-")
    table.add_row("failed", f"{len(report.failed):,}", "-")
    console.print(table)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in report.by_kind.items())
    console.print(f"referenced by: {kinds or 'nothing'}", markup=False)
    for missing in report.missing[:20]:
        console.print(
            f"missing on {report.source}: {missing.path} (referenced by {missing.referenced_by})",
            markup=False,
        )
    if len(report.missing) > 20:
        console.print(f"... and {len(report.missing) - 20} more (--format json lists them)")
    for failed in report.failed[:20]:
        err_console.print(f"failed: {failed.path}: {failed.error}", markup=False)
    if report.run_id is not None:
        resumed = f", resumed run {report.resumed_from}" if report.resumed_from else ""
        console.print(f"run {report.run_id} (`parity jobs show {report.run_id}`){resumed}")
    if report.cleaned_partials:
        console.print(f"removed {report.cleaned_partials} partial file(s) of a stopped run")
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", markup=False)


def _service(
    settings: Settings,
    source: EnvironmentSettings,
    target: EnvironmentSettings,
    *,
    via: str = "auto",
    checksum: bool = False,
    progress: _Bytes | None = None,
) -> MediaService:
    return MediaService(
        source, target, media_settings(settings), via=via, checksum=checksum, progress=progress
    )


@app.command("sync")
def sync(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--from", help="Environment to copy from (e.g. production).")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--to", help="Environment to copy into (e.g. staging).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be copied; write nothing.")
    ] = False,
    via: ViaOption = "auto",
    checksum: Annotated[
        bool,
        typer.Option(
            "--checksum", help="Compare every file both sides have by SHA-256, not only by time."
        ),
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Copy the uploads --to's database references that --to lacks (or has otherwise).

    Only referenced files; from the source's uploads folder or its site; resumable after
    a kill. Exit 0 done, 1 a file failed, 2 refused or could not run (nothing written).
    """
    if not source or not target:
        raise InputError(
            "say which environments: parity media sync --from SOURCE --to TARGET",
            hint="e.g. --from production --to staging",
        )
    settings = settings_from(ctx)
    quiet = format is OutputFormat.json
    with ExitStack() as stack:
        progress = stack.enter_context(bytes_progress(err_console, disable=quiet))
        service = _service(
            settings,
            settings.environment(source),
            settings.environment(target),
            via=via,
            checksum=checksum,
            progress=_Bytes(progress, f"copy to {target}"),
        )
        stack.callback(service.close)
        service.check(writing=True)  # refusals first: nothing written, not even state
        store = None if dry_run else stack.enter_context(open_store(settings.state_url()))
        report = service.sync(store, dry_run=dry_run)
    emit(format, report.as_dict(), lambda: print_report(report), code=0 if report.ok else 1)


def _proxy_source(settings: Settings, env: EnvironmentSettings, given: str | None) -> str:
    if given:
        return given
    if env.media is not None:
        return env.media.proxy_from
    raise InputError(
        f"say where the uploads {env.name} lacks come from: --from SOURCE",
        hint=f'or set media = {{ proxy_from = "production" }} in [environments.{env.name}]',
    )


def _host(env: EnvironmentSettings) -> Any:
    # The sandbox is imported only by the commands that put a rule in place.
    from parity.sandbox.media_proxy import sandbox_host

    host = sandbox_host(env)
    if host is None:
        raise InputError(
            f"{env.name} is not a site of a parity sandbox: parity cannot change its web server",
            hint=f"include the rule `parity media proxy {env.name}` prints in its nginx"
            " configuration instead",
        )
    return host


def _print_proxy(result: ProxyResult) -> None:
    if result.rule is None:
        console.print(f"took the media proxy of {result.report.target} out", markup=False)
        return
    console.print(
        f"applied: {result.report.target} serves the uploads it lacks from"
        f" {result.report.source} ({result.rule.source_url})",
        markup=False,
    )
    print_report(result.report)


@app.command("proxy")
def proxy(
    ctx: typer.Context,
    environment: Annotated[str, typer.Argument(help="Environment whose missing uploads to serve.")],
    source: Annotated[
        str | None,
        typer.Option("--from", help="Where they come from (default: its media.proxy_from)."),
    ] = None,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Put the rule in place (a sandbox site) and reload nginx."),
    ] = False,
    remove: Annotated[
        bool, typer.Option("--remove", help="Take the rule out again (a sandbox site).")
    ] = False,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Print the nginx rule serving ENV's missing uploads from production (first request
    only), or put it in place with --apply.

    Refused (exit 2) when both environments have the same host: the proxy would loop.
    """
    settings = settings_from(ctx)
    env = settings.environment(environment)
    origin = settings.environment(_proxy_source(settings, env, source))
    if not (apply or remove):
        rule = render_proxy(env, origin)

        def show() -> None:
            sys.stdout.write(rule.text())
            sys.stdout.flush()

        emit(format, {"applied": False, "rule": rule.as_dict(), "report": None}, show)
        return
    ensure_writable(env, f"serve its missing uploads from {origin.name}")
    host = _host(env)
    service = _service(settings, origin, env)
    try:
        result = service.proxy(host, remove=remove)
    finally:
        service.close()
    data = {
        "applied": result.applied,
        "rule": result.rule.as_dict() if result.rule else None,
        "report": result.report.as_dict() if result.applied else None,
    }
    emit(format, data, lambda: _print_proxy(result))


def _print_verify(report: VerifyReport) -> None:
    table = Table(title=f"media verify {report.environment}: {len(report.pages)} pages")
    for column in ("page", "image", "kind", "status", "problem"):
        table.add_column(column, overflow="fold")
    for broken in report.broken:
        table.add_row(
            broken.page, broken.url, broken.kind, str(broken.status or "-"), broken.problem
        )
    if report.broken:
        console.print(table)
    kinds = ", ".join(f"{k} {v}" for k, v in report.by_kind.items()) or "none"
    console.print(
        f"{len(report.broken)} broken of {report.checked} images and uploads checked"
        f" ({kinds}) on {len(report.pages)} pages in {report.seconds:.1f} s",
        markup=False,
    )
    for host, count in report.elsewhere.items():
        console.print(f"not checked: {count} on another host, {host}", markup=False)
    for error in report.page_errors:
        err_console.print(f"page {error['page']}: {error['error']}", markup=False)


@app.command("verify")
def verify(
    ctx: typer.Context,
    environment: Annotated[str, typer.Argument(help="Environment whose pages to check.")],
    pages: Annotated[
        int | None,
        typer.Option("--pages", min=1, help="How many pages to crawl (default: [media])."),
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Crawl pages of ENV anonymously; every img src, srcset entry and linked upload must
    answer 200 with an image content type. Exit 1 when any is broken."""
    settings = settings_from(ctx)
    section = media_settings(settings)
    report = verify_media(
        settings.environment(environment),
        pages=pages or section.verify_pages,
        concurrency=section.concurrency,
    )
    emit(format, report.as_dict(), lambda: _print_verify(report), code=0 if report.ok else 1)


class MediaAfterRefresh:
    """``parity refresh --media sync|proxy``: checked before the refresh writes anything,
    run after its swap."""

    def __init__(
        self,
        mode: str,
        settings: Settings,
        source: EnvironmentSettings,
        target: EnvironmentSettings,
    ) -> None:
        if mode not in MEDIA_MODES:
            raise InputError(f"--media must be one of {', '.join(MEDIA_MODES)}, not {mode!r}")
        self.mode = mode
        self.settings = settings
        self.source = source
        self.target = target
        self._host: Any = None

    def check(self) -> None:
        """Refuse now what would fail after the swap (nothing is written yet)."""
        if self.mode == "none":
            return
        service = _service(self.settings, self.source, self.target)
        try:
            service.check(writing=self.mode == "sync")
        finally:
            service.close()
        if self.mode == "proxy":
            ensure_writable(self.target, f"serve its missing uploads from {self.source.name}")
            self._host = _host(self.target)

    def run(self, store: Any, *, quiet: bool) -> MediaReport | None:
        """Sync or put the proxy in place; the report (None for ``none``)."""
        if self.mode == "none":
            return None
        with ExitStack() as stack:
            progress = stack.enter_context(bytes_progress(err_console, disable=quiet))
            service = _service(
                self.settings,
                self.source,
                self.target,
                progress=_Bytes(progress, f"copy to {self.target.name}"),
            )
            stack.callback(service.close)
            if self.mode == "sync":
                report = service.sync(store)
            else:
                report = service.proxy(self._host).report
        return report


def nginx_media_section(settings: Settings) -> str:
    """What ``parity cache render nginx`` adds for environments with a media proxy
    configured (``media = { proxy_from = ... }``): each rule's http part, ready to include
    like the rest of the file, and its server part, commented, to paste into the
    environment's ``server { }``. Empty when none is configured."""
    parts = []
    for env in settings.environments.values():
        if env.media is None:
            continue
        rule = render_proxy(env, settings.environment(env.media.proxy_from))
        server = "".join(f"#     {line}\n" if line else "#\n" for line in rule.server.splitlines())
        parts.append(
            f"\n# Media proxy of {env.name} (from {rule.source}): see `parity media proxy"
            f" {env.name}`.\n{rule.http}"
            f"# Add inside the server {{ }} of {env.name}, before its other locations:\n{server}"
        )
    return "".join(parts)
