"""The ``[drift]`` section of parity.toml: ignore rules, routes to probe, masks.

Example::

    [drift]
    ignore = ["options:blog_public", "http:*/wp-login.php*"]
    routes = ["/", "{post}", "{page}", "/feed/", "/wp-json/", "/wp-login.php", "/shop/"]
    exact_counts = false

``drift_settings(settings)`` is how drift code reads it, so it works before and after
``Settings`` gains its ``drift`` field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from parity.vocabulary import Severity

__all__ = [
    "CATEGORIES",
    "DEFAULT_ROUTES",
    "DriftSection",
    "Severity",
    "drift_settings",
    "parse_rule",
]


#: Finding categories, in the order reports show them.
CATEGORIES: tuple[str, ...] = (
    "wordpress",
    "plugins",
    "options",
    "schema",
    "cron",
    "roles",
    "volume",
    "http",
)

#: Home page, one post, one page, the feed, the REST root, the login page.
#: ``{post}`` and ``{page}`` stand for the oldest published post and page.
DEFAULT_ROUTES: tuple[str, ...] = (
    "/",
    "{post}",
    "{page}",
    "/feed/",
    "/wp-json/",
    "/wp-login.php",
)

ROUTE_TOKENS = frozenset({"{post}", "{page}"})


def parse_rule(rule: str) -> tuple[str, str]:
    """Split ``"category:key-pattern"`` into its two parts; raise ValueError if malformed.

    >>> parse_rule("options:akismet_*")
    ('options', 'akismet_*')
    """
    category, sep, pattern = rule.partition(":")
    category = category.strip()
    if not sep or not pattern:
        raise ValueError(f"{rule!r} must look like category:key-pattern, e.g. options:foo_*")
    if category != "*" and category not in CATEGORIES:
        raise ValueError(
            f"{rule!r}: unknown category {category!r} (one of {', '.join(CATEGORIES)}, or *)"
        )
    return category, pattern


class DriftSection(BaseModel):
    """Settings of ``parity snapshot`` and ``parity drift``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ignore: list[str] = Field(
        default_factory=list,
        description='findings never reported, as "category:key-pattern" (* and ? wildcards)',
    )
    severity: dict[str, Severity] = Field(
        default_factory=dict,
        description='severity overrides: {"category:key-pattern" = "info|warn|error"}',
    )
    routes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ROUTES),
        description="paths probed over HTTP; {post} and {page} are the oldest published ones",
    )
    logged_in: bool = Field(
        default=True, description="also probe routes logged in, when a login is configured"
    )
    exact_counts: bool = Field(
        default=False, description="count rows with COUNT(*) instead of table statistics"
    )
    preserved_options: list[str] = Field(
        default_factory=lambda: ["siteurl", "home", "blog_public"],
        description="options that differ on purpose (the refresh policy keeps them): masked",
    )
    volatile_options: list[str] = Field(
        default_factory=list,
        description="extra option-name patterns whose values change by themselves: masked",
    )
    secret_options: list[str] = Field(
        default_factory=list,
        description="extra option-name patterns holding secrets: never stored",
    )
    hosts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="other hosts of an environment (CDN, www alias), normalised like its own",
    )
    volume_tolerance: float = Field(
        default=0.1,
        ge=0,
        description="row-count differences below this fraction are not reported",
    )
    volume_min_rows: int = Field(
        default=100, ge=0, description="row-count differences below this are not reported"
    )
    overdue_after_s: int = Field(
        default=600, ge=0, description="a cron event this late is counted as overdue"
    )
    autoload_limit_bytes: int = Field(
        default=800_000, ge=1, description="autoloaded options above this size are flagged"
    )

    @field_validator("ignore")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        for rule in value:
            parse_rule(rule)
        return value

    @field_validator("severity")
    @classmethod
    def _severity_rules(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        for rule in value:
            parse_rule(rule)
        return value

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: list[str]) -> list[str]:
        for route in value:
            if route not in ROUTE_TOKENS and not route.startswith("/"):
                raise ValueError(f"route {route!r} must start with / (or be {{post}}, {{page}})")
        return value


def drift_settings(settings: Any) -> DriftSection:
    """The ``[drift]`` section of ``settings``, or the defaults when it has none.

    The one place that tolerates ``Settings`` without a ``drift`` field (until it has one).
    """
    section = getattr(settings, "drift", None)
    if isinstance(section, DriftSection):
        return section
    if isinstance(section, dict):
        return DriftSection.model_validate(section)
    return DriftSection()
