"""A different table prefix on the target: tables, user roles option, usermeta keys."""

from __future__ import annotations

from parity.refresh.prefix import PrefixMapper, logical_name


def test_tables_under_the_prefix_move_to_the_target_prefix() -> None:
    mapper = PrefixMapper("wp_", "stg_")
    assert mapper.table("wp_posts") == "stg_posts"
    assert mapper.table("wp_2_options") == "stg_2_options"
    assert mapper.table("custom_table") == "custom_table"


def test_user_roles_option_follows_the_prefix_including_multisite() -> None:
    mapper = PrefixMapper("wp_", "stg_")
    assert mapper.option_name(b"wp_user_roles") == b"stg_user_roles"
    assert mapper.option_name(b"wp_2_user_roles") == b"stg_2_user_roles"
    assert mapper.option_name(b"wp_user_roles_backup") == b"wp_user_roles_backup"
    assert mapper.option_name(b"siteurl") == b"siteurl"


def test_prefixed_usermeta_keys_follow_the_prefix() -> None:
    mapper = PrefixMapper("wp_", "stg_")
    assert mapper.meta_key(b"wp_capabilities") == b"stg_capabilities"
    assert mapper.meta_key(b"wp_user_level") == b"stg_user_level"
    assert mapper.meta_key(b"wp_user-settings") == b"stg_user-settings"
    assert mapper.meta_key(b"nickname") == b"nickname"


def test_same_prefix_maps_nothing() -> None:
    mapper = PrefixMapper("wp_", "wp_")
    assert not mapper.active
    assert mapper.meta_key(b"wp_capabilities") == b"wp_capabilities"


def test_logical_names_drop_the_prefix_and_a_blog_id() -> None:
    assert logical_name("wp_posts", "wp_") == "posts"
    assert logical_name("wp_12_postmeta", "wp_") == "postmeta"
    assert logical_name("wp_2fa_codes", "wp_") == "2fa_codes"
    assert logical_name("other_posts", "wp_") is None
