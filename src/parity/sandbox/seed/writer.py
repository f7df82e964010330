"""Write a seed plan into production's database as MariaDB's root, in one transaction.

This is the sandbox writing its own database (production is ``protected`` for every
parity command, and stays so): it logs in as root over the sandbox's unix socket, like
the rest of the sandbox, and never goes through parity's targets.

Rows the seed wrote before are found by their seed key (``_parity_seed_key`` in the
post, comment, term and user meta; users also by login, terms by taxonomy and slug) and
keep their ids. A record is compared with what the database holds and written only when
it differs, so a second run with the same arguments writes nothing; seeded records the
plan no longer has (fewer ``--articles``, another ``--seed``) are deleted with their
meta, term links and comments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from parity.sandbox.seed.model import SEED_KEY, SeedPlan
from parity.sandbox.seed.result import KINDS, KindCount
from parity.sandbox.seed.rows import (
    COMMENT_COLUMNS,
    POST_COLUMNS,
    TERM_COLUMNS,
    TERM_TAXONOMY_COLUMNS,
    USER_COLUMNS,
    Row,
    comment_rows,
    meta_rows,
    post_rows,
    seed_key_meta,
    term_rows,
    user_rows,
)
from parity.targets.root_connection import RootConnection

__all__ = ["SeedWriter"]

_CHUNK = 500
_TAXONOMIES = ("category", "post_tag")
# (table, owner column) of each meta table.
_POSTMETA = ("postmeta", "post_id")
_USERMETA = ("usermeta", "user_id")
_COMMENTMETA = ("commentmeta", "comment_id")
_TERMMETA = ("termmeta", "term_id")
_KIND_OF_PREFIX = {"article": "articles", "page": "pages", "media": "attachments"}


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _norm(value: object) -> object:
    """A fetched value as the row builders write it."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8")
    return value


class SeedWriter:
    """Applies a ``SeedPlan`` through an open root connection (the caller commits)."""

    def __init__(self, conn: RootConnection, table_prefix: str) -> None:
        self._conn = conn
        self._prefix = table_prefix
        self.counts: dict[str, KindCount] = {kind: KindCount(kind) for kind in KINDS}
        #: Uploads (paths under uploads/) of the attachments this run deleted.
        self.stale_uploads: list[str] = []

    # -- small SQL helpers ---------------------------------------------------------------

    def _t(self, name: str) -> str:
        return f"`{self._prefix}{name}`"

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.rows(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, params)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _where_in(
        self, sql: str, values: Sequence[Any], extra: Sequence[Any] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """Run ``sql`` (with one ``{in}``) for each chunk of ``values``; every row."""
        for chunk in _chunks(list(values)):
            yield from self._query(sql.format(**{"in": _marks(len(chunk))}), [*chunk, *extra])

    def _next_id(self, table: str, column: str) -> int:
        value = self._query(f"SELECT COALESCE(MAX(`{column}`), 0) FROM {self._t(table)}")[0][0]
        return int(value) + 1

    # -- finding what is there -------------------------------------------------------------

    def _seeded(self, meta: tuple[str, str]) -> dict[str, int]:
        table, owner = meta
        rows = self._query(
            f"SELECT `{owner}`, meta_value FROM {self._t(table)} WHERE meta_key = %s", [SEED_KEY]
        )
        return {str(key): int(owner_id) for owner_id, key in rows}

    def _allocate(
        self, keys: Iterable[str], found: Mapping[str, int], table: str, column: str
    ) -> dict[str, int]:
        ids = dict(found)
        next_id = self._next_id(table, column)
        for key in keys:
            if key not in ids:
                ids[key] = next_id
                next_id += 1
        return ids

    # -- comparing and writing ---------------------------------------------------------------

    def _sync_rows(
        self, table: str, columns: tuple[str, ...], rows: Mapping[int, Row]
    ) -> dict[int, str]:
        """Write the rows that differ; each id's status (added, updated, unchanged)."""
        names = ", ".join(f"`{c}`" for c in columns)
        existing = {
            int(row[0]): tuple(_norm(v) for v in row)
            for row in self._where_in(
                f"SELECT {names} FROM {self._t(table)} WHERE `{columns[0]}` IN ({{in}})",
                list(rows),
            )
        }
        status: dict[int, str] = {}
        changed: list[Row] = []
        for row_id, row in rows.items():
            before = existing.get(row_id)
            if before == row:
                status[row_id] = "unchanged"
                continue
            status[row_id] = "added" if before is None else "updated"
            changed.append(row)
        updates = ", ".join(f"`{c}` = VALUES(`{c}`)" for c in columns[1:])
        self._executemany(
            f"INSERT INTO {self._t(table)} ({names}) VALUES ({_marks(len(columns))})"
            f" ON DUPLICATE KEY UPDATE {updates}",
            changed,
        )
        return status

    def _sync_meta(
        self, meta: tuple[str, str], wanted: Mapping[int, list[tuple[str, str]]]
    ) -> set[int]:
        """Make each owner's rows of its wanted keys exactly ``wanted``; owners changed."""
        table, owner = meta
        have: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for owner_id, key, value in self._where_in(
            f"SELECT `{owner}`, meta_key, meta_value FROM {self._t(table)}"
            f" WHERE `{owner}` IN ({{in}})",
            list(wanted),
        ):
            have[int(owner_id)].append((str(key), str(_norm(value))))
        changed: set[int] = set()
        inserts: list[tuple[int, str, str]] = []
        for owner_id, pairs in wanted.items():
            keys = {k for k, _ in pairs}
            current = sorted(p for p in have.get(owner_id, []) if p[0] in keys)
            if current == sorted(pairs):
                continue
            changed.add(owner_id)
            if current:
                self._execute(
                    f"DELETE FROM {self._t(table)} WHERE `{owner}` = %s"
                    f" AND meta_key IN ({_marks(len(keys))})",
                    [owner_id, *sorted(keys)],
                )
            inserts += [(owner_id, k, v) for k, v in pairs]
        self._executemany(
            f"INSERT INTO {self._t(table)} (`{owner}`, meta_key, meta_value) VALUES (%s, %s, %s)",
            inserts,
        )
        return changed

    def _tally(
        self, kind_of: Mapping[int, str], status: Mapping[int, str], meta_changed: set[int]
    ) -> None:
        for row_id, kind in kind_of.items():
            state = status[row_id]
            if state == "unchanged" and row_id in meta_changed:
                state = "updated"
            self.counts[kind].count(state)

    # -- the plan, table by table ------------------------------------------------------------

    def apply(self, plan: SeedPlan) -> dict[str, int]:
        """Write ``plan`` (the caller commits); the id of every record, by key."""
        ids: dict[str, int] = {}
        ids.update(self._users(plan))
        term_ids, tt_ids = self._terms(plan)
        ids.update(term_ids)
        ids.update(self._post_ids(plan))
        ids.update(self._comment_ids(plan))
        self._posts(plan, ids, tt_ids)
        self._comments(plan, ids)
        self._options(plan)
        return ids

    def _users(self, plan: SeedPlan) -> dict[str, int]:
        logins = {u.login: u.key for u in plan.users}
        found = {
            logins[str(login)]: int(user_id)
            for user_id, login in self._where_in(
                f"SELECT ID, user_login FROM {self._t('users')} WHERE user_login IN ({{in}})",
                list(logins),
            )
        }
        ids = self._allocate((u.key for u in plan.users), found, "users", "ID")
        status = self._sync_rows("users", USER_COLUMNS, user_rows(plan.users, ids))
        meta_changed = self._sync_meta(_USERMETA, meta_rows(plan.users, ids))
        self._tally({ids[u.key]: "users" for u in plan.users}, status, meta_changed)
        self.counts["users"].examples = [u.login for u in plan.users]
        return ids

    def _terms(self, plan: SeedPlan) -> tuple[dict[str, int], dict[str, int]]:
        existing = self._query(
            f"SELECT t.term_id, tt.term_taxonomy_id, tt.taxonomy, t.slug FROM {self._t('terms')} t"
            f" JOIN {self._t('term_taxonomy')} tt ON tt.term_id = t.term_id"
            f" WHERE tt.taxonomy IN ({_marks(len(_TAXONOMIES))})",
            _TAXONOMIES,
        )
        by_slug = {f"term:{tax}:{slug}": (int(tid), int(ttid)) for tid, ttid, tax, slug in existing}
        seeded = self._seeded(_TERMMETA)
        wanted = {t.key for t in plan.terms}
        stale = sorted(tid for key, tid in seeded.items() if key not in wanted)
        if stale:
            self._delete_terms(stale)
        found = {t.key: by_slug[t.key][0] for t in plan.terms if t.key in by_slug}
        found_tt = {t.key: by_slug[t.key][1] for t in plan.terms if t.key in by_slug}
        keys = [t.key for t in plan.terms]
        ids = self._allocate(keys, found, "terms", "term_id")
        tt_ids = self._allocate(keys, found_tt, "term_taxonomy", "term_taxonomy_id")
        terms, taxonomy = term_rows(plan.terms, ids, tt_ids)
        status = self._sync_rows("terms", TERM_COLUMNS, terms)
        tt_status = self._sync_rows("term_taxonomy", TERM_TAXONOMY_COLUMNS, taxonomy)
        meta_changed = self._sync_meta(_TERMMETA, seed_key_meta(plan.terms, ids))
        for term in plan.terms:
            term_id, tt_id = ids[term.key], tt_ids[term.key]
            state = status[term_id]
            if state == "unchanged" and (
                tt_status[tt_id] != "unchanged" or term_id in meta_changed
            ):
                state = "updated"
            self.counts["terms"].count(state)
        self.counts["terms"].removed += len(stale)
        self.counts["terms"].examples = [t.name for t in plan.terms if t.taxonomy == "category"]
        return ids, tt_ids

    def _delete_terms(self, term_ids: list[int]) -> None:
        tt = [
            int(row[0])
            for row in self._where_in(
                f"SELECT term_taxonomy_id FROM {self._t('term_taxonomy')}"
                " WHERE term_id IN ({in})",
                term_ids,
            )
        ]
        for chunk in _chunks(tt):
            marks = _marks(len(chunk))
            self._execute(
                f"DELETE FROM {self._t('term_relationships')} WHERE term_taxonomy_id IN ({marks})",
                chunk,
            )
        for table in ("term_taxonomy", "termmeta", "terms"):
            for chunk in _chunks(term_ids):
                self._execute(
                    f"DELETE FROM {self._t(table)} WHERE term_id IN ({_marks(len(chunk))})", chunk
                )

    def _post_ids(self, plan: SeedPlan) -> dict[str, int]:
        seeded = self._seeded(_POSTMETA)
        wanted = {p.key for p in plan.posts}
        stale = {key: post_id for key, post_id in seeded.items() if key not in wanted}
        if stale:
            self.stale_uploads = [
                str(row[0])
                for row in self._where_in(
                    f"SELECT meta_value FROM {self._t('postmeta')}"
                    " WHERE post_id IN ({in}) AND meta_key = %s",
                    sorted(stale.values()),
                    ["_wp_attached_file"],
                )
            ]
            self._delete_posts(sorted(stale.values()))
            for key in stale:
                kind = _KIND_OF_PREFIX.get(key.split(":", 1)[0])
                if kind is not None:
                    self.counts[kind].removed += 1
        found = {key: post_id for key, post_id in seeded.items() if key in wanted}
        return self._allocate((p.key for p in plan.posts), found, "posts", "ID")

    def _delete_posts(self, post_ids: list[int]) -> None:
        comments = [
            int(row[0])
            for row in self._where_in(
                f"SELECT comment_ID FROM {self._t('comments')} WHERE comment_post_ID IN ({{in}})",
                post_ids,
            )
        ]
        self._delete_comments(comments)
        self.counts["comments"].removed += len(comments)
        for table, column in (
            ("postmeta", "post_id"),
            ("term_relationships", "object_id"),
            ("posts", "ID"),
        ):
            for chunk in _chunks(post_ids):
                self._execute(
                    f"DELETE FROM {self._t(table)} WHERE `{column}` IN ({_marks(len(chunk))})",
                    chunk,
                )

    def _delete_comments(self, comment_ids: list[int]) -> None:
        for table, column in (("commentmeta", "comment_id"), ("comments", "comment_ID")):
            for chunk in _chunks(comment_ids):
                self._execute(
                    f"DELETE FROM {self._t(table)} WHERE `{column}` IN ({_marks(len(chunk))})",
                    chunk,
                )

    def _comment_ids(self, plan: SeedPlan) -> dict[str, int]:
        seeded = self._seeded(_COMMENTMETA)
        wanted = {c.key for c in plan.comments}
        stale = sorted(cid for key, cid in seeded.items() if key not in wanted)
        if stale:
            self._delete_comments(stale)
            self.counts["comments"].removed += len(stale)
        found = {key: cid for key, cid in seeded.items() if key in wanted}
        return self._allocate((c.key for c in plan.comments), found, "comments", "comment_ID")

    def _posts(self, plan: SeedPlan, ids: Mapping[str, int], tt_ids: Mapping[str, int]) -> None:
        status = self._sync_rows("posts", POST_COLUMNS, post_rows(plan, ids))
        meta_changed = self._sync_meta(_POSTMETA, meta_rows(plan.posts, ids))
        meta_changed |= self._sync_term_links(plan, ids, tt_ids)
        kinds = {"article": "articles", "page": "pages", "attachment": "attachments"}
        self._tally({ids[p.key]: kinds[p.kind] for p in plan.posts}, status, meta_changed)
        if any(status[i] != "unchanged" for i in status) or meta_changed:
            self._recount_terms()

    def _sync_term_links(
        self, plan: SeedPlan, ids: Mapping[str, int], tt_ids: Mapping[str, int]
    ) -> set[int]:
        wanted = {(ids[p.key], tt_ids[t]) for p in plan.posts for t in p.terms}
        post_ids = [ids[p.key] for p in plan.posts]
        have = {
            (int(object_id), int(tt_id))
            for object_id, tt_id in self._where_in(
                f"SELECT tr.object_id, tr.term_taxonomy_id FROM {self._t('term_relationships')} tr"
                f" JOIN {self._t('term_taxonomy')} tt"
                " ON tt.term_taxonomy_id = tr.term_taxonomy_id"
                " WHERE tr.object_id IN ({in})"
                f" AND tt.taxonomy IN ({_marks(len(_TAXONOMIES))})",
                post_ids,
                _TAXONOMIES,
            )
        }
        extra, missing = sorted(have - wanted), sorted(wanted - have)
        for object_id, tt_id in extra:
            self._execute(
                f"DELETE FROM {self._t('term_relationships')}"
                " WHERE object_id = %s AND term_taxonomy_id = %s",
                [object_id, tt_id],
            )
        self._executemany(
            f"INSERT INTO {self._t('term_relationships')}"
            " (object_id, term_taxonomy_id, term_order) VALUES (%s, %s, 0)",
            missing,
        )
        return {object_id for object_id, _ in (*extra, *missing)}

    def _recount_terms(self) -> None:
        # What WordPress's _update_post_term_count() keeps: published posts per term.
        self._execute(
            f"UPDATE {self._t('term_taxonomy')} tt SET tt.count = ("
            f"SELECT COUNT(*) FROM {self._t('term_relationships')} tr"
            f" JOIN {self._t('posts')} p ON p.ID = tr.object_id"
            " WHERE tr.term_taxonomy_id = tt.term_taxonomy_id"
            " AND p.post_status = 'publish' AND p.post_type = 'post')"
            f" WHERE tt.taxonomy IN ({_marks(len(_TAXONOMIES))})",
            _TAXONOMIES,
        )

    def _comments(self, plan: SeedPlan, ids: Mapping[str, int]) -> None:
        status = self._sync_rows("comments", COMMENT_COLUMNS, comment_rows(plan.comments, ids))
        meta_changed = self._sync_meta(_COMMENTMETA, seed_key_meta(plan.comments, ids))
        self._tally({ids[c.key]: "comments" for c in plan.comments}, status, meta_changed)

    def _options(self, plan: SeedPlan) -> None:
        names = [o.name for o in plan.options]
        have = {
            str(name): (str(_norm(value)), str(autoload))
            for name, value, autoload in self._where_in(
                f"SELECT option_name, option_value, autoload FROM {self._t('options')}"
                " WHERE option_name IN ({in})",
                names,
            )
        }
        changed: list[tuple[str, str, str]] = []
        for option in plan.options:
            kind = "transients" if option.is_transient else "options"
            before = have.get(option.name)
            if before == (option.value, option.autoload):
                self.counts[kind].count("unchanged")
                continue
            self.counts[kind].count("added" if before is None else "updated")
            changed.append((option.name, option.value, option.autoload))
        self._executemany(
            f"INSERT INTO {self._t('options')} (option_name, option_value, autoload)"
            " VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE"
            " option_value = VALUES(option_value), autoload = VALUES(autoload)",
            changed,
        )
        for kind in ("options", "transients"):
            self.counts[kind].examples = [
                o.name for o in plan.options if o.is_transient == (kind == "transients")
            ]
