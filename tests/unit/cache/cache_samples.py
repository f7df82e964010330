"""Rule sets for the cache tests beyond the defaults: one uses every feature of the format."""

from __future__ import annotations

import tomllib

from parity.cache.rules import RuleSet, parse_rules

__all__ = ["EVERY_FEATURE_TOML", "every_feature_ruleset"]

# Methods lists, a dotted name, a cache rule with request and response conditions and its
# own TTL, a path-restricted response-only rule below it, and a method-less catch-all.
# Note the /shop/ example with Set-Cookie: checks below the deciding rule do not apply.
EVERY_FEATURE_TOML = """
[[rules]]
name = "api.debug"
description = "GET on the API with a debug header is for a developer."
action = "bypass"
match = { paths = ["/api/*"], methods = ["GET"] }
bypass_when = { headers = ["X-Debug"] }
examples = [
    { url = "/api/items", headers = { X-Debug = "1" }, expect = "bypass" },
    { url = "/api/items", method = "HEAD", headers = { X-Debug = "1" }, expect = "cache" },
    { url = "/api/items", expect = "cache" },
]

[[rules]]
name = "forms"
description = "Form posts."
action = "bypass"
match = { paths = ["/forms/*"], methods = ["POST", "PUT"] }
examples = [
    { url = "/forms/contact", method = "POST", expect = "bypass" },
    { url = "/forms/contact", expect = "cache" },
]

[[rules]]
name = "shop"
description = "The shop, cached briefly.\\nNot for carts, not when asked, not no-store."
action = "cache"
ttl = 60
match = { paths = ["/shop", "/shop/*"] }
bypass_when = { cookies = ["cart_"], query = ["nocache=1"], response_cache_control = ["no-store"] }
examples = [
    { url = "/shop/", expect = "cache" },
    { url = "/shop/?nocache=1", expect = "bypass" },
    { url = "/shop/?nocache=2", expect = "cache" },
    { url = "/shop/", cookies = { cart_42 = "x" }, expect = "bypass" },
    { url = "/shop/", response_headers = { Cache-Control = "No-Store" }, expect = "bypass" },
    { url = "/shop/", response_headers = { Set-Cookie = "a=1" }, expect = "cache" },
    { url = "/shop/", method = "DELETE", expect = "bypass" },
]

[[rules]]
name = "members-cookies"
description = "Member pages that set a cookie are personal."
action = "bypass"
match = { paths = ["/members/*"] }
bypass_when = { response_set_cookie = true }
examples = [
    { url = "/members/area/", response_headers = { Set-Cookie = "m=1" }, expect = "bypass" },
    { url = "/members/area/", expect = "cache" },
]

[[rules]]
name = "everything"
description = "All the rest, five minutes."
action = "cache"
ttl = 300
examples = [
    { url = "/", expect = "cache" },
    { url = "/other", method = "POST", expect = "bypass" },
    { url = "/elsewhere/", response_headers = { Set-Cookie = "m=1" }, expect = "cache" },
]
"""


def every_feature_ruleset() -> RuleSet:
    """The rule set of ``EVERY_FEATURE_TOML``."""
    rules = parse_rules(tomllib.loads(EVERY_FEATURE_TOML), "every-feature.toml")
    return RuleSet(rules=rules)
