"""Cache rules as tested data: models, the WordPress defaults, offline checks, renderers.

    rules = default_ruleset()
    report = test_examples(rules)                 # every example, plus lint
    vcl = render_varnish(rules, backend_port=8080)
    conf = render_nginx(rules)

Pure code: nothing here opens a connection. Modules: ``rules`` (models, loading,
precedence), ``defaults`` (the shipped rules), ``evaluate`` (``decide``,
``test_examples``), ``lint``, ``patterns`` (the shared regexes), ``render_varnish``,
``render_nginx``, ``broken`` (deliberately broken variants for the live tests).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

from parity.lazy import lazy_exports

if TYPE_CHECKING:
    from parity.cache.broken import BROKEN_KINDS, broken_ruleset
    from parity.cache.defaults import default_rules, default_ruleset
    from parity.cache.evaluate import (
        CacheRequest,
        CacheResponse,
        Decision,
        ExampleResult,
        RulesReport,
        decide,
        test_examples,
    )
    from parity.cache.lint import LintFinding
    from parity.cache.render_nginx import render_nginx
    from parity.cache.render_varnish import render_varnish
    from parity.cache.rules import (
        BypassConditions,
        CacheExample,
        CacheRule,
        CacheSection,
        RuleMatch,
        RuleSet,
        effective_rules,
        load_rules_file,
        rules_from_settings,
        rules_with_file,
    )

__all__ = [
    "BROKEN_KINDS",
    "BypassConditions",
    "CacheExample",
    "CacheRequest",
    "CacheResponse",
    "CacheRule",
    "CacheSection",
    "Decision",
    "ExampleResult",
    "LintFinding",
    "RuleMatch",
    "RuleSet",
    "RulesReport",
    "broken_ruleset",
    "decide",
    "default_rules",
    "default_ruleset",
    "effective_rules",
    "load_rules_file",
    "render_nginx",
    "render_varnish",
    "rules_from_settings",
    "rules_with_file",
    "test_examples",
]


# Loaded on first use, so importing a section model (config.py does) never pulls
# in the whole capability and its imports of parity.config.
_LAZY: dict[str, tuple[str, str]] = {
    "BROKEN_KINDS": ("parity.cache.broken", "BROKEN_KINDS"),
    "broken_ruleset": ("parity.cache.broken", "broken_ruleset"),
    "default_rules": ("parity.cache.defaults", "default_rules"),
    "default_ruleset": ("parity.cache.defaults", "default_ruleset"),
    "CacheRequest": ("parity.cache.evaluate", "CacheRequest"),
    "CacheResponse": ("parity.cache.evaluate", "CacheResponse"),
    "Decision": ("parity.cache.evaluate", "Decision"),
    "ExampleResult": ("parity.cache.evaluate", "ExampleResult"),
    "RulesReport": ("parity.cache.evaluate", "RulesReport"),
    "decide": ("parity.cache.evaluate", "decide"),
    "test_examples": ("parity.cache.evaluate", "test_examples"),
    "LintFinding": ("parity.cache.lint", "LintFinding"),
    "render_nginx": ("parity.cache.render_nginx", "render_nginx"),
    "render_varnish": ("parity.cache.render_varnish", "render_varnish"),
    "BypassConditions": ("parity.cache.rules", "BypassConditions"),
    "CacheExample": ("parity.cache.rules", "CacheExample"),
    "CacheRule": ("parity.cache.rules", "CacheRule"),
    "CacheSection": ("parity.cache.rules", "CacheSection"),
    "RuleMatch": ("parity.cache.rules", "RuleMatch"),
    "RuleSet": ("parity.cache.rules", "RuleSet"),
    "effective_rules": ("parity.cache.rules", "effective_rules"),
    "load_rules_file": ("parity.cache.rules", "load_rules_file"),
    "rules_from_settings": ("parity.cache.rules", "rules_from_settings"),
    "rules_with_file": ("parity.cache.rules", "rules_with_file"),
}


__getattr__ = lazy_exports(__name__, _LAZY, globals())


class _Package(types.ModuleType):
    """Keeps ``parity.cache.render_varnish`` (and ``render_nginx``) the function.

    Importing a submodule sets the package attribute of its name to the submodule;
    two submodules are named like the function they export, which would hide it.
    """

    def __setattr__(self, name: str, value: object) -> None:
        lazy = _LAZY.get(name)
        if isinstance(value, types.ModuleType) and lazy and lazy[0] == value.__name__:
            value = getattr(value, lazy[1])
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
