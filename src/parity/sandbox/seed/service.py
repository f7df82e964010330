"""``seed_production``: fill the sandbox's production site with what a real site holds.

The sample article (shipped as package data), ``articles`` synthesized ones, their
uploaded images (real PNG files in production's uploads/), categories and tags, comments,
the site's staff, a plugin's serialized settings and transients::

    result = seed_production(Sandbox(Path(".parity/sandbox")), articles=200, seed=1)
    result.counts["articles"].added, result.sample.url

Safe to run again: the second run with the same arguments writes nothing. After a run
that changed anything, production's Varnish cache is emptied (a ban), so pages show the
new content at once.
"""

from __future__ import annotations

import time
from collections import Counter
from importlib import resources
from pathlib import Path

from parity.content import Article, parse_article, synthesize
from parity.errors import InputError, SandboxError
from parity.sandbox.layout import DEFAULT_STATE_DIR
from parity.sandbox.manager import Sandbox
from parity.sandbox.packages import find_tools
from parity.sandbox.seed.media import UploadedImage
from parity.sandbox.seed.model import SeedPlan, UploadFile
from parity.sandbox.seed.plan import article_key, build_plan
from parity.sandbox.seed.result import KindCount, SampleArticle, SeedResult
from parity.sandbox.seed.writer import SeedWriter
from parity.sandbox.varnish import Varnish
from parity.sandbox.wordpress import TABLE_PREFIX
from parity.targets.root_connection import RootConnection, RootSqlError

__all__ = [
    "DEFAULT_ARTICLES",
    "DEFAULT_SEED",
    "MAX_ARTICLES",
    "SAMPLE_FILE",
    "SAMPLE_SLUG",
    "sample_article",
    "seed_production",
]

#: Synthesized articles a seed adds when not told otherwise.
DEFAULT_ARTICLES = 200
#: The synthesizer's seed when not told otherwise.
DEFAULT_SEED = 1
#: More than this is a load test, not a demo: use `parity content synth` + `import`.
MAX_ARTICLES = 20_000
#: The sample article, in ``parity/sandbox/demo_data/``.
SAMPLE_FILE = "alphanode-021452.txt"
#: The sample's slug, shortened from its long title as an editor would.
SAMPLE_SLUG = "keeping-staging-close-to-production"
_SITE = "production"
_WRITTEN_TABLES = (
    "users",
    "usermeta",
    "terms",
    "term_taxonomy",
    "termmeta",
    "term_relationships",
    "posts",
    "postmeta",
    "comments",
    "commentmeta",
    "options",
)


def sample_article() -> Article:
    """The sample article shipped with parity (``demo_data/alphanode-021452.txt``)."""
    data = resources.files("parity.sandbox").joinpath("demo_data", SAMPLE_FILE)
    return parse_article(data.read_text("utf-8"), source=SAMPLE_FILE)


def seed_production(
    sandbox: Sandbox, *, articles: int = DEFAULT_ARTICLES, seed: int = DEFAULT_SEED
) -> SeedResult:
    """Make the sandbox's production hold the sample article and ``articles`` synthesized
    ones (run ``seed``), with everything around them; what was added, per kind.

    The sandbox must be running (``sandbox.up()``).
    """
    if not 0 <= articles <= MAX_ARTICLES:
        raise InputError(f"--articles must be between 0 and {MAX_ARTICLES}, not {articles}")
    if seed < 0:
        raise InputError(f"--seed must be zero or more, not {seed}")
    started = time.monotonic()
    _require_running(sandbox)
    sample = sample_article()
    url = sandbox.production_url
    plan = build_plan(
        url,
        [sample, *synthesize(articles, seed)],
        seed=seed,
        table_prefix=TABLE_PREFIX,
        slugs={sample.source_id: SAMPLE_SLUG},
    )
    database = sandbox.database(_SITE)
    conn = _connect(sandbox, database)
    writer = SeedWriter(conn, TABLE_PREFIX)
    try:
        ids = writer.apply(plan)
        conn.commit()
    except RootSqlError as exc:
        conn.rollback()
        raise SandboxError(
            f"seeding {database} failed: {exc.message}",
            hint=f"nothing was written; see {sandbox.layout.mariadb_log}",
        ) from None
    finally:
        conn.close()
    counts = writer.counts
    _describe(plan, counts)
    uploads = sandbox.layout.wp_content(_SITE) / "uploads"
    _remove_files(uploads, writer.stale_uploads, counts["files"])
    _write_files(uploads, plan.files, counts["files"])
    result = SeedResult(
        url=url,
        database=database,
        articles=articles,
        seed=seed,
        counts=counts,
        sample=_sample(plan.post(article_key(sample.source_id)).name, sample, ids, url),
    )
    if result.changed:
        _analyze(sandbox, database)
        _empty_cache(sandbox)
    result.seconds = time.monotonic() - started
    return result


def _require_running(sandbox: Sandbox) -> None:
    status = sandbox.status()
    if not status.running:
        default = sandbox.state_dir == DEFAULT_STATE_DIR.resolve()
        flag = "" if default else f" --state-dir {sandbox.state_dir}"
        raise SandboxError(
            f"the sandbox in {sandbox.state_dir} is not running",
            hint=f"start it with `parity sandbox up{flag}`",
        )


def _connect(sandbox: Sandbox, database: str) -> RootConnection:
    try:
        return RootConnection.connect(sandbox.root_socket, database=database, autocommit=False)
    except RootSqlError as exc:
        raise SandboxError(
            f"cannot log in to the sandbox's MariaDB as root: {exc.message}",
            hint=f"see {sandbox.layout.mariadb_log}",
        ) from None


def _describe(plan: SeedPlan, counts: dict[str, KindCount]) -> None:
    """Examples of what each kind of post and comment holds, for the report."""
    for kind, post_kind in (("articles", "article"), ("pages", "page")):
        counts[kind].examples = [f"/{p.name}/" for p in plan.posts if p.kind == post_kind][:3]
    counts["attachments"].examples = [
        value for p in plan.posts for key, value in p.meta if key == "_wp_attached_file"
    ][:2]
    statuses = Counter(c.approved for c in plan.comments)
    names = {"1": "approved", "0": "pending", "spam": "spam"}
    counts["comments"].examples = [f"{n} {names[s]}" for s, n in sorted(statuses.items())]


def _analyze(sandbox: Sandbox, database: str) -> None:
    """Refresh the table statistics after a bulk write, as a long-lived site's are."""
    tables = ", ".join(f"`{TABLE_PREFIX}{name}`" for name in _WRITTEN_TABLES)
    conn = _connect(sandbox, database)
    try:
        conn.rows(f"ANALYZE TABLE {tables}")
    except RootSqlError:
        pass  # statistics are a nicety: the seed itself is committed
    finally:
        conn.close()


def _sample(slug: str, article: Article, ids: dict[str, int], url: str) -> SampleArticle:
    path = f"/{slug}/"
    return SampleArticle(
        source_id=article.source_id,
        title=article.title,
        post_id=ids[article_key(article.source_id)],
        path=path,
        url=url + path,
    )


def _write_files(uploads: Path, files: tuple[UploadFile, ...], count: KindCount) -> None:
    """Write the uploads that are missing or differ; count them."""
    for upload in files:
        path = uploads / upload.path
        try:
            same = path.stat().st_size == len(upload.data) and path.read_bytes() == upload.data
            state = "unchanged" if same else "updated"
        except FileNotFoundError:
            state = "added"
        if state != "unchanged":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(upload.data)
        count.count(state)
    count.examples = [f.path for f in files[:3]]


def _remove_files(uploads: Path, attached: list[str], count: KindCount) -> None:
    """Remove the files of deleted attachments (the upload and its intermediate sizes)."""
    for file in attached:
        if not file.endswith(".png") or ".." in file:
            continue
        image = UploadedImage(file.removesuffix(".png"), palette=0)
        for path, _data in image.files():
            try:
                (uploads / path).unlink()
            except FileNotFoundError:
                continue
            count.count("removed")


def _empty_cache(sandbox: Sandbox) -> None:
    """Ban everything production's Varnish holds (the sandbox's own cache, not a purge
    parity commands would do: those go one URL at a time through the purge endpoint)."""
    cache = Varnish(find_tools(), sandbox.layout, sandbox.ports, _SITE)
    cache.admin("ban", "req.url", "~", ".")
