"""The query set whose plans a rehearsal compares: WordPress's hot queries for the
touched tables, plus the user's own.

Pure code: the service reads a few sample values (a selective meta key and one of its
values) from the copy and hands them here.

>>> [q.name for q in hot_queries(["wp_options"], "wp_", Samples())]
['option autoload']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Query", "Samples", "hot_queries"]


@dataclass(frozen=True)
class Query:
    """A named SELECT with its parameters (``%s`` placeholders), on real table names."""

    name: str
    sql: str
    params: tuple[Any, ...] = ()
    builtin: bool = True
    tables: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Samples:
    """Values the hot queries look up, taken from the copy's own data."""

    meta_key: str = "_edit_lock"
    meta_value: str = ""
    post_id: int = 1
    user_meta_key: str = "wp_capabilities"


def hot_queries(tables: Iterable[str], prefix: str, samples: Samples) -> list[Query]:
    """WordPress's hot queries that read any of ``tables`` (names with ``prefix``)."""
    touched = set(tables)
    p = prefix
    posts, postmeta, options = f"{p}posts", f"{p}postmeta", f"{p}options"
    terms, taxonomy, relationships = f"{p}terms", f"{p}term_taxonomy", f"{p}term_relationships"
    usermeta = f"{p}usermeta"
    catalogue = [
        Query(
            "post listing by type, status and date",
            f"SELECT ID, post_title, post_date FROM {posts} WHERE post_type = 'post'"
            " AND post_status = 'publish' ORDER BY post_date DESC LIMIT 10",
            tables=(posts,),
        ),
        Query(
            "meta of one post",
            f"SELECT meta_key, meta_value FROM {postmeta} WHERE post_id = %s",
            (samples.post_id,),
            tables=(postmeta,),
        ),
        Query(
            "meta lookup by key",
            f"SELECT post_id, meta_value FROM {postmeta} WHERE meta_key = %s",
            (samples.meta_key,),
            tables=(postmeta,),
        ),
        Query(
            "meta lookup by key and value",
            f"SELECT post_id FROM {postmeta} WHERE meta_key = %s AND meta_value = %s",
            (samples.meta_key, samples.meta_value),
            tables=(postmeta,),
        ),
        Query(
            "meta lookup by value",
            f"SELECT post_id, meta_key FROM {postmeta} WHERE meta_value = %s",
            (samples.meta_value,),
            tables=(postmeta,),
        ),
        Query(
            "option autoload",
            f"SELECT option_name, option_value FROM {options}"
            " WHERE autoload IN ('yes', 'on', 'auto-on', 'auto')",
            tables=(options,),
        ),
        Query(
            "term query by taxonomy",
            f"SELECT t.term_id, t.name FROM {terms} t JOIN {taxonomy} tt"
            " ON tt.term_id = t.term_id WHERE tt.taxonomy = 'category' ORDER BY t.name",
            tables=(terms, taxonomy),
        ),
        Query(
            "terms of a post",
            f"SELECT tt.term_id, tt.taxonomy FROM {relationships} tr JOIN {taxonomy} tt"
            " ON tt.term_taxonomy_id = tr.term_taxonomy_id WHERE tr.object_id = %s",
            (samples.post_id,),
            tables=(relationships, taxonomy),
        ),
        Query(
            "user meta lookup by key",
            f"SELECT user_id, meta_value FROM {usermeta} WHERE meta_key = %s",
            (samples.user_meta_key,),
            tables=(usermeta,),
        ),
    ]
    return [q for q in catalogue if touched.intersection(q.tables)]
