"""``parity sandbox seed``: production gets what a real WordPress site holds.

    from parity.sandbox.seed import seed_production
    result = seed_production(sandbox, articles=200, seed=1)   # idempotent, deterministic

Modules: ``model`` (the records, keyed), ``people``, ``media``, ``blocks``, ``options``
and ``plan`` (pure: what to write), ``rows`` (pure: records as table rows), ``writer``
(root SQL, one transaction), ``service`` (the whole run), ``result`` (what it did).
See docs/sandbox.md.
"""

from __future__ import annotations

from parity.sandbox.seed.model import SEED_KEY
from parity.sandbox.seed.options import DEMO_OPTION, DEMO_OPTION_PATH, SEO_SETTINGS
from parity.sandbox.seed.plan import build_plan
from parity.sandbox.seed.result import KINDS, KindCount, SampleArticle, SeedResult
from parity.sandbox.seed.service import (
    DEFAULT_ARTICLES,
    DEFAULT_SEED,
    MAX_ARTICLES,
    SAMPLE_FILE,
    SAMPLE_SLUG,
    sample_article,
    seed_production,
)

__all__ = [
    "DEFAULT_ARTICLES",
    "DEFAULT_SEED",
    "DEMO_OPTION",
    "DEMO_OPTION_PATH",
    "KINDS",
    "MAX_ARTICLES",
    "SAMPLE_FILE",
    "SAMPLE_SLUG",
    "SEED_KEY",
    "SEO_SETTINGS",
    "KindCount",
    "SampleArticle",
    "SeedResult",
    "build_plan",
    "sample_article",
    "seed_production",
]
