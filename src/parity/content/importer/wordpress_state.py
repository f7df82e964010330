"""What the target WordPress holds, read from its database (reads only).

Both import paths plan from these reads: which source ids already have posts (and with
which content hash), and, before a post is updated, a snapshot of what the update will
change, kept as the run's undo data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parity.content.importer.postdata import (
    BOOKKEEPING_KEYS,
    HASH_KEY,
    META_PREFIX,
    RUN_KEY,
    SOURCE_ID_KEY,
)
from parity.environments import EnvironmentSettings
from parity.errors import ConfigError
from parity.targets.database import Database, quote_identifier

__all__ = ["LivePost", "SiteDefaults", "WordPressState", "managed_meta_sql"]

#: Post statuses that do not count as a live post of an article.
DEAD_STATUSES = ("trash", "auto-draft", "inherit")
_CHUNK = 1000
_BY_KEY_FROM = 2000


def managed_meta_sql(column: str = "meta_key") -> tuple[str, list[str]]:
    """SQL (and its parameters) matching the meta keys the import owns.

    >>> managed_meta_sql()[0]
    '(meta_key LIKE %s OR meta_key IN (%s, %s, %s))'
    """
    marks = ", ".join(["%s"] * len(BOOKKEEPING_KEYS))
    like = META_PREFIX.replace("_", "\\_") + "%"
    return f"({column} LIKE %s OR {column} IN ({marks}))", [like, *BOOKKEEPING_KEYS]


@dataclass(frozen=True)
class LivePost:
    """A post that carries an article's source id."""

    post_id: int
    status: str
    content_hash: str | None
    run_id: int | None


@dataclass(frozen=True)
class SiteDefaults:
    """Site settings a bulk import needs to write posts as WordPress would."""

    home: str
    comment_status: str
    ping_status: str
    timezone: dt.tzinfo

    def now(self) -> tuple[str, str]:
        """The current time as WordPress writes it: (local, GMT) ``YYYY-MM-DD HH:MM:SS``."""
        utc = dt.datetime.now(dt.UTC).replace(microsecond=0)
        local = utc.astimezone(self.timezone)
        fmt = "%Y-%m-%d %H:%M:%S"
        return local.strftime(fmt), utc.strftime(fmt)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class WordPressState:
    """Reads of one environment's WordPress tables."""

    def __init__(self, db: Database, env: EnvironmentSettings) -> None:
        self.db = db
        self.env = env
        prefix = env.table_prefix
        self.posts = quote_identifier(f"{prefix}posts")
        self.postmeta = quote_identifier(f"{prefix}postmeta")
        self.terms = quote_identifier(f"{prefix}terms")
        self.term_taxonomy = quote_identifier(f"{prefix}term_taxonomy")
        self.term_relationships = quote_identifier(f"{prefix}term_relationships")
        self.options = quote_identifier(f"{prefix}options")
        self.users = quote_identifier(f"{prefix}users")
        self.usermeta = quote_identifier(f"{prefix}usermeta")
        self.comments = quote_identifier(f"{prefix}comments")
        self.commentmeta = quote_identifier(f"{prefix}commentmeta")

    def live_posts(self, *, with_meta: bool = True) -> dict[str, list[LivePost]]:
        """Source id -> the live posts carrying it (oldest first; more than one is a fault).

        ``with_meta=False`` leaves each post's hash and run unknown (``None``): one read
        fewer per key, for callers that fetch them for the posts they need
        (``post_meta``).

        Simple reads that use WordPress's indexes (statuses from ``type_status_date``,
        meta by ``meta_key``), not a join of ``postmeta`` with itself and with the post
        rows: on a site with millions of meta rows and a small buffer pool this stays fast.
        """
        dead = ", ".join(f"'{status}'" for status in DEAD_STATUSES)
        # Statuses from the (post_type, post_status, ...) index alone: no post rows read.
        statuses = {
            int(post_id): str(status)
            for post_id, status in self.db.query(
                f"SELECT ID, post_status FROM {self.posts}"
                f" WHERE post_type = 'post' AND post_status NOT IN ({dead})"
            )
        }
        sources = self._meta_by_post(SOURCE_ID_KEY)
        hashes = self._meta_by_post(HASH_KEY) if with_meta else {}
        runs = self._meta_by_post(RUN_KEY) if with_meta else {}
        found: dict[str, list[LivePost]] = {}
        for post_id, source_id in sorted(sources.items()):
            status = statuses.get(post_id)
            if status is None:
                continue
            run = runs.get(post_id)
            run_id = int(run) if run is not None and run.isdigit() else None
            found.setdefault(source_id, []).append(
                LivePost(post_id, status, hashes.get(post_id), run_id)
            )
        return found

    def _meta_by_post(self, key: str) -> dict[int, str]:
        """Post id -> the first value of meta ``key``, for every post that has it."""
        result: dict[int, str] = {}
        for post_id, value in self.db.query(
            f"SELECT post_id, meta_value FROM {self.postmeta} WHERE meta_key = %s ORDER BY meta_id",
            [key],
        ):
            result.setdefault(int(post_id), str(value))
        return result

    def post_statuses(self, post_ids: Sequence[int]) -> dict[int, str]:
        """Post id -> status, for the posts that exist."""
        result: dict[int, str] = {}
        for chunk in _chunks(list(post_ids)):
            marks = ", ".join(["%s"] * len(chunk))
            rows = self.db.query(
                f"SELECT ID, post_status FROM {self.posts} WHERE ID IN ({marks})", list(chunk)
            )
            result.update({int(i): str(s) for i, s in rows})
        return result

    def post_meta(self, post_ids: Sequence[int], key: str) -> dict[int, str]:
        """Post id -> the value of meta ``key`` (the first, when there are several).

        For many posts, one read of every ``key`` row (by the ``meta_key`` index) beats
        looking the posts up a thousand at a time.
        """
        ids = list(post_ids)
        if len(ids) > _BY_KEY_FROM:
            wanted = set(ids)
            return {i: v for i, v in self._meta_by_post(key).items() if i in wanted}
        result: dict[int, str] = {}
        for chunk in _chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            rows = self.db.query(
                f"SELECT post_id, meta_value FROM {self.postmeta}"
                f" WHERE meta_key = %s AND post_id IN ({marks}) ORDER BY meta_id",
                [key, *chunk],
            )
            for post_id, value in rows:
                result.setdefault(int(post_id), str(value))
        return result

    def snapshots(self, post_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """What an update changes, per post: title, content, excerpt, owned meta, tags."""
        ids = list(post_ids)
        snaps: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            marks = ", ".join(["%s"] * len(chunk))
            for post_id, title, content, excerpt, status in self.db.query(
                f"SELECT ID, post_title, post_content, post_excerpt, post_status"
                f" FROM {self.posts} WHERE ID IN ({marks})",
                list(chunk),
            ):
                snaps[int(post_id)] = {
                    "post_id": int(post_id),
                    "title": title,
                    "content": content,
                    "excerpt": excerpt,
                    "status": status,
                    "meta": [],
                    "tags": [],
                }
            managed, managed_params = managed_meta_sql()
            for post_id, key, value in self.db.query(
                f"SELECT post_id, meta_key, meta_value FROM {self.postmeta}"
                f" WHERE post_id IN ({marks}) AND {managed} ORDER BY meta_id",
                [*chunk, *managed_params],
            ):
                snaps[int(post_id)]["meta"].append([key, value])
            for post_id, name in self.db.query(
                f"SELECT tr.object_id, t.name FROM {self.term_relationships} tr"
                f" JOIN {self.term_taxonomy} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id"
                f" JOIN {self.terms} t ON t.term_id = tt.term_id"
                f" WHERE tt.taxonomy = 'post_tag' AND tr.object_id IN ({marks})"
                f" ORDER BY tr.term_order, t.name",
                list(chunk),
            ):
                snaps[int(post_id)]["tags"].append(name)
        return snaps

    def option(self, name: str) -> str | None:
        """An option's raw value (None when missing)."""
        value = self.db.scalar(
            f"SELECT option_value FROM {self.options} WHERE option_name = %s", [name]
        )
        return None if value is None else str(value)

    def site_defaults(self) -> SiteDefaults:
        """Home URL, default comment and ping status, and the site's time zone."""
        home = (self.option("home") or self.env.url).rstrip("/")
        zone: dt.tzinfo = dt.UTC
        name = self.option("timezone_string") or ""
        if name:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                zone = dt.UTC
        else:
            try:
                offset = float(self.option("gmt_offset") or 0)
            except ValueError:
                offset = 0.0
            zone = dt.timezone(dt.timedelta(hours=offset))
        return SiteDefaults(
            home=home,
            comment_status=self.option("default_comment_status") or "open",
            ping_status=self.option("default_ping_status") or "open",
            timezone=zone,
        )

    def author_id(self, login: str | None) -> int:
        """The user id of ``login``, or of the first administrator when not given."""
        if login:
            value = self.db.scalar(f"SELECT ID FROM {self.users} WHERE user_login = %s", [login])
            if value is None:
                raise ConfigError(f"{self.env.name}: no WordPress user {login!r}")
            return int(value)
        capabilities = f"{self.env.table_prefix}capabilities"
        value = self.db.scalar(
            f"SELECT u.ID FROM {self.users} u JOIN {self.usermeta} m ON m.user_id = u.ID"
            f" WHERE m.meta_key = %s AND m.meta_value LIKE %s ORDER BY u.ID LIMIT 1",
            [capabilities, '%"administrator"%'],
        )
        if value is None:
            raise ConfigError(
                f"{self.env.name}: no administrator to own imported posts",
                hint="pass --author LOGIN",
            )
        return int(value)
