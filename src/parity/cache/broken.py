"""Deliberately broken rule sets, rendered by tests to prove the live checks catch them.

Each variant is the default rule set with one safety rule taken out, so it still renders
to VCL that compiles and runs, and ``parity cache test`` already fails on it (the
catch-all's examples guard each of these rules):

- ``caches-logged-in``: no ``logged-in`` rule; logged-in visitors get cached pages.
- ``caches-set-cookie``: no ``response-set-cookie`` rule; a response that sets a cookie
  is stored and its cookie handed to the next visitors.
- ``ignores-commenter``: no ``commenter`` rule; commenters get the anonymous page.

    vcl = render_varnish(broken_ruleset("caches-set-cookie"), backend_port=8080)
"""

from __future__ import annotations

from typing import Literal, get_args

from parity.cache.defaults import default_ruleset
from parity.cache.rules import RuleSet
from parity.errors import InputError

__all__ = ["BROKEN_KINDS", "BrokenKind", "broken_ruleset"]

BrokenKind = Literal["caches-logged-in", "caches-set-cookie", "ignores-commenter"]

#: Every kind of breakage ``broken_ruleset`` knows.
BROKEN_KINDS: tuple[str, ...] = get_args(BrokenKind)

_REMOVED: dict[str, str] = {
    "caches-logged-in": "logged-in",
    "caches-set-cookie": "response-set-cookie",
    "ignores-commenter": "commenter",
}


def broken_ruleset(kind: str, base: RuleSet | None = None) -> RuleSet:
    """``base`` (default: the default rules) with the safety rule of ``kind`` removed.

    Raises InputError for an unknown kind or when ``base`` lacks that rule.
    """
    if kind not in _REMOVED:
        raise InputError(f"no broken rule set {kind!r} (known: {', '.join(BROKEN_KINDS)})")
    rules = base if base is not None else default_ruleset()
    try:
        return rules.without(_REMOVED[kind])
    except KeyError:
        raise InputError(f"the rule set has no rule {_REMOVED[kind]!r} to break") from None
