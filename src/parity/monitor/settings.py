"""The ``[monitor]`` section of parity.toml: checks as data, thresholds, retention, alerts.

Example::

    [monitor]
    interval_s = 30
    failure_threshold = 3          # failed probes in a row before a check is "down"
    success_threshold = 2          # good probes in a row before it is "up" again

    [[monitor.checks]]
    name = "shop"
    env = "production"
    route = "/shop/"
    interval_s = 10
    slo_ms = 800
    conditions = ["status == 200", "p95_ms < 800", 'body contains "Add to cart"']

    [monitor.wp_cron]
    interval_s = 300               # how often WordPress's own cron is read
    grace_s = 600                  # an event this late is overdue ("jobs": amber)

    [[monitor.alerts]]
    name = "team-chat"
    url = "http://127.0.0.1:9000/hook"

Every environment also gets the default checks of ``parity.monitor.defaults`` (turn them
off with ``defaults = false``). Conditions are parsed when the file is read: an unknown
condition is a config error naming its key (``monitor.checks.0.conditions.1``). A check's
``env`` is checked against ``[environments]`` by :func:`check_environments` when the
service starts (this model does not see the environments).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from parity.errors import ConfigError
from parity.monitor.conditions import ConditionError, parse_condition

__all__ = [
    "POST_TOKEN",
    "AlertWebhook",
    "CheckSpec",
    "DeploySettings",
    "JobExpectation",
    "MonitorSection",
    "RetentionSettings",
    "SlowSettings",
    "WpCronSettings",
    "check_environments",
    "monitor_settings",
    "parse_duration",
]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*")
_CHECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

#: Route token of "one post": the probe asks the REST API for the newest post's link.
POST_TOKEN = "{post}"

#: Shortest and longest interval between two probes of one check (seconds).
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 86400.0


def parse_duration(value: object) -> float:
    """Seconds from a number or a text such as ``15m``, ``30s``, ``1.5h``, ``250ms``.

    >>> parse_duration("15m"), parse_duration(2), parse_duration("250ms")
    (900.0, 2.0, 0.25)
    """
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds or a duration such as 30s or 15m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (found := _DURATION.fullmatch(value)):
        seconds = float(found[1]) * _UNITS[found[2] or "s"]
    else:
        raise ValueError("must be a number of seconds or a duration such as 30s or 15m")
    if seconds != seconds or seconds <= 0:
        raise ValueError("must be more than 0 seconds")
    return seconds


def _interval(value: object) -> float:
    seconds = parse_duration(value)
    if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
        raise ValueError(
            f"must be between {MIN_INTERVAL_S:g} s and {MAX_INTERVAL_S:g} s (got {seconds:g} s)"
        )
    return seconds


Interval = Annotated[float, BeforeValidator(_interval)]
Duration = Annotated[float, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSpec(_Strict):
    """One check: a route of an environment, probed every ``interval_s``, and its conditions."""

    name: str
    env: str
    route: str
    method: Literal["GET", "HEAD"] = "GET"
    logged_in: bool = False
    #: Send the request twice and judge the second (a cache must answer it: HIT).
    repeat: bool = False
    interval_s: Interval | None = None
    slo_ms: Annotated[float, Field(gt=0)] | None = None
    conditions: list[str] = Field(default_factory=lambda: ["status == 200"])

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _CHECK_NAME.fullmatch(value):
            raise ValueError("must be 1-100 letters, digits or -_. starting with a letter or digit")
        return value

    @field_validator("route")
    @classmethod
    def _route(cls, value: str) -> str:
        if value == POST_TOKEN:
            return value
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise ValueError(
                f"must be a path on the site starting with / (no spaces) or {POST_TOKEN}"
            )
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('give at least one condition, such as "status == 200"')
        for index, text in enumerate(value):
            try:
                parse_condition(text)
            except ConditionError as exc:
                raise ValueError(f"conditions[{index}] {text!r}: {exc}") from None
        return value

    @property
    def key(self) -> str:
        """What identifies the check in the store and the API: ``env/name``."""
        return f"{self.env}/{self.name}"


class SlowSettings(_Strict):
    """When a route counts as slow (against its SLO or its own baseline window)."""

    recent: Annotated[int, Field(ge=3, le=1000)] = 10
    baseline: Annotated[int, Field(ge=5, le=10000)] = 60
    alpha: Annotated[float, Field(gt=0, lt=0.5)] = 0.01
    min_ratio: Annotated[float, Field(gt=1)] = 1.25
    min_difference_ms: Annotated[float, Field(ge=0)] = 50.0


class RetentionSettings(_Strict):
    """How long results are kept: every probe for ``raw``, rollups (one row per check per
    ``rollup_bucket``) for ``rollups``."""

    raw: Duration = 2 * 86400.0
    rollups: Duration = 30 * 86400.0
    rollup_bucket: Duration = 300.0


class AlertWebhook(_Strict):
    """A URL that gets a JSON POST once when a check fails and once when it resolves."""

    name: str
    url: str
    envs: list[str] = Field(default_factory=list)
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    attempts: Annotated[int, Field(ge=1, le=20)] = 5

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


class JobExpectation(_Strict):
    """How long a job's runs should take: shorter or longer is "jobs failing"."""

    name: str
    min_duration_s: Annotated[float, Field(ge=0)] | None = None
    max_duration_s: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _range(self) -> JobExpectation:
        if self.min_duration_s is None and self.max_duration_s is None:
            raise ValueError("give min_duration_s, max_duration_s or both")
        low, high = self.min_duration_s, self.max_duration_s
        if low is not None and high is not None and low > high:
            raise ValueError("min_duration_s is more than max_duration_s")
        return self


class DeploySettings(_Strict):
    """What the service compares after a deploy marker."""

    drift_interval_s: Interval = 300.0
    window: Annotated[int, Field(ge=3, le=10000)] = 30
    min_samples: Annotated[int, Field(ge=3, le=1000)] = 8


class WpCronSettings(_Strict):
    """How often the service reads each environment's WordPress cron, and when an event
    counts as overdue (seconds past its time)."""

    interval_s: Interval = 300.0
    grace_s: Duration = 600.0


class MonitorSection(_Strict):
    """The whole ``[monitor]`` section."""

    defaults: bool = True
    interval_s: Interval = 30.0
    failure_threshold: Annotated[int, Field(ge=1, le=100)] = 3
    success_threshold: Annotated[int, Field(ge=1, le=100)] = 2
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    checks: list[CheckSpec] = Field(default_factory=list)
    slow: SlowSettings = Field(default_factory=SlowSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    alerts: list[AlertWebhook] = Field(default_factory=list)
    jobs: list[JobExpectation] = Field(default_factory=list)
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    wp_cron: WpCronSettings = Field(default_factory=WpCronSettings)

    @field_validator("checks")
    @classmethod
    def _unique_checks(cls, value: list[CheckSpec]) -> list[CheckSpec]:
        _no_twice((c.key for c in value), "check")
        return value

    @field_validator("alerts")
    @classmethod
    def _unique_alerts(cls, value: list[AlertWebhook]) -> list[AlertWebhook]:
        _no_twice((a.name for a in value), "alert")
        return value


def _no_twice(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is declared twice")
        seen.add(name)


def check_environments(section: MonitorSection, environments: Iterable[str], where: str) -> None:
    """ConfigError naming the key when a check or an alert names an unknown environment."""
    known = set(environments)
    listed = ", ".join(sorted(known)) or "none"
    for index, check in enumerate(section.checks):
        if check.env not in known:
            raise ConfigError(
                f"{where}: monitor.checks.{index}.env: no environment named {check.env!r}"
                f" (known: {listed})"
            )
    for index, alert in enumerate(section.alerts):
        for env in alert.envs:
            if env not in known:
                raise ConfigError(
                    f"{where}: monitor.alerts.{index}.envs: no environment named {env!r}"
                    f" (known: {listed})"
                )


def monitor_settings(settings: Any) -> MonitorSection:
    """The ``[monitor]`` section of ``settings``, or the defaults when it has none."""
    section = getattr(settings, "monitor", None)
    return section if isinstance(section, MonitorSection) else MonitorSection()
