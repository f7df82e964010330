"""What a refresh will do, decided before anything is written. Pure code.

From the source's tables (their columns, keys and definitions), the target's tables and
option names, and the ``[refresh]`` policy, :func:`build_plan` decides per table: the
target and shadow names, which rows are left out (a SQL ``WHERE`` on the source), which
columns are rewritten, which scrub rules apply, whether the prefix shows up in its rows,
and which options are kept from the target. The plan's fingerprint tells a rerun whether
a killed run's checkpoints still apply.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.refresh.naming import shadow_name
from parity.refresh.prefix import PrefixMapper, logical_name
from parity.refresh.scrub import DEFAULT_RULES, delete_patterns, rules_for_table
from parity.refresh.settings import RefreshSection, ScrubRule
from parity.refresh.urls import refresh_pairs

__all__ = [
    "Column",
    "RefreshPlan",
    "TablePlan",
    "TableShape",
    "build_plan",
    "deferrable_keys",
    "like_pattern",
    "shadow_definition",
    "without_keys",
]

PrefixKind = Literal["options", "usermeta"] | None

_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=\d+")


@dataclass(frozen=True)
class Column:
    """A column as the plan needs it."""

    name: str
    text: bool = False  # can hold text (a URL, an address)
    binary: bool = False  # no character set: written as _binary'...'


@dataclass(frozen=True)
class TableShape:
    """A source table as read from the server."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    create_sql: str
    size_bytes: int = 0


@dataclass(frozen=True)
class TablePlan:
    """How one table is copied."""

    source: str
    target: str
    shadow: str
    logical: str | None
    columns: tuple[str, ...]
    binary: tuple[bool, ...]
    rewrite_columns: tuple[int, ...]
    primary_key: tuple[str, ...]
    where: str
    params: tuple[str, ...]
    exclusions: tuple[str, ...]
    scrub_rules: tuple[ScrubRule, ...]
    prefix_kind: PrefixKind
    preserved: tuple[bytes, ...]
    create_sql: str  # the shadow's full definition (what verify expects to find)
    size_bytes: int
    deferred_keys: tuple[str, ...] = ()  # secondary keys added after the rows are in

    @property
    def load_sql(self) -> str:
        """The statement creating the shadow for loading: without its deferred keys."""
        if not self.deferred_keys:
            return self.create_sql
        return without_keys(self.create_sql, self.deferred_keys)

    @property
    def pk_indexes(self) -> tuple[int, ...]:
        """Positions of the primary key columns in a row."""
        return tuple(self.columns.index(name) for name in self.primary_key)

    @property
    def key_index(self) -> int | None:
        """Position of ``option_name`` / ``meta_key`` in a row, if the table has one."""
        for name in ("option_name", "meta_key"):
            if name in self.columns:
                return self.columns.index(name)
        return None


@dataclass(frozen=True)
class RefreshPlan:
    """Every table of a refresh, what is left out, and the pairs it rewrites."""

    source: EnvironmentSettings
    target: EnvironmentSettings
    pairs: tuple[tuple[str, str], ...]
    tables: tuple[TablePlan, ...]
    excluded_tables: tuple[tuple[str, str], ...] = ()
    kept_target_tables: tuple[str, ...] = ()
    preserved_options: tuple[str, ...] = ()
    fingerprint: str = ""
    notes: tuple[str, ...] = field(default=())

    def table(self, source: str) -> TablePlan:
        """The plan of source table ``source``."""
        for table in self.tables:
            if table.source == source:
                return table
        raise KeyError(source)


def like_pattern(pattern: str) -> str:
    """A ``*``/``?`` wildcard pattern as a SQL ``LIKE`` pattern (``\\`` escapes).

    >>> like_pattern("_transient_*")
    '\\\\_transient\\\\_%'
    """
    out = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return out.replace("*", "%").replace("?", "_")


_CONSTRAINT_NAME = re.compile(r"CONSTRAINT `(?:[^`]|``)+` FOREIGN KEY")
_REFERENCES = re.compile(r"REFERENCES `((?:[^`]|``)+)`")


def shadow_definition(
    create_sql: str, source: str, shadow: str, shadows: Mapping[str, str] | None = None
) -> str:
    """``create_sql`` of table ``source`` creating table ``shadow`` instead.

    Foreign keys lose their names (constraint names are unique per schema, and the live
    table holds them; InnoDB names the shadow's ``<shadow>_ibfk_N``, which follows the
    table through the swap) and point at the shadows of copied tables (``shadows``).
    """
    head = f"CREATE TABLE `{source.replace('`', '``')}`"
    if not create_sql.startswith(head):
        raise InputError(f"unexpected definition of table {source}: {create_sql[:60]!r}")
    body = create_sql[len(head) :]
    if "FOREIGN KEY" in body:
        body = _CONSTRAINT_NAME.sub("FOREIGN KEY", body)
        mapping = shadows or {}

        def point(match: re.Match[str]) -> str:
            name = match.group(1).replace("``", "`")
            target = mapping.get(name, name)
            return f"REFERENCES `{target.replace('`', '``')}`"

        body = _REFERENCES.sub(point, body)
    return f"CREATE TABLE `{shadow.replace('`', '``')}`" + body


#: Tables at least this big get their secondary keys built after the load: one sorted
#: build is cheaper than keeping them up to date row by row.
DEFER_KEYS_BYTES = 8 * 1024 * 1024
_PLAIN_KEY = re.compile(r"^  KEY `(?:[^`]|``)+` \(.*\)(?: COMMENT '.*')?$")


def deferrable_keys(create_sql: str) -> tuple[str, ...]:
    """The plain secondary ``KEY`` lines of a definition (not primary, unique, full-text,
    spatial, and none at all when the table has foreign keys, which need their index)."""
    if "FOREIGN KEY" in create_sql:
        return ()
    keys = []
    for line in create_sql.splitlines():
        text = line.rstrip(",")
        if _PLAIN_KEY.match(text):
            keys.append(text.strip())
    return tuple(keys)


def without_keys(create_sql: str, keys: Sequence[str]) -> str:
    """``create_sql`` without the given ``KEY`` lines (commas put right)."""
    lines = create_sql.splitlines()
    head, body, tail = lines[0], lines[1:-1], lines[-1]
    kept = [line.rstrip(",") for line in body if line.rstrip(",").strip() not in keys]
    return "\n".join([head, ",\n".join(kept), tail])


def _matches(patterns: Sequence[str], *names: str | None) -> str | None:
    for pattern in patterns:
        for name in names:
            if name is not None and fnmatch.fnmatchcase(name, pattern):
                return pattern
    return None


class _Where:
    """A conjunction of SQL conditions with their ``%s`` parameters and reasons."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[str] = []
        self.reasons: list[str] = []

    def add(self, sql: str, params: Sequence[str], reason: str) -> None:
        self.parts.append(sql)
        self.params.extend(params)
        self.reasons.append(reason)

    def sql(self) -> str:
        return " AND ".join(f"({part})" for part in self.parts)


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _in(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def _sibling(table: str, logical: str, other: str) -> str:
    """``wp_2_postmeta`` -> ``wp_2_posts``: the table of the same site called ``other``."""
    return table[: len(table) - len(logical)] + other


def _excluded_posts(policy: RefreshSection) -> tuple[str, list[str]] | None:
    """The condition selecting excluded posts (without table), or None."""
    parts: list[str] = []
    params: list[str] = []
    if policy.exclude_post_types:
        parts.append(f"post_type IN ({_in(policy.exclude_post_types)})")
        params.extend(policy.exclude_post_types)
    if policy.exclude_trash:
        parts.append("post_status = 'trash'")
    if not parts:
        return None
    return " OR ".join(parts), params


def _excluded_comment_statuses(policy: RefreshSection) -> list[str]:
    statuses = []
    if policy.exclude_spam:
        statuses.append("spam")
    if policy.exclude_trash:
        statuses.append("trash")
    return statuses


def _row_filter(
    shape: TableShape,
    logical: str | None,
    policy: RefreshSection,
    rules: Sequence[ScrubRule],
    preserved: Sequence[bytes],
    present: set[str],
) -> _Where:
    where = _Where()
    names = {c.name for c in shape.columns}
    posts = _excluded_posts(policy)
    statuses = _excluded_comment_statuses(policy)
    key = "option_name" if "option_name" in names else "meta_key" if "meta_key" in names else None
    if logical == "options" and key == "option_name" and policy.exclude_transients:
        where.add(
            "option_name NOT LIKE %s AND option_name NOT LIKE %s",
            [like_pattern("_transient_*"), like_pattern("_site_transient_*")],
            "transients",
        )
    if logical == "sitemeta" and key == "meta_key" and policy.exclude_transients:
        where.add("meta_key NOT LIKE %s", [like_pattern("_site_transient_*")], "transients")
    if logical == "options" and preserved:
        where.add(
            f"option_name NOT IN ({_in(preserved)})",
            [name.decode("utf-8", "surrogateescape") for name in preserved],
            "options kept from the target",
        )
    for pattern in delete_patterns(rules):
        if key is not None:
            where.add(f"{key} NOT LIKE %s", [like_pattern(pattern)], f"scrub: {pattern} removed")
    if logical is None or (posts is None and not statuses):
        return where
    posts_table = _sibling(shape.name, logical, "posts")
    comments_table = _sibling(shape.name, logical, "comments")
    has_posts = posts_table in present
    subquery_posts = (
        f"SELECT ID FROM {_q(posts_table)} WHERE {posts[0]}" if posts and has_posts else None
    )
    post_params = posts[1] if posts else []
    if logical == "posts" and posts is not None:
        where.add(f"NOT ({posts[0]})", post_params, "excluded post types / trashed posts")
    elif logical == "postmeta" and subquery_posts and "post_id" in names:
        where.add(f"post_id NOT IN ({subquery_posts})", post_params, "meta of excluded posts")
    elif logical == "term_relationships" and subquery_posts and "object_id" in names:
        where.add(f"object_id NOT IN ({subquery_posts})", post_params, "terms of excluded posts")
    elif logical == "comments":
        if statuses:
            where.add(
                f"comment_approved NOT IN ({_in(statuses)})", statuses, "spam/trashed comments"
            )
        if subquery_posts:
            where.add(
                f"comment_post_ID NOT IN ({subquery_posts})",
                post_params,
                "comments on excluded posts",
            )
    elif logical == "commentmeta" and "comment_id" in names and comments_table in present:
        conditions: list[str] = []
        params: list[str] = []
        if statuses:
            conditions.append(f"comment_approved IN ({_in(statuses)})")
            params.extend(statuses)
        if subquery_posts:
            conditions.append(f"comment_post_ID IN ({subquery_posts})")
            params.extend(post_params)
        where.add(
            f"comment_id NOT IN (SELECT comment_ID FROM {_q(comments_table)}"
            f" WHERE {' OR '.join(conditions)})",
            params,
            "meta of excluded comments",
        )
    return where


def _fingerprint(plan_data: object) -> str:
    text = json.dumps(plan_data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def build_plan(
    source: EnvironmentSettings,
    target: EnvironmentSettings,
    policy: RefreshSection,
    source_tables: Sequence[TableShape],
    target_tables: Sequence[str],
    target_options: Mapping[str, Sequence[bytes]],
    *,
    secret_digest: str = "",
) -> RefreshPlan:
    """Decide how each table is copied.

    ``source_tables`` are the source's tables under its prefix plus the policy's extra
    tables; ``target_tables`` every table of the target's schema; ``target_options`` the
    option names of each target options table (to know which preserved options exist).
    ``secret_digest`` (a one-way digest of the staging password hash and the scrub key)
    enters the fingerprint, so changing either restarts a killed run instead of
    resuming it.
    """
    mapper = PrefixMapper(source.table_prefix, target.table_prefix)
    rules: list[ScrubRule] = list(DEFAULT_RULES) if policy.default_scrub else []
    rules += policy.scrub
    present = {shape.name for shape in source_tables}
    shadows = {
        shape.name: shadow_name(mapper.table(shape.name))
        for shape in source_tables
        if _matches(
            policy.exclude_tables, logical_name(shape.name, source.table_prefix), shape.name
        )
        is None
    }
    plans: list[TablePlan] = []
    excluded: list[tuple[str, str]] = []
    preserved_names: set[str] = set()
    for shape in sorted(source_tables, key=lambda s: s.name):
        logical = logical_name(shape.name, source.table_prefix)
        pattern = _matches(policy.exclude_tables, logical, shape.name)
        if pattern is not None:
            excluded.append((shape.name, f"exclude_tables: {pattern}"))
            continue
        target_name = mapper.table(shape.name)
        table_rules = rules_for_table(rules, logical, shape.name)
        preserved: list[bytes] = []
        if logical == "options":
            for name in target_options.get(target_name, ()):
                text = name.decode("utf-8", "surrogateescape")
                if _matches(policy.preserve_options, text):
                    preserved.append(name)
                    preserved_names.add(text)
        where = _row_filter(shape, logical, policy, table_rules, preserved, present)
        rewrite = tuple(
            index
            for index, column in enumerate(shape.columns)
            if column.text
            and (policy.rewrite_guids or not (logical == "posts" and column.name == "guid"))
        )
        prefix_kind: PrefixKind = None
        if mapper.active and logical == "options":
            prefix_kind = "options"
        elif mapper.active and logical == "usermeta":
            prefix_kind = "usermeta"
        shadow = shadow_name(target_name)
        definition = shadow_definition(shape.create_sql, shape.name, shadow, shadows)
        plans.append(
            TablePlan(
                source=shape.name,
                target=target_name,
                shadow=shadow,
                logical=logical,
                columns=tuple(c.name for c in shape.columns),
                binary=tuple(c.binary for c in shape.columns),
                rewrite_columns=rewrite,
                primary_key=shape.primary_key,
                where=where.sql(),
                params=tuple(where.params),
                exclusions=tuple(where.reasons),
                scrub_rules=tuple(table_rules),
                prefix_kind=prefix_kind,
                preserved=tuple(sorted(preserved)),
                create_sql=definition,
                size_bytes=shape.size_bytes,
                deferred_keys=(
                    deferrable_keys(definition) if shape.size_bytes >= DEFER_KEYS_BYTES else ()
                ),
            )
        )
    copied_targets = {p.target for p in plans}
    kept = tuple(
        sorted(
            name
            for name in target_tables
            if name.startswith(target.table_prefix) and name not in copied_targets
        )
    )
    pairs = tuple(
        refresh_pairs(
            source.url,
            target.url,
            source_content_dir=source.wp_content_dir,
            target_content_dir=target.wp_content_dir,
            extra=policy.replace,
        )
    )
    policy_data = policy.model_dump(
        mode="json", exclude={"staging_password", "scrub_key", "purge_paths", "retention"}
    )
    fingerprint = _fingerprint(
        {
            "source": [source.db.where(), source.db.database, source.table_prefix],
            "target": [target.db.where(), target.db.database, target.table_prefix],
            "pairs": pairs,
            "policy": policy_data,
            "secrets": secret_digest,
            "tables": [
                [
                    p.source,
                    p.target,
                    p.columns,
                    p.where,
                    p.params,
                    p.preserved,
                    _AUTO_INCREMENT.sub("", p.create_sql),
                ]
                for p in plans
            ],
        }
    )
    return RefreshPlan(
        source=source,
        target=target,
        pairs=pairs,
        tables=tuple(plans),
        excluded_tables=tuple(excluded),
        kept_target_tables=kept,
        preserved_options=tuple(sorted(preserved_names)),
        fingerprint=fingerprint,
    )
