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
from typing import Annotated

import typer

from parity.cli.context import settings_from
from parity.cli.jobs_cmd import RunProgress, finish_run
from parity.cli.output import FormatOption, OutputFormat, console, err_console, print_json
from parity.cli.progress import rows_progress
from parity.content import Article, synthesize, write_articles_dir, write_jsonl
from parity.content.importer import (
    ImportRequest,
    WordPressLocation,
    import_articles,
    rollback_import,
)
from parity.errors import InputError
from parity.store import open_store

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
    if format is OutputFormat.json:
        print_json(
            {
                "count": written,
                "seed": seed,
                "to": target,
                "seconds": round(seconds, 3),
                "articles_per_s": round(rate),
            }
        )
    else:
        console.print(
            f"wrote {written} articles (seed {seed}) to {target} in {seconds:.1f} s"
            f" ({rate:,.0f} articles/s)",
            markup=False,
        )


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Article files (.txt, .jsonl) or folders of them.", exists=True),
    ],
    env: Annotated[str, typer.Option("--env", "-e", help="The environment to import into.")],
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
    wp_root: WpRootOption = None,
    wp_config: WpConfigOption = None,
    format: FormatOption = OutputFormat.table,
) -> None:
    """Import articles as posts, keyed by their source id: safe to run again.

    New posts are pending review and marked noindex; changed articles update their
    post; posts missing from the source are reported (trashed with --prune). Exit 1
    when the run or its expected-result check fails.
    """
    settings = settings_from(ctx)
    request = ImportRequest(
        env=env,
        paths=tuple(paths),
        status=str(status),
        direct=direct,
        prune=prune,
        recheck=recheck,
        batch_size=batch_size,
        author=author,
        wordpress=WordPressLocation(root=wp_root, config_name=wp_config),
        workers=workers,
    )
    store = open_store(settings.state_url())
    try:
        with rows_progress(err_console, unit="articles") as progress:
            record = import_articles(
                settings, request, store=store, progress=RunProgress(progress, f"import to {env}")
            )
    finally:
        store.close()
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
    store = open_store(settings.state_url())
    try:
        with rows_progress(err_console, unit="posts") as progress:
            record = rollback_import(
                settings,
                run,
                store=store,
                direct=direct,
                force=force,
                wordpress=WordPressLocation(root=wp_root, config_name=wp_config),
                progress=RunProgress(progress, f"rollback of run {run}"),
            )
    finally:
        store.close()
    finish_run(record, format)
