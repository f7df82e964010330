"""Shaping wp_options rows: what is skipped, masked, decoded, and who owns it."""

from __future__ import annotations

import json

from parity.drift.model import OptionInfo
from parity.drift.normalise import Normaliser
from parity.drift.options import OwnerIndex, option_mask, shape_options

ROWS = [
    ("siteurl", "https://example.com", "yes"),
    ("_transient_feed_123", "x", "no"),
    ("_site_transient_update_plugins", "a:0:{}", "no"),
    ("active_plugins", 'a:1:{i:0;s:19:"akismet/akismet.php";}', "yes"),
    ("cron", "a:0:{}", "yes"),
    ("wp_user_roles", "a:0:{}", "yes"),
    ("auth_salt", "very-secret-salt", "yes"),
    ("admin_email", "boss@example.com", "yes"),
    ("rewrite_rules", 'a:1:{s:1:"x";s:1:"y";}', "yes"),
    ("akismet_strictness", "1", "yes"),
    ("wordpress_api_key", "abc123def", "yes"),
    ("theme_mods_twentytwentythree", 'a:1:{s:18:"custom_css_post_id";i:-1;}', "yes"),
    ("my_settings", 'a:1:{s:5:"color";s:4:"blue";}', "no"),
]


def shaped() -> dict[str, OptionInfo]:
    owners = OwnerIndex.build(["akismet/akismet.php"], ["twentytwentythree"])
    return shape_options(ROWS, Normaliser("https://example.com"), prefix="wp_", owners=owners)


def test_transients_and_options_of_other_categories_are_left_out() -> None:
    names = set(shaped())
    assert not names & {
        "_transient_feed_123",
        "_site_transient_update_plugins",
        "active_plugins",
        "cron",
        "wp_user_roles",
    }


def test_secret_values_are_never_stored() -> None:
    options = shaped()
    text = json.dumps({k: v.model_dump(mode="json") for k, v in options.items()})
    for secret in ("very-secret-salt", "boss@example.com", "abc123def"):
        assert secret not in text
    assert options["auth_salt"].mask == "secret"
    assert options["auth_salt"].value is None


def test_values_are_decoded_and_owned() -> None:
    options = shaped()
    assert options["siteurl"].value == "{site}"
    assert options["my_settings"].value == {"color": "blue"}
    assert options["my_settings"].autoload is False
    assert options["akismet_strictness"].owner == "plugin:akismet"
    assert options["theme_mods_twentytwentythree"].owner == "theme:twentytwentythree"
    assert options["siteurl"].owner == "core"
    assert options["my_settings"].owner == ""


def test_masks_from_configuration_add_to_the_built_in_ones() -> None:
    assert option_mask("shop_feed_cache") == "volatile"
    assert option_mask("shop_counter", volatile=["shop_*"]) == "volatile"
    assert option_mask("shop_pin", secret=["shop_pin"]) == "secret"
    assert option_mask("blogname") is None


def test_owner_prefers_the_longest_plugin_slug() -> None:
    owners = OwnerIndex.build(["woocommerce/woocommerce.php", "woocommerce-payments/x.php"], [])
    assert owners.owner("woocommerce_payments_settings") == "plugin:woocommerce-payments"
    assert owners.owner("woocommerce_currency") == "plugin:woocommerce"
