"""The ``[jobs]`` section of parity.toml: job settings and jobs declared by the team.

Example::

    [jobs]
    lease_seconds = 300
    broker = "redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0"   # for --on celery, parity worker

    [jobs.content_import]          # the built-in content import job
    owner = "content team"
    schedule = "30 2 * * *"

    [[jobs.declared]]
    name = "rebuild-sitemap"
    owner = "seo team"
    description = "Regenerate the XML sitemap of staging."
    command = ["php", "/srv/tools/sitemap.php"]
    schedule = "0 3 * * *"
    expected = { http = "/wp-sitemap.xml", env = "staging", status = 200, contains = "urlset" }
    rollback = { note = "Nothing to undo: the sitemap is rebuilt from posts." }

``expected`` is one of: ``{ sql = "SELECT COUNT(*) FROM {prefix}posts ...", env = "...",
equals | at_least | at_most = N, timeout_s = 30 }``, ``{ http = "/path", env = "...", status = 200,
contains = "..." }`` or ``{ callable = "package.module:function" }``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from parity.jobs.model import check_job_name
from parity.jobs.schedule import ScheduleError, parse_schedule
from parity.jobs.sqlcheck import single_select

__all__ = [
    "BUILTIN_JOB_NAMES",
    "CallableExpectation",
    "ContentImportSettings",
    "DeclaredJob",
    "Expectation",
    "HttpExpectation",
    "JobsSection",
    "RollbackSettings",
    "SqlExpectation",
    "jobs_settings",
]

_DOTTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
#: Names parity itself uses for its built-in jobs.
BUILTIN_JOB_NAMES = frozenset({"content-import", "content-rollback"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_dotted(value: str) -> str:
    if not _DOTTED.fullmatch(value):
        raise ValueError("must look like package.module:function")
    return value


def _check_schedule(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_schedule(value).expression
    except ScheduleError as exc:
        raise ValueError(f"invalid cron expression: {exc}") from None


class SqlExpectation(_Strict):
    """Expect a ``SELECT COUNT(*)`` (``{prefix}`` is the table prefix) to give a number.

    One statement only (a final ``;`` is allowed), stopped by the server after
    ``timeout_s`` seconds.
    """

    sql: str
    env: str
    equals: int | None = None
    at_least: int | None = None
    at_most: int | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("sql")
    @classmethod
    def _select_only(cls, value: str) -> str:
        single_select(value)  # one SELECT statement, or ValueError saying why not
        return value

    @model_validator(mode="after")
    def _some_bound(self) -> SqlExpectation:
        if self.equals is None and self.at_least is None and self.at_most is None:
            raise ValueError("give equals, at_least or at_most")
        return self


class HttpExpectation(_Strict):
    """Expect a page of an environment to answer ``status`` (and contain a text)."""

    http: str
    env: str
    status: int = 200
    contains: str | None = None


class CallableExpectation(_Strict):
    """Expect a Python function ``(CheckContext) -> CheckOutcome | bool`` to pass."""

    callable: Annotated[str, Field(description="package.module:function")]

    @field_validator("callable")
    @classmethod
    def _dotted(cls, value: str) -> str:
        return _check_dotted(value)


def _expectation_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for kind in ("sql", "http", "callable"):
            if kind in value:
                return kind
        return None
    if isinstance(value, SqlExpectation):
        return "sql"
    if isinstance(value, HttpExpectation):
        return "http"
    if isinstance(value, CallableExpectation):
        return "callable"
    return None


#: One expected-result check, told apart by its first key (sql, http or callable).
Expectation = Annotated[
    Annotated[SqlExpectation, Tag("sql")]
    | Annotated[HttpExpectation, Tag("http")]
    | Annotated[CallableExpectation, Tag("callable")],
    Discriminator(
        _expectation_kind,
        custom_error_type="expected_kind",
        custom_error_message="must have one of the keys sql, http or callable",
    ),
]


class RollbackSettings(_Strict):
    """How to undo a job: a note, and optionally the command that does it."""

    note: Annotated[str, Field(min_length=1)]
    command: str | None = None


class DeclaredJob(_Strict):
    """A job the team declares: what it runs, who owns it, what to expect, how to undo."""

    name: str
    owner: Annotated[str, Field(min_length=1)]
    description: Annotated[str, Field(min_length=1)]
    expected: Expectation
    rollback: RollbackSettings
    schedule: str | None = None
    command: list[str] | None = None
    callable: str | None = None
    scope: str = "default"
    timeout_seconds: Annotated[float, Field(gt=0)] = 3600.0

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        check_job_name(value)
        if value in BUILTIN_JOB_NAMES:
            raise ValueError(f"{value!r} is a built-in job; configure it under [jobs.*]")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return _check_schedule(value)

    @field_validator("callable")
    @classmethod
    def _callable(cls, value: str | None) -> str | None:
        return None if value is None else _check_dotted(value)

    @model_validator(mode="after")
    def _one_action(self) -> DeclaredJob:
        if (self.command is None) == (self.callable is None):
            raise ValueError("give exactly one of command (a list of arguments) or callable")
        if self.command is not None and not self.command:
            raise ValueError("command must not be empty")
        return self


class ContentImportSettings(_Strict):
    """Settings of the built-in ``content-import`` job."""

    owner: Annotated[str, Field(min_length=1)] = "content team"
    schedule: str | None = None
    batch_size: Annotated[int, Field(ge=1, le=5000)] = 500

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return _check_schedule(value)


class JobsSection(_Strict):
    """The whole ``[jobs]`` section."""

    lease_seconds: Annotated[int, Field(ge=30)] = 300
    broker: str | None = Field(
        default=None,
        description="Celery broker URL (redis://...) of `--on celery` runs and `parity worker`",
    )
    content_import: ContentImportSettings = Field(default_factory=ContentImportSettings)
    declared: list[DeclaredJob] = Field(default_factory=list)

    @field_validator("declared")
    @classmethod
    def _unique(cls, value: list[DeclaredJob]) -> list[DeclaredJob]:
        seen: set[str] = set()
        for job in value:
            if job.name in seen:
                raise ValueError(f"job {job.name!r} is declared twice")
            seen.add(job.name)
        return value


def jobs_settings(settings: object | None) -> JobsSection:
    """The ``[jobs]`` section of ``settings``, or the defaults when it has none.

    The one place that reads it, so wiring ``jobs: JobsSection`` into ``Settings`` changes
    nothing else.
    """
    section = getattr(settings, "jobs", None)
    return section if isinstance(section, JobsSection) else JobsSection()
