"""A seed plan as table rows, once every record has its database id (pure).

Each builder returns ``{id: row}`` with the row's values in the order of the table's
column tuple below, as the writer compares them with what the database holds (ints as
ints, dates as ``YYYY-MM-DD HH:MM:SS`` text, everything else text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from parity.sandbox.seed.model import (
    SEED_KEY,
    SeedComment,
    SeedPlan,
    SeedPost,
    SeedTerm,
    SeedUser,
    resolve,
)
from parity.wordpress.columns import POST_COLUMNS as WORDPRESS_POST_COLUMNS

__all__ = [
    "COMMENT_COLUMNS",
    "POST_COLUMNS",
    "TERM_COLUMNS",
    "TERM_TAXONOMY_COLUMNS",
    "USER_COLUMNS",
    "Row",
    "comment_rows",
    "meta_rows",
    "post_rows",
    "seed_key_meta",
    "term_rows",
    "user_rows",
]

Row = tuple[object, ...]

USER_COLUMNS = (
    "ID",
    "user_login",
    "user_pass",
    "user_nicename",
    "user_email",
    "user_url",
    "user_registered",
    "user_activation_key",
    "user_status",
    "display_name",
)
TERM_COLUMNS = ("term_id", "name", "slug", "term_group")
# `count` is left out: the writer recounts it from the posts, as WordPress does.
TERM_TAXONOMY_COLUMNS = ("term_taxonomy_id", "term_id", "taxonomy", "description", "parent")
POST_COLUMNS = ("ID", *WORDPRESS_POST_COLUMNS)
COMMENT_COLUMNS = (
    "comment_ID",
    "comment_post_ID",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_author_IP",
    "comment_date",
    "comment_date_gmt",
    "comment_content",
    "comment_karma",
    "comment_approved",
    "comment_agent",
    "comment_type",
    "comment_parent",
    "user_id",
)

#: The administrator WordPress's install creates: the author when none is given.
_ADMIN_ID = 1


def user_rows(users: tuple[SeedUser, ...], ids: Mapping[str, int]) -> dict[int, Row]:
    """wp_users rows."""
    return {
        ids[u.key]: (
            ids[u.key],
            u.login,
            u.pass_hash,
            u.nicename,
            u.email,
            u.url,
            u.registered,
            "",
            0,
            u.display_name,
        )
        for u in users
    }


def term_rows(
    terms: tuple[SeedTerm, ...], ids: Mapping[str, int], tt_ids: Mapping[str, int]
) -> tuple[dict[int, Row], dict[int, Row]]:
    """wp_terms rows and wp_term_taxonomy rows."""
    terms_rows: dict[int, Row] = {ids[t.key]: (ids[t.key], t.name, t.slug, 0) for t in terms}
    taxonomy_rows: dict[int, Row] = {
        tt_ids[t.key]: (tt_ids[t.key], ids[t.key], t.taxonomy, t.description, 0) for t in terms
    }
    return terms_rows, taxonomy_rows


def _approved_counts(comments: tuple[SeedComment, ...]) -> Counter[str]:
    return Counter(c.post for c in comments if c.approved == "1")


def post_rows(plan: SeedPlan, ids: Mapping[str, int]) -> dict[int, Row]:
    """wp_posts rows (GMT dates equal local ones: the sandbox's sites run on UTC)."""
    approved = _approved_counts(plan.comments)
    rows: dict[int, Row] = {}
    for post in plan.posts:
        post_id = ids[post.key]
        rows[post_id] = (
            post_id,
            ids[post.author] if post.author else _ADMIN_ID,
            post.date,
            post.date,
            resolve(post.content, ids),
            post.title,
            post.excerpt,
            post.status,
            post.comment_status,
            post.ping_status,
            "",
            post.name,
            "",
            "",
            post.date,
            post.date,
            "",
            ids[post.parent] if post.parent else 0,
            resolve(post.guid, ids),
            post.menu_order,
            post.post_type,
            post.mime_type,
            approved[post.key],
        )
    return rows


def comment_rows(comments: tuple[SeedComment, ...], ids: Mapping[str, int]) -> dict[int, Row]:
    """wp_comments rows."""
    return {
        ids[c.key]: (
            ids[c.key],
            ids[c.post],
            c.author,
            c.email,
            c.url,
            c.ip,
            c.date,
            c.date,
            c.content,
            0,
            c.approved,
            c.agent,
            "comment",
            ids[c.parent] if c.parent else 0,
            ids[c.user] if c.user else 0,
        )
        for c in comments
    }


def meta_rows(
    records: tuple[SeedPost, ...] | tuple[SeedUser, ...], ids: Mapping[str, int]
) -> dict[int, list[tuple[str, str]]]:
    """Meta (key, value) pairs per owner id, references resolved."""
    return {ids[r.key]: [(k, resolve(v, ids)) for k, v in r.meta] for r in records}


def seed_key_meta(
    records: tuple[SeedComment, ...] | tuple[SeedTerm, ...], ids: Mapping[str, int]
) -> dict[int, list[tuple[str, str]]]:
    """The one meta row comments and terms get: their seed key."""
    return {ids[r.key]: [(SEED_KEY, r.key)] for r in records}
