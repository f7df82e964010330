"""parity's default WordPress cache rules, shipped as ``default_rules.toml`` in this package.

They bypass the cache for logged-in users (``wordpress_logged_in_``, ``wordpress_sec_``),
password-post visitors (``wp-postpass_``), commenters (``comment_author_``), WooCommerce
carts and sessions; for ``/wp-admin``, ``/wp-login.php``, the REST API, ``xmlrpc.php``,
``wp-cron.php``, feeds, search, previews, cart/checkout/my-account; for methods other than
GET and HEAD and for ``Authorization``; and they never store a response that sets a cookie
or says ``Cache-Control: private`` or ``no-store``. Everything else is cached for an hour.

    >>> [r.name for r in default_rules()][-1]
    'everything-else'
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from parity.cache.rules import CacheRule, RuleSet, parse_rules

__all__ = ["DEFAULT_RULES_RESOURCE", "default_rules", "default_rules_text", "default_ruleset"]

DEFAULT_RULES_RESOURCE = "default_rules.toml"


def default_rules_text() -> str:
    """The shipped default rules file, as text (a starting point for your own)."""
    return resources.files("parity.cache").joinpath(DEFAULT_RULES_RESOURCE).read_text("utf-8")


@cache
def default_rules() -> tuple[CacheRule, ...]:
    """The default WordPress rules, in evaluation order."""
    data = tomllib.loads(default_rules_text())
    return parse_rules(data, f"parity/cache/{DEFAULT_RULES_RESOURCE}")


def default_ruleset() -> RuleSet:
    """The default rules as a RuleSet (every rule's origin is ``default``)."""
    rules = default_rules()
    return RuleSet(rules=rules, origins=dict.fromkeys((r.name for r in rules), "default"))
