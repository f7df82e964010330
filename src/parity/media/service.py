"""``MediaService``: the referenced set of a target, copied from or proxied to its source.

What the CLI calls (``parity media sync``, ``parity media proxy``, ``parity refresh
--media``)::

    service = MediaService(production, staging, media_settings(settings))
    service.check()                                  # bad input: exit 2, nothing written
    report = service.sync(store)                     # copy what staging lacks
    report = service.sync(None, dry_run=True)        # what it would copy; writes nothing
    result = service.proxy(host)                     # or: serve it from production
    service.close()

Every refusal happens in :meth:`MediaService.check`, before anything is written: the
same environment or host on both sides, a protected target (by name, or a folder that
reaches a protected environment's files), an uploads path that does not exist, a source
that does not answer. Production is only ever read: its files (``stat``, ``read``) or
its site (anonymous ``HEAD`` and ``GET``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlsplit

from parity.collector import collector_paused
from parity.environments import EnvironmentSettings
from parity.errors import InputError, ParityError, TargetError
from parity.jobs.runner import InProcessRunner
from parity.media.proxy import ProxyRule, check_hosts_differ, proxy_rule
from parity.media.referenced import UPLOADS_PATH, ReferencedSet
from parity.media.report import FailedFile, MediaReport, MissingFile
from parity.media.scan import scan_references
from parity.media.settings import MediaSection
from parity.media.sources import HttpSource, LocalSource, UploadsSource
from parity.media.sync import (
    MediaProgress,
    SyncPlan,
    SyncWork,
    media_sync_job,
    plan_files,
)
from parity.store.state import Store
from parity.targets.cache import HttpPurger
from parity.targets.database import Database
from parity.targets.guard import ensure_writable
from parity.targets.identity import folders_overlap
from parity.targets.site import Site
from parity.targets.uploads import Uploads, folder_identity

__all__ = ["VIAS", "MediaService", "ProxyHost", "ProxyResult", "render_proxy"]

log = logging.getLogger(__name__)

#: Where a sync reads files: ``auto`` is ``local`` when the source's uploads folder is on
#: this machine, else ``http``.
VIAS = ("auto", "local", "http")


class ProxyHost(Protocol):
    """A web server parity can put a proxy rule into (the sandbox's nginx)."""

    def media_cache_dir(self, environment: str) -> str:
        """Where the server keeps the files it fetched for ``environment``."""
        ...

    def install_media_proxy(self, environment: str, rule: ProxyRule | None) -> None:
        """Serve ``environment`` with ``rule`` (None: without one), and reload."""
        ...


@dataclass(frozen=True)
class ProxyResult:
    """A proxy put in place (or taken out): its rule and the uploads' counts."""

    rule: ProxyRule | None
    report: MediaReport
    applied: bool


def render_proxy(
    target: EnvironmentSettings, source: EnvironmentSettings, *, cache_dir: str | None = None
) -> ProxyRule:
    """The nginx rule that serves ``target``'s missing uploads from ``source``.

    The uploads folder is the one configured (it is the web server's, which need not be
    this machine: it is not looked at here).
    """
    folder = target.uploads_dir
    if folder is None:
        raise InputError(
            f"{target.name} has no uploads folder configured: the rule serves it first",
            hint=f"add uploads_path to [environments.{target.name}]",
        )
    negative = target.media.negative_cache_s if target.media is not None else 60
    return proxy_rule(
        target.name,
        target.url,
        folder,
        source.name,
        source.url,
        negative_cache_s=negative,
        cache_dir=cache_dir,
    )


class MediaService:
    """The uploads ``target``'s database references, and ``source`` as where they come from.

    ``via`` is ``auto``, ``local`` or ``http`` (see :data:`VIAS`); ``checksum`` compares
    every file both sides have by its SHA-256, not only those whose times differ.
    """

    def __init__(
        self,
        source: EnvironmentSettings,
        target: EnvironmentSettings,
        section: MediaSection,
        *,
        via: str = "auto",
        checksum: bool = False,
        progress: MediaProgress | None = None,
    ) -> None:
        if via not in VIAS:
            raise InputError(f"--via must be one of {', '.join(VIAS)}, not {via!r}")
        self.source_env = source
        self.target_env = target
        self.section = section
        self.via = via
        self.checksum = checksum
        self.progress = progress
        self._target: Uploads | None = None
        self._source: UploadsSource | None = None
        self._checked_writing = False

    # -- refusing bad input, before anything is written ------------------------------

    def check(self, *, writing: bool = True) -> None:
        """Raise (exit 2) for anything that must stop the sync before it starts.

        ``writing=False`` checks only what a proxy or a report needs.
        """
        source, target = self.source_env, self.target_env
        if self._source is not None and (self._checked_writing or not writing):
            return
        if source.name == target.name:
            raise InputError(f"--from and --to are both {source.name}: name two environments")
        check_hosts_differ(target.name, target.url, source.name, source.url)
        uploads = Uploads.of(target)
        action = f"copy uploads from {source.name}"
        if writing:
            uploads.check_writable(action)
        self._target = uploads
        if self._source is None:
            self._source = self._open_source(uploads)
        self._checked_writing = self._checked_writing or writing

    def _open_source(self, target: Uploads) -> UploadsSource:
        env = self.source_env
        local = self.via in ("auto", "local") and env.uploads_dir is not None
        if local:
            uploads = Uploads.of(env)  # an explicit uploads_path that is missing: refused
            if uploads.exists:
                mine, theirs = folder_identity(target.root), folder_identity(uploads.root)
                if mine is not None and theirs is not None and folders_overlap(mine, theirs):
                    raise InputError(
                        f"{env.name} and {self.target_env.name} have the same uploads folder"
                        f" ({uploads.root})",
                        hint="give each environment its own uploads_path",
                    )
                return LocalSource(uploads)
            if self.via == "local":
                raise InputError(
                    f"the uploads folder of {env.name}, {uploads.root}, is not on this machine",
                    hint="copy over HTTP from its site with --via http",
                )
        elif self.via == "local":
            raise InputError(
                f"{env.name} has no uploads folder configured",
                hint=f"add uploads_path to [environments.{env.name}], or use --via http",
            )
        site = Site(
            env, deadline=self.section.file_deadline_s, max_body=self.section.max_file_bytes
        )
        source = HttpSource(site, concurrency=self.section.concurrency)
        try:
            source.probe()  # unreachable: exit 2 before anything is written
        except BaseException:
            source.close()
            raise
        return source

    @property
    def target(self) -> Uploads:
        """The target's uploads folder (after :meth:`check`)."""
        if self._target is None:
            self.check()
        assert self._target is not None
        return self._target

    @property
    def source(self) -> UploadsSource:
        """Where files are read (after :meth:`check`)."""
        if self._source is None:
            self.check()
        assert self._source is not None
        return self._source

    def close(self) -> None:
        """Close the source's connections."""
        if self._source is not None:
            self._source.close()
            self._source = None

    # -- the referenced set, and what each side has ---------------------------------

    def references(self) -> ReferencedSet:
        """Every file the target's database points at (URLs of both sites count)."""
        with Database.connect(self.target_env, raw=True) as db:
            return scan_references(
                db,
                [self.target_env.url, self.source_env.url],
                sidecars=self.section.sidecars,
            )

    def survey(self, *, checksum: bool | None = None) -> SyncPlan:
        """Each referenced file with what the source and the target have, decided.

        Sidecars the source does not have are left out (nothing points at them).
        """
        found = self.references()
        refs = list(found)
        source_facts = self.source.facts([ref.path for ref in refs])
        compare = self.checksum if checksum is None else checksum
        target_facts = self.target.facts_many(ref.path for ref in refs)
        return plan_files(refs, source_facts, target_facts, checksum=compare)

    def _report(self, mode: str, plan: SyncPlan, *, dry_run: bool) -> MediaReport:
        report = MediaReport(
            mode=mode,
            source=self.source_env.name,
            target=self.target_env.name,
            via=self.source.via,
            dry_run=dry_run,
        )
        kinds: dict[str, int] = {}
        for state in plan.files:
            report.referenced.add(state.size)
            kinds[state.ref.kind] = kinds.get(state.ref.kind, 0) + 1
            if state.decision == "present":
                report.present.add(state.size)
            elif state.decision == "missing":
                report.missing.append(MissingFile(state.ref.path, state.ref.where))
            elif mode == "proxy" and state.decision != "copy":
                report.present.add(state.size)  # served from its own folder: try_files
            else:
                report.lacking.add(state.size)
                if mode == "proxy":
                    report.proxied.add(state.size)
        report.by_kind = dict(sorted(kinds.items()))
        return report

    # -- sync ----------------------------------------------------------------------

    def sync(self, store: Store | None, *, dry_run: bool = False) -> MediaReport:
        """Copy the referenced files the target lacks (or has otherwise) from the source.

        With ``dry_run`` (or no ``store``), only says what it would copy: nothing is
        written, not even to the state store. Otherwise the copy is a run of job
        ``media-sync`` in the ledger (resumable after ``kill -9``).
        """
        with collector_paused():  # see collector_paused: a full collection per batch
            return self._sync(store, dry_run=dry_run)

    def _sync(self, store: Store | None, *, dry_run: bool) -> MediaReport:
        started = time.monotonic()
        self.check(writing=True)
        plan = self.survey()
        report = self._report("sync", plan, dry_run=dry_run or store is None)
        if report.dry_run or store is None:
            report.seconds = time.monotonic() - started
            return report
        work = SyncWork(
            plan,
            self.source,
            self.target,
            source_name=self.source_env.name,
            concurrency=self.section.concurrency,
            checksum=self.checksum,
            progress=self.progress,
        )
        record = InProcessRunner(store).run(
            media_sync_job(self.section.owner, self.source_env.name, self.target_env.name),
            work,
            recheck=True,  # every run compares the files themselves
        )
        if record.error:
            raise TargetError(f"media sync run {record.id} stopped: {record.error}")
        outcome = work.outcome
        report.run_id = record.id
        report.resumed_from = record.resumed_from
        report.cleaned_partials = outcome.cleaned_partials
        sizes = {state.ref.path: state for state in plan.files}
        for _path, size in outcome.copied:
            report.copied.add(size)
        for path in outcome.same:
            report.lacking.files -= 1
            report.lacking.bytes -= max(sizes[path].size, 0)
            report.present.add(sizes[path].size)
        for path in outcome.gone:
            report.lacking.files -= 1
            report.lacking.bytes -= max(sizes[path].size, 0)
            report.missing.append(MissingFile(path, sizes[path].ref.where))
        report.failed = [FailedFile(path, error) for path, error in outcome.failed]
        copied = [path for path, _size in outcome.copied]
        report.purged, warnings = self._purge(copied)
        report.warnings += warnings
        report.seconds = time.monotonic() - started
        return report

    def _purge(self, paths: list[str]) -> tuple[int, list[str]]:
        """Drop the target's cached answers for ``paths`` (a 404 cached before they were
        there would hide them). A purge that fails is a warning."""
        env = self.target_env
        if not paths or env.cache is None or env.cache.kind == "none":
            return 0, []
        base = urlsplit(env.url).path.rstrip("/") + UPLOADS_PATH
        purger = HttpPurger(env)
        done = 0
        try:
            for path in paths:
                purger.purge(base + quote(path))
                done += 1
        except ParityError as exc:
            return done, [f"could not purge the cache of {env.name}: {exc.one_line()}"]
        finally:
            purger.close()
        return done, []

    # -- proxy ---------------------------------------------------------------------

    def proxy(self, host: ProxyHost, *, remove: bool = False) -> ProxyResult:
        """Put the proxy rule into ``host`` for the target (or take it out), and say
        how many referenced files it serves from the source."""
        target = self.target_env
        ensure_writable(target, f"serve its missing uploads from {self.source_env.name}")
        self.check(writing=False)
        if remove:
            host.install_media_proxy(target.name, None)
            report = self._report("proxy", SyncPlan(), dry_run=False)
            return ProxyResult(None, report, applied=False)
        rule = render_proxy(target, self.source_env, cache_dir=host.media_cache_dir(target.name))
        plan = self.survey(checksum=False)
        host.install_media_proxy(target.name, rule)
        report = self._report("proxy", plan, dry_run=False)
        proxied = [s.ref.path for s in plan.files if s.decision == "copy"]
        report.purged, warnings = self._purge(proxied)
        report.warnings += warnings
        return ProxyResult(rule, report, applied=True)
