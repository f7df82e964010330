"""Shadow, rollback and trash table names: short, unique, recognisable."""

from __future__ import annotations

from parity.refresh.naming import (
    MAX_NAME,
    backup_name,
    is_leftover,
    new_token,
    shadow_name,
    trash_name,
)


def test_short_names_are_prefixed_readably() -> None:
    assert shadow_name("wp_posts") == "_pn_wp_posts"
    assert backup_name("wp_posts", "ab12") == "_poab12_wp_posts"
    assert trash_name("wp_posts", "ab12") == "_pdab12_wp_posts"


def test_long_names_fit_mysqls_limit_and_stay_unique_and_prefixed() -> None:
    a = "wp_woocommerce_downloadable_product_permissions_and_a_long_tail_1"
    b = "wp_woocommerce_downloadable_product_permissions_and_a_long_tail_2"
    for make in (shadow_name, lambda t: backup_name(t, "zz99"), lambda t: trash_name(t, "zz99")):
        assert len(make(a)) <= MAX_NAME
        assert make(a) != make(b)
    assert shadow_name(a).startswith("_pn_wp_woocommerce")


def test_tokens_are_four_lowercase_alphanumerics() -> None:
    tokens = {new_token() for _ in range(50)}
    assert all(len(t) == 4 and t.isalnum() and t == t.lower() for t in tokens)
    assert len(tokens) > 40


def test_leftovers_are_shadow_and_trash_tables_of_the_targets_prefix_only() -> None:
    assert is_leftover("_pn_wp_posts", ("wp_",))
    assert is_leftover("_pdab12_wp_posts", ("wp_",))
    assert not is_leftover("_poab12_wp_posts", ("wp_",))  # rollback points are kept
    assert not is_leftover("_pn_stg_posts", ("wp_",))  # another site's refresh
    assert not is_leftover("wp_posts", ("wp_",))
    assert is_leftover("_pn_custom_table", ("wp_", "custom_table"))
