"""Columns of WordPress's core tables, in table order, as ``wp-admin/includes/schema.php``
creates them (WordPress 6.x)."""

from __future__ import annotations

__all__ = ["POST_COLUMNS"]

#: ``{prefix}posts`` without its ``ID`` (the server assigns it on insert).
POST_COLUMNS: tuple[str, ...] = (
    "post_author",
    "post_date",
    "post_date_gmt",
    "post_content",
    "post_title",
    "post_excerpt",
    "post_status",
    "comment_status",
    "ping_status",
    "post_password",
    "post_name",
    "to_ping",
    "pinged",
    "post_modified",
    "post_modified_gmt",
    "post_content_filtered",
    "post_parent",
    "guid",
    "menu_order",
    "post_type",
    "post_mime_type",
    "comment_count",
)
