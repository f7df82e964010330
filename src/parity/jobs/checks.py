"""Expected-result checks: a SQL count, an HTTP probe, or a Python callable.

Each is an :class:`~parity.jobs.model.ExpectedResult`: ``describe()`` is the line shown
beside the job, ``evaluate(context)`` runs it after a run. Checks only read: the SQL
check is one SELECT statement (see :mod:`parity.jobs.sqlcheck`), its session is made
read-only before the query runs, and the server stops it after ``timeout_s`` seconds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parity.environments import EnvironmentSettings
from parity.errors import ConfigError, DatabaseError
from parity.jobs.model import CheckContext, CheckOutcome, ExpectedResult
from parity.jobs.settings import CallableExpectation, HttpExpectation, SqlExpectation
from parity.jobs.sqlcheck import single_select
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = ["CallableCheck", "HttpProbe", "SqlCount", "expectation_check", "load_callable"]


def _environment(context: CheckContext, name: str) -> EnvironmentSettings:
    if context.settings is None:
        raise ConfigError(f"the check needs parity.toml to reach environment {name!r}")
    return context.settings.environment(name)


#: How long a SQL check may run unless its ``timeout_s`` says otherwise, in seconds.
DEFAULT_SQL_TIMEOUT_S = 30.0
# How MariaDB (1969) and MySQL (3024) say a statement ran out of time.
_TIMEOUT_MARKERS = ("max_statement_time exceeded", "maximum statement execution time exceeded")


def _time_limited(db: Database, sql: str, timeout_s: float) -> str:
    """``sql`` wrapped so that the server stops it after ``timeout_s`` seconds.

    MariaDB: ``SET STATEMENT max_statement_time=N FOR ...`` (seconds). MySQL has no
    SET STATEMENT: its session ``max_execution_time`` (milliseconds) is set instead.
    """
    if "mariadb" in str(db.scalar("SELECT VERSION()")).lower():
        return f"SET STATEMENT max_statement_time={timeout_s:g} FOR {sql}"
    db.query(f"SET SESSION max_execution_time = {max(1, round(timeout_s * 1000))}")
    return sql


@dataclass(frozen=True)
class SqlCount:
    """``SELECT COUNT(*) ...`` on an environment's database must meet the bounds."""

    env: str
    sql: str
    equals: int | None = None
    at_least: int | None = None
    at_most: int | None = None
    timeout_s: float = DEFAULT_SQL_TIMEOUT_S

    def _bounds(self) -> str:
        parts = []
        if self.equals is not None:
            parts.append(f"= {self.equals}")
        if self.at_least is not None:
            parts.append(f">= {self.at_least}")
        if self.at_most is not None:
            parts.append(f"<= {self.at_most}")
        return " and ".join(parts)

    def describe(self) -> str:
        """What is expected, on one line."""
        return f"SQL count on {self.env} {self._bounds()}: {' '.join(self.sql.split())}"

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Run the count (one statement, read-only session, time-limited) and compare.

        A query the server stops at ``timeout_s`` is an error outcome that says so.
        """
        env = _environment(context, self.env)
        try:
            sql = single_select(self.sql.replace("{prefix}", env.table_prefix))
        except ValueError as exc:
            raise ConfigError(f"expected.sql of the check on {self.env}: {exc}") from None
        if not 0 < self.timeout_s <= 3600:
            raise ConfigError("expected.timeout_s must be more than 0 and at most 3600")
        with Database.connect(env) as db:
            db.query("SET SESSION TRANSACTION READ ONLY")
            try:
                value = db.scalar(_time_limited(db, sql, self.timeout_s))
            except DatabaseError as exc:
                if not any(marker in exc.message for marker in _TIMEOUT_MARKERS):
                    raise
                return CheckOutcome(
                    False,
                    f"the query ran longer than {self.timeout_s:g} s and the server stopped"
                    " it (expected.timeout_s)",
                    error=True,
                )
        try:
            count = int(value)
        except (TypeError, ValueError):
            return CheckOutcome(False, f"the query gave {value!r}, not a number", error=True)
        ok = (
            (self.equals is None or count == self.equals)
            and (self.at_least is None or count >= self.at_least)
            and (self.at_most is None or count <= self.at_most)
        )
        return CheckOutcome(ok, f"count is {count} (expected {self._bounds()})")


@dataclass(frozen=True)
class HttpProbe:
    """A page of an environment must answer ``status`` (and contain ``contains``)."""

    env: str
    path: str
    status: int = 200
    contains: str | None = None

    def describe(self) -> str:
        """What is expected, on one line."""
        text = f" containing {self.contains!r}" if self.contains else ""
        return f"GET {self.path} on {self.env} answers {self.status}{text}"

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Request the page anonymously and compare."""
        env = _environment(context, self.env)
        with Site(env) as site:
            response = site.get(self.path)
        if response.status_code != self.status:
            return CheckOutcome(
                False, f"GET {self.path} answered {response.status_code}, not {self.status}"
            )
        if self.contains is not None and self.contains not in response.text:
            return CheckOutcome(False, f"GET {self.path} does not contain {self.contains!r}")
        return CheckOutcome(True, f"GET {self.path} answered {response.status_code}")


def load_callable(dotted: str) -> Callable[..., Any]:
    """Import ``package.module:function``; a ConfigError says what is wrong."""
    module_name, _, attribute = dotted.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for {dotted!r}: {exc}") from None
    target = getattr(module, attribute, None)
    if not callable(target):
        raise ConfigError(f"{dotted!r}: {module_name} has no function {attribute!r}")
    return target  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CallableCheck:
    """A Python function decides: it returns a CheckOutcome, or True/False."""

    label: str
    function: Callable[[CheckContext], CheckOutcome | bool] | None = None
    dotted: str | None = None

    def describe(self) -> str:
        """What is expected, on one line."""
        return self.label

    def evaluate(self, context: CheckContext) -> CheckOutcome:
        """Call the function."""
        function = self.function
        if function is None:
            assert self.dotted is not None
            function = load_callable(self.dotted)
        outcome = function(context)
        if isinstance(outcome, CheckOutcome):
            return outcome
        return CheckOutcome(bool(outcome), f"{self.label}: {'yes' if outcome else 'no'}")


def expectation_check(
    expected: SqlExpectation | HttpExpectation | CallableExpectation,
) -> ExpectedResult:
    """The check a ``[[jobs.declared]]`` table's ``expected`` describes."""
    if isinstance(expected, SqlExpectation):
        return SqlCount(
            expected.env,
            expected.sql,
            expected.equals,
            expected.at_least,
            expected.at_most,
            expected.timeout_s,
        )
    if isinstance(expected, HttpExpectation):
        return HttpProbe(expected.env, expected.http, expected.status, expected.contains)
    return CallableCheck(label=f"{expected.callable} passes", dotted=expected.callable)
