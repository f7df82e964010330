"""The ``[refresh]`` policy: what a refresh rewrites, scrubs, keeps and leaves out.

Every field has a default a user would expect, so an empty (or missing) ``[refresh]``
table gives a safe refresh: URLs rewritten, personal data scrubbed, ``siteurl``/``home``/
``blog_public`` kept from the target, transients left out, one rollback point kept.

Example ``parity.toml``::

    [refresh]
    replace = [["https://cdn.example.com", "https://cdn.staging.example.com"]]
    preserve_options = ["siteurl", "home", "blog_public", "my_plugin_license_*"]
    exclude_tables = ["actionscheduler_logs"]
    exclude_post_types = ["revision"]
    staging_password = "${STAGING_USERS_PASSWORD}"

    [[refresh.scrub]]
    table = "usermeta"
    key = "phone_*"
    strategy = "empty"

Until the lead wires ``refresh: RefreshSection`` into :class:`parity.config.Settings`,
read it through :func:`refresh_settings`, the one place that knows where it lives.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "DEFAULT_PRESERVE_OPTIONS",
    "STRATEGIES",
    "RefreshSection",
    "ScrubRule",
    "Strategy",
    "refresh_settings",
]

#: Options kept from the target unless ``preserve_options`` says otherwise.
DEFAULT_PRESERVE_OPTIONS: tuple[str, ...] = ("siteurl", "home", "blog_public")

Strategy = Literal[
    "keep",
    "user_email",
    "email",
    "emails",
    "hash",
    "ip",
    "empty",
    "null",
    "fixed",
    "staging_password",
    "delete_row",
]

#: What each scrub strategy puts in place of a value (for docs and ``--help``).
STRATEGIES: dict[str, str] = {
    "keep": "leave the value as it is (switches a default rule off)",
    "user_email": "user<ID>@example.invalid, ID from the row's ID or user_id column",
    "email": "anon-<hash>@example.invalid, the same for the same address",
    "emails": "every e-mail address inside the value (serialized-safe) -> anon-<hash>@...",
    "hash": "anon-<hash> (a keyed hash: the same input gives the same output)",
    "ip": "an address in 192.0.2.0/24 (TEST-NET-1), the same for the same input",
    "empty": "the empty string",
    "null": "NULL",
    "fixed": "the rule's `value`",
    "staging_password": "a WordPress hash of the policy's staging password",
    "delete_row": "the row is not copied (needs `key`, e.g. session_tokens)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScrubRule(_Strict):
    """One ``[[refresh.scrub]]`` rule: a column of a table and what to put in it.

    ``table`` is the name without the table prefix (``usermeta``) or a full table name.
    ``key`` limits the rule to rows of a key/value table (options, *meta) whose key
    (``option_name`` / ``meta_key``) matches the pattern (``*`` and ``?`` wildcards);
    ``column`` then defaults to the value column. When several rules match one value the
    last one wins, and rules from the config come after the built-in ones.
    """

    table: str
    column: str | None = None
    key: str | None = None
    strategy: Strategy
    value: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScrubRule:
        if self.strategy == "fixed" and self.value is None:
            raise ValueError("strategy 'fixed' needs a value")
        if self.strategy != "fixed" and self.value is not None:
            raise ValueError("value is only used with strategy 'fixed'")
        if self.strategy == "delete_row" and self.key is None:
            raise ValueError("strategy 'delete_row' needs a key pattern")
        if self.column is None and self.key is None:
            raise ValueError("give a column, or a key for a key/value table")
        return self


class RefreshSection(_Strict):
    """The ``[refresh]`` table of parity.toml (every key optional)."""

    replace: list[tuple[str, str]] = Field(
        default_factory=list,
        description="extra [search, replace] pairs, applied after the URL pairs",
    )
    rewrite_guids: bool = Field(
        default=False, description="also rewrite wp_posts.guid (WordPress says: never)"
    )
    preserve_options: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRESERVE_OPTIONS),
        description="option names (wildcards * ?) whose value is kept from the target",
    )
    exclude_tables: list[str] = Field(
        default_factory=list,
        description="tables not copied (names without prefix, or full names; wildcards)",
    )
    extra_tables: list[str] = Field(
        default_factory=list, description="tables outside the table prefix to copy too"
    )
    exclude_post_types: list[str] = Field(
        default_factory=list,
        description="post types not copied (with their meta, comments and term links)",
    )
    exclude_transients: bool = Field(default=True, description="leave out transients")
    exclude_spam: bool = Field(default=False, description="leave out spam comments")
    exclude_trash: bool = Field(default=False, description="leave out trashed posts and comments")
    scrub: list[ScrubRule] = Field(
        default_factory=list, description="column rules, applied after the built-in ones"
    )
    default_scrub: bool = Field(
        default=True, description="apply the built-in personal-data rules (users, comments...)"
    )
    staging_password: SecretStr | None = Field(
        default=None,
        description="password every copied user gets; default: the target's login password",
    )
    scrub_key: SecretStr | None = Field(
        default=None,
        description="key of the scrub hashes (default: derived from the target's name)",
    )
    retention: int = Field(default=1, ge=0, description="rollback points kept per target")
    chunk_rows: int = Field(default=5000, ge=1, description="rows read and written per chunk")
    max_statement_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=64 * 1024,
        description="largest INSERT statement (also capped by max_allowed_packet)",
    )
    resume: bool = Field(default=True, description="continue a killed refresh from its checkpoints")
    resume_within_minutes: int = Field(
        default=360, ge=0, description="a killed run older than this restarts instead"
    )
    purge_paths: list[str] = Field(
        default_factory=lambda: ["/", "/feed/"],
        description="paths purged from the target's cache after the swap",
    )
    purge_recent_posts: int = Field(
        default=100, ge=0, description="also purge this many latest published posts and pages"
    )
    workers: int | None = Field(
        default=None,
        ge=0,
        description="processes that rewrite and scrub (default: one per core for big copies)",
    )
    lease_seconds: int = Field(
        default=120, ge=10, description="lease time-to-live; renewed while the refresh runs"
    )
    owner: str = Field(
        default="ops team",
        min_length=1,
        description="who answers for refreshes: the owner of refresh runs in run history",
    )

    @field_validator("replace")
    @classmethod
    def _pairs(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for search, _replace in pairs:
            if not search:
                raise ValueError("a search string is empty")
        return pairs

    @field_validator("purge_paths")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"{path!r} must start with /")
        return paths


def refresh_settings(settings: object) -> RefreshSection:
    """The ``[refresh]`` policy of ``settings``, or the defaults when it has none.

    The one place that knows where the section lives, so wiring it into
    :class:`parity.config.Settings` changes nothing else.
    """
    section = getattr(settings, "refresh", None)
    if section is None:
        return RefreshSection()
    if isinstance(section, RefreshSection):
        return section
    return RefreshSection.model_validate(section)
