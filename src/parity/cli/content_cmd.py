"""`parity content`: synthesize articles, import them into WordPress, roll an import back.

``synth`` writes deterministic articles (files or JSON lines); ``import`` runs the
``content-import`` job (recorded, resumable, exit 1 when it or its expected result
fails); ``rollback RUN`` undoes one import run. The main app mounts this app as ``content``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parity.cli.context import settings_from
from parity.cli.conventions import DeprecatedEnvOption, environment_given
from parity.cli.jobs_cmd import RunProgress, finish_run
from parity.cli.output import FormatOption, OutputFormat, console, emit, err_console
from parity.cli.progress import rows_progress
from parity.cli.workers_cmd import BrokerOption, OnOption, RunOn, runner_for
from parity.content import Article, synthesize, write_articles_dir, write_jsonl
from parity.content.importer import (
    ImportRequest,
    WordPressLocation,
    import_articles,
    import_run,
    rollback_import,
)
from parity.errors import InputError
from parity.store import open_store
from parity.targets.database import Database

if TYPE_CHECKING:
    from parity.content.similar_service import DuplicatesResult, SimilarResult
    from parity.jobs.records import RunRecord

__all__ = ["app"]

app = typer.Typer(
    help="Articles: synthesize them, import them into WordPress, roll an import back.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class PostStatus(StrEnum):
    """The status imported posts are created with."""

    pending = "pending"
    draft = "draft"
    publish = "publish"


WpRootOption = Annotated[
    Path | None,
    typer.Option(
        "--wp-root",
        help="The folder with the site's wp-load.php (default: found from parity.toml).",
        file_okay=False,
    ),
]
WpConfigOption = Annotated[
    str | None,
    typer.Option(
        "--wp-config",
        help="Debian's WORDPRESS_CONFIG: the X of /etc/wordpress/config-X.php (default: found).",
    ),
]


@app.command("synth")
def synth(
    count: Annotated[int, typer.Option("--count", "-n", help="How many articles.", min=0)],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.", min=0)] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one .txt file per article into this folder."),
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl", help="Write one JSON object per line to this file.", dir_okay=False
        ),
    ] = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Write COUNT realistic articles, deterministically (same seed, identical output)."""
    if (out is None) == (jsonl is None):
        raise InputError("give exactly one of --out DIR or --jsonl FILE")
    started = time.perf_counter()
    with rows_progress(err_console, unit="articles") as progress:
        task = progress.add_task("synthesizing", total=count)

        def articles() -> Iterator[Article]:
            for article in synthesize(count, seed):
                yield article
                progress.advance(task)

        if out is not None:
            written = write_articles_dir(articles(), out)
        else:
            assert jsonl is not None
            written = write_jsonl(articles(), jsonl)
    seconds = time.perf_counter() - started
    target = str(out if out is not None else jsonl)
    rate = written / seconds if seconds > 0 else 0.0
    data = {
        "count": written,
        "seed": seed,
        "to": target,
        "duration_s": round(seconds, 3),
        "articles_per_s": round(rate),
    }
    emit(
        format,
        data,
        lambda: console.print(
            f"wrote {written} articles (seed {seed}) to {target} in {seconds:.1f} s"
            f" ({rate:,.0f} articles/s)",
            markup=False,
        ),
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Argument(help="The environment to import into.", show_default=False),
    ] = None,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Article files (.txt, .jsonl) or folders of them.", exists=True),
    ] = None,
    status: Annotated[
        PostStatus, typer.Option("--status", help="Status of new posts (kept on updates).")
    ] = PostStatus.pending,
    direct: Annotated[
        bool,
        typer.Option(
            "--direct", help="Write with bulk SQL (fast; no WordPress hooks run) instead."
        ),
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Trash imported posts missing from the source.")
    ] = False,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck",
            help="Compare every article with WordPress, even those a run already imported.",
        ),
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Articles per batch.", min=1, max=5000)
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            help="WordPress login owning new posts (default: the"
            " configured login, else the first administrator).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes preparing articles ahead of the writer (default: one per spare"
            " CPU for 1,000 articles or more; 0: none).",
            min=0,
        ),
    ] = None,
    check_duplicates: Annotated[
        bool,
        typer.Option(
            "--check-duplicates",
            help="Report new articles that nearly duplicate an existing post (as"
            " `content duplicates` finds them).",
        ),
    ] = False,
    hold_duplicates: Annotated[
        bool,
        typer.Option(
            "--hold-duplicates",
            help="Like --check-duplicates, and create those articles pending whatever"
            " --status says.",
        ),
    ] = False,
    wp_root: WpRootOption = None,
    wp_config: WpConfigOption = None,
    on: OnOption = RunOn.in_process,
    broker: BrokerOption = None,
    format: FormatOption = OutputFormat.table,
    old_env: DeprecatedEnvOption = None,
) -> None:
    """Import articles (PATH...) into ENV as posts, keyed by their source id: safe to run
    again.

    New posts are pending review and marked noindex; changed articles update their
    post; posts missing from the source are reported (trashed with --prune). When
    `content similar` stored lists on ENV, the lists of the posts created or updated (and
    of the posts they now belong in) are brought up to date (in this process only: after
    an import with --on celery, run `parity content similar ENV`). Exit 1 when the run or
    its expected-result check fails.
    """
    files = list(paths or [])
    if old_env is not None and env is not None:
        files.insert(0, Path(env))  # the old spelling: PATH... --env NAME
        env = None
    environment = environment_given(env, old_env)
    missing = [str(path) for path in files if not path.exists()]
    if missing or not files:
        raise InputError(
            f"no such file or folder: {', '.join(missing)}" if missing else "give PATH...",
            hint="parity content import ENV PATH...",
        )
    if (check_duplicates or hold_duplicates) and on is not RunOn.in_process:
        raise InputError(
            "--check-duplicates and --hold-duplicates run in this process only",
            hint="leave out --on, or check afterwards with `parity content duplicates ENV`",
        )
    settings = settings_from(ctx)
    request = ImportRequest(
        env=environment,
        paths=tuple(files),
        status=str(status),
        direct=direct,
        prune=prune,
        recheck=recheck,
        batch_size=batch_size,
        author=author,
        wordpress=WordPressLocation(root=wp_root, config_name=wp_config),
        workers=workers,
        check_duplicates=check_duplicates,
        hold_duplicates=hold_duplicates,
    )
    with (
        Database.connect(settings.environment(environment)) as db,
        open_store(settings.state_url()) as store,
        rows_progress(err_console, unit="articles") as progress,
    ):
        sink = RunProgress(progress, f"import to {environment}")
        runner = runner_for(settings, store, on, broker, sink)
        if runner is None:
            record = import_articles(settings, request, db=db, store=store, progress=sink)
        else:
            from parity.content.importer.on_workers import import_on_workers

            record = import_on_workers(settings, request, db=db, store=store, runner=runner)
    finish_run(record, format)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(help="The import run to undo (see `parity jobs history`).")],
    direct: Annotated[
        bool | None,
        typer.Option(
            "--direct/--through-wordpress",
            help="How to write (default: the way the import wrote).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Roll back even if later runs changed the same articles."),
    ] = False,
    wp_root: WpRootOption = None,
    wp_config: WpConfigOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Undo an import run: delete what it created, restore what it updated.

    Posts it pruned come back out of the trash. Exit 1 when the rollback or its check
    fails.
    """
    settings = settings_from(ctx)
    with open_store(settings.state_url()) as store:
        scope = import_run(store, run).scope  # the environment the import wrote to
        with (
            Database.connect(settings.environment(scope)) as db,
            rows_progress(err_console, unit="posts") as progress,
        ):
            record = rollback_import(
                settings,
                run,
                db=db,
                store=store,
                direct=direct,
                force=force,
                wordpress=WordPressLocation(root=wp_root, config_name=wp_config),
                progress=RunProgress(progress, f"rollback of run {run}"),
            )
    finish_run(record, format)


@app.command("similar")
def similar(
    ctx: typer.Context,
    env: Annotated[
        str | None, typer.Argument(help="The environment to update.", show_default=False)
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Similar posts per post.")] = 5,
    only_imported: Annotated[
        bool,
        typer.Option("--only-imported", help="Compute lists for imported articles only."),
    ] = False,
    format: FormatOption = OutputFormat.table,
    old_env: DeprecatedEnvOption = None,
) -> None:
    """Store every published post's similar posts as post meta; render the "Similar
    Posts" section of imported articles. Safe to run again: unchanged lists are not
    rewritten.

    Each rebuild is a run of the `content-similar` job, recorded in the ledger with its
    owner, expected result and rollback note (`parity jobs history content-similar`).
    Exit 1 when the run or its check fails."""
    env = environment_given(env, old_env)
    if top < 1:
        raise InputError(f"--top must be at least 1, not {top}")
    settings = settings_from(ctx)
    with (
        Database.connect(settings.environment(env)) as db,
        open_store(settings.state_url()) as store,
    ):
        # scikit-learn loads slowly: only the commands that use it import it.
        from parity.content.similar_job import rebuild_similar

        record, result = rebuild_similar(
            settings, db=db, store=store, top=top, only_imported=only_imported
        )
    if result is None:
        finish_run(record, format)
        return
    emit(
        format,
        _similar_json(result, record),
        lambda: _show_similar(result, record),
        code=0 if record.ok else 1,
    )


def _similar_json(result: SimilarResult, record: RunRecord) -> dict[str, object]:
    return {
        "run": record.as_dict(),
        "environment": result.environment,
        "posts": result.posts,
        "lists": len(result.lists),
        "meta_written": result.meta_written,
        "meta_unchanged": result.meta_unchanged,
        "sections_written": result.sections_written,
        "sections_unchanged": result.sections_unchanged,
        "similar": [
            {
                "post_id": post_id,
                "title": result.titles[post_id],
                "similar": [
                    {"post_id": n.post_id, "title": result.titles[n.post_id], "score": n.score}
                    for n in neighbours
                ],
            }
            for post_id, neighbours in result.lists.items()
        ],
    }


def _show_similar(result: SimilarResult, record: RunRecord) -> None:
    shown = list(result.lists.items())[:10]
    for post_id, neighbours in shown:
        console.print(f"{post_id} {result.titles[post_id]}", markup=False, soft_wrap=True)
        for n in neighbours:
            console.print(
                f"    {n.score:.3f}  {n.post_id} {result.titles[n.post_id]}",
                markup=False,
                soft_wrap=True,
            )
    if len(result.lists) > len(shown):
        console.print(f"... and {len(result.lists) - len(shown)} more posts", markup=False)
    console.print(
        f"{result.environment}: {len(result.lists)} lists from {result.posts} published posts;"
        f" post meta written {result.meta_written}, unchanged {result.meta_unchanged};"
        f" sections written {result.sections_written}, unchanged {result.sections_unchanged}",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"run {record.id} ({record.job}): {record.status}; check {record.check_status}",
        markup=False,
        soft_wrap=True,
    )


@app.command("duplicates")
def duplicates(
    ctx: typer.Context,
    env: Annotated[
        str | None, typer.Argument(help="The environment to check.", show_default=False)
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Least similarity (Jaccard of word pairs), in (0, 1]."),
    ] = 0.65,  # duplicates.DEFAULT_THRESHOLD, written out: that module loads datasketch
    format: FormatOption = OutputFormat.table,
    old_env: DeprecatedEnvOption = None,
) -> None:
    """List clusters of near-duplicate posts (published, pending, draft). Exit 1 when
    there is any."""
    env = environment_given(env, old_env)
    if not 0 < threshold <= 1:
        raise InputError(f"--threshold must be above 0 and at most 1, not {threshold:g}")
    environment = settings_from(ctx).environment(env)
    with Database.connect(environment) as db:
        from parity.content.similar_service import find_duplicates

        result = find_duplicates(db, threshold=threshold)
    emit(
        format,
        _duplicates_json(result),
        lambda: _show_duplicates(result),
        code=1 if result.clusters else 0,
    )


def _duplicates_json(result: DuplicatesResult) -> dict[str, object]:
    return {
        "environment": result.environment,
        "posts": result.posts,
        "threshold": result.threshold,
        "clusters": [
            {
                "similarity": cluster.similarity,
                "posts": [
                    {
                        "post_id": post_id,
                        "title": result.titles[post_id],
                        "status": result.statuses[post_id],
                    }
                    for post_id in cluster.post_ids
                ],
                "matches": [
                    {"post_ids": [p.first, p.second], "similarity": p.similarity}
                    for p in cluster.pairs
                ],
            }
            for cluster in result.clusters
        ],
    }


def _show_duplicates(result: DuplicatesResult) -> None:
    for number, cluster in enumerate(result.clusters, 1):
        console.print(
            f"cluster {number}: similarity {cluster.similarity:.2f}", markup=False, soft_wrap=True
        )
        for post_id in cluster.post_ids:
            console.print(
                f"    {post_id} [{result.statuses[post_id]}] {result.titles[post_id]}",
                markup=False,
                soft_wrap=True,
            )
    console.print(
        f"{result.environment}: {len(result.clusters)} clusters of near-duplicates among"
        f" {result.posts} posts (threshold {result.threshold:g})",
        markup=False,
        soft_wrap=True,
    )
