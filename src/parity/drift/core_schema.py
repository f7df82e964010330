"""The indexes WordPress core creates on its own tables, per ``db_version``, as data.

Read from ``wp-admin/includes/schema.php`` of Debian 12's WordPress 6.1.9 (``db_version``
53496). Index columns are written as snapshots record them: ``"col"`` or ``"col(prefix)"``.
A snapshot lists, per core table, the core indexes it lacks and the indexes core does not
define (a plugin's or a DBA's), so a dropped or added index shows even without a second
environment.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CORE_SCHEMAS", "CoreIndex", "CoreSchema", "core_schema_for"]


@dataclass(frozen=True)
class CoreIndex:
    """One index core defines: its columns in order and whether it is unique."""

    columns: tuple[str, ...]
    unique: bool = False

    def describe(self) -> str:
        """How reports show it, e.g. ``UNIQUE (option_name)``."""
        return ("UNIQUE " if self.unique else "") + "(" + ", ".join(self.columns) + ")"


@dataclass(frozen=True)
class CoreSchema:
    """The core tables' indexes for one ``db_version``."""

    db_version: int
    wp_version: str
    tables: dict[str, dict[str, CoreIndex]]
    multisite_tables: dict[str, dict[str, CoreIndex]]

    def expected(self, multisite: bool) -> dict[str, dict[str, CoreIndex]]:
        """Table (without prefix) -> index name -> index, for a single site or a network."""
        return {**self.tables, **self.multisite_tables} if multisite else dict(self.tables)


def _i(*columns: str, unique: bool = False) -> CoreIndex:
    return CoreIndex(tuple(columns), unique)


_PK = "PRIMARY"

# WordPress 6.1 (db_version 53496). utf8mb4 limits indexed varchar(255) to 191 characters.
_WP_61 = CoreSchema(
    db_version=53496,
    wp_version="6.1",
    tables={
        "termmeta": {
            _PK: _i("meta_id", unique=True),
            "term_id": _i("term_id"),
            "meta_key": _i("meta_key(191)"),
        },
        "terms": {
            _PK: _i("term_id", unique=True),
            "slug": _i("slug(191)"),
            "name": _i("name(191)"),
        },
        "term_taxonomy": {
            _PK: _i("term_taxonomy_id", unique=True),
            "term_id_taxonomy": _i("term_id", "taxonomy", unique=True),
            "taxonomy": _i("taxonomy"),
        },
        "term_relationships": {
            _PK: _i("object_id", "term_taxonomy_id", unique=True),
            "term_taxonomy_id": _i("term_taxonomy_id"),
        },
        "commentmeta": {
            _PK: _i("meta_id", unique=True),
            "comment_id": _i("comment_id"),
            "meta_key": _i("meta_key(191)"),
        },
        "comments": {
            _PK: _i("comment_ID", unique=True),
            "comment_post_ID": _i("comment_post_ID"),
            "comment_approved_date_gmt": _i("comment_approved", "comment_date_gmt"),
            "comment_date_gmt": _i("comment_date_gmt"),
            "comment_parent": _i("comment_parent"),
            "comment_author_email": _i("comment_author_email(10)"),
        },
        "links": {
            _PK: _i("link_id", unique=True),
            "link_visible": _i("link_visible"),
        },
        "options": {
            _PK: _i("option_id", unique=True),
            "option_name": _i("option_name", unique=True),
            "autoload": _i("autoload"),
        },
        "postmeta": {
            _PK: _i("meta_id", unique=True),
            "post_id": _i("post_id"),
            "meta_key": _i("meta_key(191)"),
        },
        "posts": {
            _PK: _i("ID", unique=True),
            "post_name": _i("post_name(191)"),
            "type_status_date": _i("post_type", "post_status", "post_date", "ID"),
            "post_parent": _i("post_parent"),
            "post_author": _i("post_author"),
        },
        "users": {
            _PK: _i("ID", unique=True),
            "user_login_key": _i("user_login"),
            "user_nicename": _i("user_nicename"),
            "user_email": _i("user_email"),
        },
        "usermeta": {
            _PK: _i("umeta_id", unique=True),
            "user_id": _i("user_id"),
            "meta_key": _i("meta_key(191)"),
        },
    },
    multisite_tables={
        "blogs": {
            _PK: _i("blog_id", unique=True),
            "domain": _i("domain(50)", "path(5)"),
            "lang_id": _i("lang_id"),
        },
        "blogmeta": {
            _PK: _i("meta_id", unique=True),
            "meta_key": _i("meta_key(191)"),
            "blog_id": _i("blog_id"),
        },
        "registration_log": {
            _PK: _i("ID", unique=True),
            "IP": _i("IP"),
        },
        "site": {
            _PK: _i("id", unique=True),
            "domain": _i("domain(140)", "path(51)"),
        },
        "sitemeta": {
            _PK: _i("meta_id", unique=True),
            "meta_key": _i("meta_key(191)"),
            "site_id": _i("site_id"),
        },
        "signups": {
            _PK: _i("signup_id", unique=True),
            "activation_key": _i("activation_key"),
            "user_email": _i("user_email"),
            "user_login_email": _i("user_login", "user_email"),
            "domain_path": _i("domain(140)", "path(51)"),
        },
    },
)

#: Known core schemas by ``db_version``.
CORE_SCHEMAS: dict[int, CoreSchema] = {_WP_61.db_version: _WP_61}


def core_schema_for(db_version: int | None) -> tuple[CoreSchema, bool]:
    """The core schema for ``db_version`` and whether it is an exact match.

    Without an exact match, the newest known schema not newer than ``db_version`` is used
    (or the oldest known one), and the snapshot says so.
    """
    if db_version in CORE_SCHEMAS:
        return CORE_SCHEMAS[db_version], True
    known = sorted(CORE_SCHEMAS)
    older = [v for v in known if db_version is not None and v <= db_version]
    return CORE_SCHEMAS[older[-1] if older else known[0]], False
