"""After a swap (or a rollback): drop the target's cached pages that now show old data.

The cache endpoints parity knows purge one URL at a time, so a refresh purges the
policy's ``purge_paths`` (``/`` and ``/feed/`` by default) and the permalinks of the
latest published posts and pages. A purge that fails is a warning, not a failure: the
data is already swapped.
"""

from __future__ import annotations

from parity.environments import EnvironmentSettings
from parity.errors import ParityError
from parity.refresh.settings import RefreshSection
from parity.targets.cache import HttpPurger
from parity.targets.database import Database, quote_identifier

__all__ = ["post_paths", "purge_target"]


def post_paths(db: Database, prefix: str, limit: int) -> list[str]:
    """Paths of the ``limit`` latest published posts and pages of the live tables."""
    if limit <= 0:
        return []
    posts = quote_identifier(prefix + "posts")
    options = quote_identifier(prefix + "options")
    try:
        structure = db.scalar(
            f"SELECT option_value FROM {options} WHERE option_name = 'permalink_structure'"
        )
        rows = db.query(
            f"SELECT ID, post_name FROM {posts} WHERE post_status = 'publish'"
            " AND post_type IN ('post', 'page') ORDER BY post_modified_gmt DESC LIMIT %s",
            [limit],
        )
    except ParityError:
        return []
    pretty = str(structure or "").strip("/") == "%postname%"
    paths = []
    for post_id, name in rows:
        paths.append(f"/{name}/" if pretty and name else f"/?p={int(post_id)}")
    return paths


def purge_target(
    target: EnvironmentSettings, policy: RefreshSection, db: Database
) -> tuple[list[str], list[str]]:
    """Purge the target's cache, if it has one; returns (paths purged, warnings)."""
    if target.cache is None or target.cache.kind == "none":
        return [], []
    paths = list(
        dict.fromkeys(
            [*policy.purge_paths, *post_paths(db, target.table_prefix, policy.purge_recent_posts)]
        )
    )
    purged: list[str] = []
    purger = HttpPurger(target)
    try:
        for path in paths:
            try:
                purger.purge(path)
            except ParityError as exc:
                return purged, [f"cache purge stopped: {exc.one_line()}"]
            purged.append(path)
    finally:
        purger.close()
    return purged, []
