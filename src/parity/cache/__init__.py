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
