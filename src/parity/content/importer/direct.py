"""``--direct``: write imported posts with bulk SQL, one transaction per batch.

What WordPress would write, without running WordPress: the same post columns (a pending
or draft post has no slug and a zero GMT date, as ``wp_insert_post`` leaves them), meta
stored as ``update_post_meta`` stores it (arrays PHP-serialized), tags found or created
with unique slugs, published tag counts kept right. No hooks run: plugins that react to
new posts (search indexes, caches) do not hear about these.

Each batch is one transaction: it is written entirely or not at all.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Iterable, Sequence

from parity.content.importer.postdata import SOURCE_ID_KEY, PostData, bookkeeping_meta
from parity.content.importer.sanitize import slugify
from parity.content.importer.sql_literals import POST_ID, BulkSql, bulk_sql, sql_string
from parity.content.importer.wordpress_state import SiteDefaults, WordPressState, managed_meta_sql
from parity.content.importer.writer import NewPost, Outcome, PostUpdate, Snapshot
from parity.environments import EnvironmentSettings
from parity.errors import DatabaseError, LockHeld, ParityError
from parity.targets.database import Database, Writer
from parity.wordpress.columns import POST_COLUMNS

log = logging.getLogger(__name__)

__all__ = ["DirectWriter"]

_ZERO_DATE = "0000-00-00 00:00:00"
_TRASHED = "__trashed"
_UNPUBLISHED = frozenset({"draft", "pending", "auto-draft"})
_META_ROWS_PER_STATEMENT = 4000
_STATEMENT_CHARS = 4_000_000
_SLUG_MAX = 200
# The session modes WordPress itself removes (wpdb::set_sql_mode), so that the zero
# dates of unpublished posts are accepted as WordPress writes them.
_INCOMPATIBLE_MODES = frozenset(
    {
        "NO_ZERO_DATE",
        "ONLY_FULL_GROUP_BY",
        "STRICT_TRANS_TABLES",
        "STRICT_ALL_TABLES",
        "TRADITIONAL",
        "ANSI",
        "NO_ZERO_IN_DATE",
        "NO_BACKSLASH_ESCAPES",  # WordPress escapes with backslashes, and so does parity
    }
)


@functools.lru_cache(maxsize=256)
def _literal(value: str) -> str:
    """``sql_string`` of a value that recurs (meta keys, statuses), remembered."""
    return sql_string(value)


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


#: How long a new import waits for the session of a previous (killed) one to end.
WRITER_LOCK_WAIT_S = 30


class DirectWriter:
    """Writes posts to one environment's tables with bulk SQL."""

    path = "direct"

    def __init__(self, db: Database, env: EnvironmentSettings, author_id: int) -> None:
        self.db = db
        self.env = env
        # The writing session holds this lock until it ends. A killed run's session can
        # still be committing its last batch on the server: waiting for its lock means a
        # resumed run reconciles against what that batch really wrote, not half of it.
        lock = f"parity-import:{env.db.database}"[:64]
        self._lock = lock
        if not db.wait_for_lock(lock, WRITER_LOCK_WAIT_S):
            raise LockHeld(
                f"another import is writing to {env.name}'s database",
                hint="wait for it to finish, then run the import again",
            )
        self.state = WordPressState(db, env)
        self.defaults: SiteDefaults = self.state.site_defaults()
        self.author_id = author_id
        self._tag_ids: dict[str, int] = {}  # lower-case name -> term_taxonomy_id
        self._default_category = self._category_tt_id()
        self._pretty_permalinks = self.state.option("permalink_structure") == "/%postname%/"
        modes = str(db.scalar("SELECT @@SESSION.sql_mode") or "")
        kept = [m for m in modes.split(",") if m and m not in _INCOMPATIBLE_MODES]
        db.query("SET SESSION sql_mode = %s", [",".join(kept)])
        charset = str(db.scalar("SELECT @@SESSION.character_set_connection") or "")
        if charset != "utf8mb4":  # sql_literals' escaping is exact for utf8mb4 only
            raise DatabaseError(f"{env.name}: the session's character set is {charset}")

    def close(self) -> None:
        """Give back the writing lock (the connection is the caller's, who opened it)."""
        try:
            self.db.release_lock(self._lock)
        except ParityError as exc:  # a dead session has released it already
            log.warning("could not release %s: %s", self._lock, exc.one_line())

    def _category_tt_id(self) -> int | None:
        """The term_taxonomy_id of the default category (WordPress files new posts there)."""
        term_id = self.state.option("default_category")
        if not term_id or not term_id.isdigit():
            return None
        value = self.db.scalar(
            f"SELECT term_taxonomy_id FROM {self.state.term_taxonomy}"
            f" WHERE taxonomy = 'category' AND term_id = %s",
            [int(term_id)],
        )
        return None if value is None else int(value)

    # -- creating ------------------------------------------------------------------

    def create(self, posts: Sequence[NewPost], run_id: int) -> list[Outcome]:
        """Insert the posts, their meta and tags in one transaction.

        The statements carry their values as literals (``sql_literals``), mostly rendered
        ahead by the processes that prepared the articles: no per-value driver work here.
        """
        if not posts:
            return []
        new_tags: dict[str, int] = {}
        rendered = [p.post.bulk or _render(p.post) for p in posts]
        with self.db.transaction(action="import articles with bulk SQL") as tx:
            ids = self._insert_posts(tx, posts, rendered, run_id)
            rows: list[str] = []  # one entry per post: all its meta rows
            for post_id, new, sql in zip(ids, posts, rendered, strict=True):
                meta = bookkeeping_meta(new.post, run_id=run_id, noindex=new.noindex)
                parts = [f"({post_id}, {_literal(k)}, {sql_string(v)})" for k, v in meta]
                if sql.meta_rows:
                    parts.append(sql.meta_rows.replace(POST_ID, str(post_id)))
                rows.append(", ".join(parts))
            self._insert_rows(tx, self.state.postmeta, "post_id, meta_key, meta_value", rows)
            tags = self._tag_ids_for(tx, [t for p in posts for t in p.post.tags], new_tags)
            pairs = [(i, p.post.tags) for i, p in zip(ids, posts, strict=True)]
            touched = set(tags.values())
            if self._default_category is not None:
                # WordPress files every new post under the default category.
                pairs += [(i, ()) for i in ids]
                touched.add(self._default_category)
            self._relate(tx, pairs, tags, category=self._default_category)
            if any(p.status == "publish" for p in posts):
                self._recount(tx, touched)
        self._tag_ids.update(new_tags)
        return [Outcome(post_id, True) for post_id in ids]

    def _insert_posts(
        self, tx: Writer, posts: Sequence[NewPost], rendered: Sequence[BulkSql], run_id: int
    ) -> list[int]:
        local, gmt = self.defaults.now()
        slugs = self._unique_slugs([p.post.title if p.status == "publish" else "" for p in posts])
        # A placeholder guid per post, unique to this batch, padded to the length the
        # post's real guid will most likely have: InnoDB can then update the guid in
        # place, instead of rewriting the whole (large) row when its size changes.
        token = f"~parity{int(run_id)}.{uuid.uuid4().hex[:16]}."
        before = int(self.db.scalar(f"SELECT COALESCE(MAX(ID), 0) FROM {self.state.posts}"))
        home = self.defaults.home
        author = int(self.author_id)
        comment = sql_string(self.defaults.comment_status)
        ping = sql_string(self.defaults.ping_status)
        local_sql, gmt_sql = sql_string(local), sql_string(gmt)
        rows = []
        for number, (new, sql, slug) in enumerate(zip(posts, rendered, slugs, strict=True)):
            date_gmt = sql_string(_ZERO_DATE) if new.status in _UNPUBLISHED else gmt_sql
            if slug and self._pretty_permalinks:
                guid_length = len(home) + len(slug) + 2
            else:
                guid_length = len(f"{home}/?p={before + 1 + number}")
            placeholder = f"{token}{number}".ljust(guid_length, "~")
            rows.append(
                f"({author}, {local_sql}, {date_gmt}, {sql.text_columns},"
                f" {_literal(new.status)}, {comment}, {ping}, '', {sql_string(slug)}, '', '',"
                f" {local_sql}, {gmt_sql}, '', 0, {sql_string(placeholder)}, 0, 'post',"
                " '', 0)"
            )
        self._insert_rows(tx, self.state.posts, ", ".join(POST_COLUMNS), rows)
        # Map ids by the unique placeholder guids: right whatever ids the server gave.
        found = {
            str(guid).rstrip("~"): int(post_id)
            for post_id, guid in self.db.query(
                f"SELECT ID, guid FROM {self.state.posts} WHERE ID > %s AND guid LIKE %s",
                [before, token + "%"],
            )
        }
        ids = [found[f"{token}{number}"] for number in range(len(posts))]
        # wp_insert_post sets the guid to the permalink the post has when it is created.
        pretty = {i: slug for i, slug in zip(ids, slugs, strict=True) if slug}
        if not self._pretty_permalinks:
            pretty = {}
        plain = [i for i in ids if i not in pretty]
        if plain:
            tx.execute(
                f"UPDATE {self.state.posts} SET guid = CONCAT(%s, ID)"
                f" WHERE ID IN ({', '.join(str(i) for i in plain)})",
                [f"{self.defaults.home}/?p="],
            )
        if pretty:
            # One statement for the batch (a CASE on the id), not one round trip per post.
            cases = " ".join(f"WHEN {i} THEN %s" for i in pretty)
            tx.execute(
                f"UPDATE {self.state.posts} SET guid = CASE ID {cases} END"
                f" WHERE ID IN ({', '.join(str(i) for i in pretty)})",
                [f"{self.defaults.home}/{slug}/" for slug in pretty.values()],
            )
        return ids

    def _insert_rows(self, tx: Writer, table: str, columns: str, rows: Sequence[str]) -> None:
        """INSERT rows already rendered as SQL, in statements of at most a few MB.

        The bound keeps every statement well under the server's ``max_allowed_packet``
        (16 MB by default), whatever the batch size and the posts' length.
        """
        start = 0
        while start < len(rows):
            end, size = start, 0
            while end < len(rows) and (end == start or size + len(rows[end]) < _STATEMENT_CHARS):
                size += len(rows[end]) + 2
                end += 1
            # No parameters: the driver sends the statement as it is (no % formatting).
            tx.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows[start:end])}")
            start = end

    def _unique_slugs(self, titles: Sequence[str]) -> list[str]:
        """Slugs for published posts ("" for the others), unique among posts."""
        bases = [slugify(t)[:_SLUG_MAX] or "post" if t else "" for t in titles]
        wanted = sorted({b for b in bases if b})
        if not wanted:
            return bases
        taken = {
            str(row[0])
            for row in self.db.query(
                f"SELECT post_name FROM {self.state.posts}"
                f" WHERE post_type = 'post' AND post_name IN ({_marks(len(wanted))})",
                wanted,
            )
        }
        for base in wanted:
            if base in taken:
                like = base.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
                taken.update(
                    str(row[0])
                    for row in self.db.query(
                        f"SELECT post_name FROM {self.state.posts}"
                        f" WHERE post_type = 'post' AND post_name LIKE %s",
                        [like + "-%"],
                    )
                )
        result = []
        for base in bases:
            slug, number = base, 2
            while slug and slug in taken:
                suffix = f"-{number}"
                slug = base[: _SLUG_MAX - len(suffix)] + suffix
                number += 1
            if slug:
                taken.add(slug)
            result.append(slug)
        return result

    def _insert_meta(self, tx: Writer, rows: Sequence[tuple[int, str, str]]) -> None:
        rendered = [f"({int(i)}, {sql_string(k)}, {sql_string(v)})" for i, k, v in rows]
        self._insert_rows(tx, self.state.postmeta, "post_id, meta_key, meta_value", rendered)

    # -- tags ----------------------------------------------------------------------

    def _tag_ids_for(
        self, tx: Writer, names: Iterable[str], new_tags: dict[str, int]
    ) -> dict[str, int]:
        """Lower-case tag name -> term_taxonomy_id, creating missing tags."""
        wanted: dict[str, str] = {}
        for name in names:
            wanted.setdefault(name.lower(), name)
        result = {
            key: self._tag_ids.get(key) or new_tags[key]
            for key in wanted
            if key in self._tag_ids or key in new_tags
        }
        missing = {key: name for key, name in wanted.items() if key not in result}
        if not missing:
            return result
        slugs = {key: slugify(name) or name for key, name in missing.items()}
        params = [*slugs.values(), *missing.values()]
        rows = self.db.query(
            f"SELECT t.name, t.slug, tt.term_taxonomy_id FROM {self.state.terms} t"
            f" JOIN {self.state.term_taxonomy} tt"
            f" ON tt.term_id = t.term_id AND tt.taxonomy = 'post_tag'"
            f" WHERE t.slug IN ({_marks(len(slugs))}) OR t.name IN ({_marks(len(missing))})",
            params,
        )
        by_slug = {str(slug): int(tt) for _, slug, tt in rows}
        by_name = {str(name).lower(): int(tt) for name, _, tt in rows}
        for key in list(missing):
            found = by_slug.get(slugs[key]) or by_name.get(key)
            if found is not None:
                result[key] = found
                new_tags[key] = found
                del missing[key]
        if missing:
            created = self._create_tags(tx, {k: (missing[k], slugs[k]) for k in missing})
            result.update(created)
            new_tags.update(created)
        return result

    def _free_slugs(self, slugs: Sequence[str]) -> set[str]:
        """The slugs among ``slugs`` and their ``-N`` variants already used by any term."""
        taken = {
            str(row[0])
            for row in self.db.query(
                f"SELECT slug FROM {self.state.terms} WHERE slug IN ({_marks(len(slugs))})",
                list(slugs),
            )
        }
        for slug in list(taken):
            like = slug.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
            taken.update(
                str(row[0])
                for row in self.db.query(
                    f"SELECT slug FROM {self.state.terms} WHERE slug LIKE %s", [like + "-%"]
                )
            )
        return taken

    def _create_tags(self, tx: Writer, tags: dict[str, tuple[str, str]]) -> dict[str, int]:
        """Create tags (name, slug) with slugs unique among all terms, as WordPress does."""
        taken = self._free_slugs([slug for _, slug in tags.values()])
        final: dict[str, tuple[str, str]] = {}
        for key, (name, slug) in tags.items():
            unique, number = slug, 2
            while unique in taken:
                unique = f"{slug}-{number}"
                number += 1
            taken.add(unique)
            final[key] = (name, unique)
        tx.execute(
            f"INSERT INTO {self.state.terms} (name, slug, term_group)"
            f" VALUES {', '.join(['(%s, %s, 0)'] * len(final))}",
            [value for name, slug in final.values() for value in (name, slug)],
        )
        slugs = [slug for _, slug in final.values()]
        term_ids = {
            str(slug): int(term_id)
            for term_id, slug in self.db.query(
                f"SELECT term_id, slug FROM {self.state.terms}"
                f" WHERE slug IN ({_marks(len(slugs))})",
                slugs,
            )
        }
        ids = [term_ids[slug] for slug in slugs]
        row = "(%s, 'post_tag', '', 0, 0)"
        tx.execute(
            f"INSERT INTO {self.state.term_taxonomy}"
            f" (term_id, taxonomy, description, parent, count)"
            f" VALUES {', '.join([row] * len(ids))}",
            ids,
        )
        tt_ids = {
            int(term_id): int(tt)
            for term_id, tt in self.db.query(
                f"SELECT term_id, term_taxonomy_id FROM {self.state.term_taxonomy}"
                f" WHERE taxonomy = 'post_tag' AND term_id IN ({_marks(len(ids))})",
                ids,
            )
        }
        return {key: tt_ids[term_ids[slug]] for key, (_, slug) in final.items()}

    def _relate(
        self,
        tx: Writer,
        posts: Sequence[tuple[int, Sequence[str]]],
        tags: dict[str, int],
        *,
        category: int | None = None,
    ) -> None:
        """Link posts to their tags (and those given no tags to ``category``)."""
        rows = [
            f"({int(post_id)}, {int(tags[name.lower()])}, {order})"
            for post_id, names in posts
            for order, name in enumerate(names)
        ]
        if category is not None:
            rows += [
                f"({int(post_id)}, {int(category)}, 0)" for post_id, names in posts if not names
            ]
        for start in range(0, len(rows), _META_ROWS_PER_STATEMENT):
            tx.execute(
                f"INSERT IGNORE INTO {self.state.term_relationships}"
                f" (object_id, term_taxonomy_id, term_order)"
                f" VALUES {', '.join(rows[start : start + _META_ROWS_PER_STATEMENT])}"
            )

    def _post_tag_ids(self, post_ids: Sequence[int], *, categories: bool = False) -> set[int]:
        """The tags (and categories) of the posts, as term_taxonomy ids."""
        if not post_ids:
            return set()
        taxonomies = "'post_tag', 'category'" if categories else "'post_tag'"
        return {
            int(row[0])
            for row in self.db.query(
                f"SELECT DISTINCT tr.term_taxonomy_id FROM {self.state.term_relationships} tr"
                f" JOIN {self.state.term_taxonomy} tt"
                f" ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy IN ({taxonomies})"
                f" WHERE tr.object_id IN ({_marks(len(post_ids))})",
                list(post_ids),
            )
        }

    def _unrelate_tags(self, tx: Writer, post_ids: Sequence[int]) -> None:
        tx.execute(
            f"DELETE tr FROM {self.state.term_relationships} tr"
            f" JOIN {self.state.term_taxonomy} tt"
            f" ON tt.term_taxonomy_id = tr.term_taxonomy_id AND tt.taxonomy = 'post_tag'"
            f" WHERE tr.object_id IN ({_marks(len(post_ids))})",
            list(post_ids),
        )

    def _recount(self, tx: Writer, tt_ids: set[int]) -> None:
        """Published-post counts of tags, as ``_update_post_term_count`` keeps them."""
        if not tt_ids:
            return
        ids = sorted(tt_ids)
        tx.execute(
            f"UPDATE {self.state.term_taxonomy} tt SET count = ("
            f"SELECT COUNT(*) FROM {self.state.term_relationships} tr"
            f" JOIN {self.state.posts} p ON p.ID = tr.object_id"
            f" WHERE tr.term_taxonomy_id = tt.term_taxonomy_id"
            f" AND p.post_status = 'publish' AND p.post_type = 'post')"
            f" WHERE tt.term_taxonomy_id IN ({_marks(len(ids))})",
            ids,
        )

    # -- updating ------------------------------------------------------------------

    def _replace_meta(self, tx: Writer, post_ids: Sequence[int]) -> None:
        managed, params = managed_meta_sql()
        tx.execute(
            f"DELETE FROM {self.state.postmeta}"
            f" WHERE post_id IN ({_marks(len(post_ids))}) AND {managed}",
            [*post_ids, *params],
        )

    def update(self, updates: Sequence[PostUpdate], run_id: int) -> list[Outcome]:
        """Replace text, owned meta and tags of existing posts (status unchanged)."""
        if not updates:
            return []
        local, gmt = self.defaults.now()
        ids = [u.post_id for u in updates]
        new_tags: dict[str, int] = {}
        with self.db.transaction(action="update imported posts with bulk SQL") as tx:
            old_tags = self._post_tag_ids(ids)
            tx.executemany(
                f"UPDATE {self.state.posts} SET post_title = %s, post_content = %s,"
                f" post_excerpt = %s, post_modified = %s, post_modified_gmt = %s WHERE ID = %s",
                [
                    (u.post.title, u.post.content, u.post.excerpt, local, gmt, u.post_id)
                    for u in updates
                ],
            )
            self._replace_meta(tx, ids)
            rows: list[tuple[int, str, str]] = []
            for u in updates:
                meta = bookkeeping_meta(u.post, run_id=run_id, noindex=u.noindex)
                rows += [(u.post_id, k, v) for k, v in meta if k != SOURCE_ID_KEY]
                rows += [(u.post_id, k, v) for k, v in u.post.stored_meta]
            self._insert_meta(tx, rows)
            self._unrelate_tags(tx, ids)
            tags = self._tag_ids_for(tx, [t for u in updates for t in u.post.tags], new_tags)
            self._relate(tx, [(u.post_id, u.post.tags) for u in updates], tags)
            if any(u.published for u in updates):
                self._recount(tx, old_tags | set(tags.values()))
        self._tag_ids.update(new_tags)
        return [Outcome(post_id, True) for post_id in ids]

    # -- trash, delete, restore ----------------------------------------------------

    def trash(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Trash posts as ``wp_trash_post`` does: old status and slug kept in meta."""
        if not post_ids:
            return []
        ids = list(post_ids)
        rows = self.db.query(
            f"SELECT ID, post_status, post_name FROM {self.state.posts}"
            f" WHERE ID IN ({_marks(len(ids))}) AND post_status != 'trash'",
            ids,
        )
        existing = self.state.post_statuses(ids)
        if rows:
            now = str(int(time.time()))
            with self.db.transaction(action="trash imported posts with bulk SQL") as tx:
                moved = [int(row[0]) for row in rows]
                tags = self._post_tag_ids(moved, categories=True)
                tx.executemany(
                    f"UPDATE {self.state.posts} SET post_status = 'trash', post_name = %s"
                    f" WHERE ID = %s",
                    [(_trashed_name(str(name)), int(post_id)) for post_id, _, name in rows],
                )
                meta: list[tuple[int, str, str]] = []
                for post_id, status, name in rows:
                    meta.append((int(post_id), "_wp_trash_meta_status", str(status)))
                    meta.append((int(post_id), "_wp_trash_meta_time", now))
                    if not str(name).endswith(_TRASHED):
                        meta.append((int(post_id), "_wp_desired_post_slug", str(name)))
                self._insert_meta(tx, meta)
                if any(str(status) == "publish" for _, status, _ in rows):
                    self._recount(tx, tags)
        return [Outcome(i, i in existing, None if i in existing else "no such post") for i in ids]

    def untrash(self, posts: Sequence[tuple[int, str]]) -> list[Outcome]:
        """Give trashed posts their old status and slug back (``wp_untrash_post``)."""
        if not posts:
            return []
        ids = [post_id for post_id, _ in posts]
        desired = self.state.post_meta(ids, "_wp_desired_post_slug")
        with self.db.transaction(action="restore trashed posts with bulk SQL") as tx:
            tx.executemany(
                f"UPDATE {self.state.posts} SET post_status = %s,"
                f" post_name = COALESCE(%s, post_name) WHERE ID = %s AND post_status = 'trash'",
                [(status, desired.get(post_id), post_id) for post_id, status in posts],
            )
            tx.execute(
                f"DELETE FROM {self.state.postmeta} WHERE post_id IN ({_marks(len(ids))})"
                f" AND meta_key IN"
                f" ('_wp_trash_meta_status', '_wp_trash_meta_time', '_wp_desired_post_slug')",
                ids,
            )
            if any(status == "publish" for _, status in posts):
                self._recount(tx, self._post_tag_ids(ids, categories=True))
        return [Outcome(post_id, True) for post_id in ids]

    def delete(self, post_ids: Sequence[int]) -> list[Outcome]:
        """Delete posts and their revisions, meta, tag links and comments."""
        if not post_ids:
            return []
        ids = list(post_ids)
        existing = self.state.post_statuses(ids)
        with self.db.transaction(action="delete imported posts with bulk SQL") as tx:
            revisions = [
                int(row[0])
                for row in self.db.query(
                    f"SELECT ID FROM {self.state.posts} WHERE post_type = 'revision'"
                    f" AND post_parent IN ({_marks(len(ids))})",
                    ids,
                )
            ]
            every = ids + revisions
            tags = self._post_tag_ids(ids, categories=True)
            marks = _marks(len(every))
            comments, commentmeta = self.state.comments, self.state.commentmeta
            tx.execute(
                f"DELETE cm FROM {commentmeta} cm JOIN {comments} c"
                f" ON c.comment_ID = cm.comment_id WHERE c.comment_post_ID IN ({_marks(len(ids))})",
                ids,
            )
            tx.execute(f"DELETE FROM {comments} WHERE comment_post_ID IN ({_marks(len(ids))})", ids)
            tx.execute(f"DELETE FROM {self.state.postmeta} WHERE post_id IN ({marks})", every)
            tx.execute(
                f"DELETE FROM {self.state.term_relationships} WHERE object_id IN ({marks})", every
            )
            tx.execute(f"DELETE FROM {self.state.posts} WHERE ID IN ({marks})", every)
            self._recount(tx, tags)
        return [
            Outcome(i, True) if i in existing else Outcome(i, True, "already gone") for i in ids
        ]

    def restore(self, snapshots: Sequence[Snapshot]) -> list[Outcome]:
        """Put back the title, content, excerpt, owned meta and tags of each snapshot."""
        if not snapshots:
            return []
        ids = [int(s["post_id"]) for s in snapshots]
        existing = self.state.post_statuses(ids)
        present = [s for s in snapshots if int(s["post_id"]) in existing]
        new_tags: dict[str, int] = {}
        if present:
            local, gmt = self.defaults.now()
            present_ids = [int(s["post_id"]) for s in present]
            with self.db.transaction(action="restore imported posts with bulk SQL") as tx:
                old_tags = self._post_tag_ids(present_ids)
                tx.executemany(
                    f"UPDATE {self.state.posts} SET post_title = %s, post_content = %s,"
                    f" post_excerpt = %s, post_modified = %s, post_modified_gmt = %s"
                    f" WHERE ID = %s",
                    [
                        (s["title"], s["content"], s["excerpt"], local, gmt, int(s["post_id"]))
                        for s in present
                    ],
                )
                self._replace_meta(tx, present_ids)
                self._insert_meta(
                    tx,
                    [(int(s["post_id"]), str(k), str(v)) for s in present for k, v in s["meta"]],
                )
                self._unrelate_tags(tx, present_ids)
                tags = self._tag_ids_for(tx, [t for s in present for t in s["tags"]], new_tags)
                self._relate(tx, [(int(s["post_id"]), s["tags"]) for s in present], tags)
                self._recount(tx, old_tags | set(tags.values()))
            self._tag_ids.update(new_tags)
        return [
            Outcome(i, True) if i in existing else Outcome(i, False, "the post no longer exists")
            for i in ids
        ]


def _trashed_name(name: str) -> str:
    """A trashed post's slug, as ``wp_add_trashed_suffix_to_post_name_for_post`` makes it."""
    return name if name.endswith(_TRASHED) else name[:191] + _TRASHED


def _render(post: PostData) -> BulkSql:
    """The SQL literals of a post that was not prepared for the bulk path."""
    return bulk_sql(post.content, post.title, post.excerpt, post.stored_meta)
