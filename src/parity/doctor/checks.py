"""The doctor's checks for one environment, each independent and quick.

A check that cannot run because an earlier one failed (no database, so no tables) is
reported as skipped with the reason, so the table always shows every check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from parity.environments import EnvironmentSettings
from parity.errors import ParityError
from parity.targets.cache import HttpPurger
from parity.targets.database import Database
from parity.targets.site import Site

__all__ = ["Check", "EnvironmentReport", "check_environment"]

Status = Literal["ok", "fail", "skip"]

CORE_TABLES = ("options", "posts", "postmeta", "users", "usermeta")
PROBE_PATH = "/.parity-doctor-probe"


@dataclass
class Check:
    """The outcome of one check."""

    name: str
    status: Status
    detail: str


@dataclass
class EnvironmentReport:
    """Every check for one environment."""

    environment: str
    protected: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(c.status != "fail" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "environment": self.environment,
            "protected": self.protected,
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
        }


def _database_checks(env: EnvironmentSettings, report: EnvironmentReport) -> None:
    try:
        db = Database.connect(env)
    except ParityError as exc:
        report.checks.append(Check("database", "fail", exc.one_line()))
        report.checks.append(Check("wordpress tables", "skip", "database not reachable"))
        return
    with db:
        version = db.scalar("SELECT VERSION()")
        report.checks.append(Check("database", "ok", f"{env.db.where()} ({version})"))
        try:
            tables = set(db.tables())
        except ParityError as exc:
            report.checks.append(Check("wordpress tables", "fail", exc.one_line()))
            return
    missing = [t for t in CORE_TABLES if env.table_prefix + t not in tables]
    if missing:
        names = ", ".join(env.table_prefix + t for t in missing)
        report.checks.append(
            Check("wordpress tables", "fail", f"missing {names} (is table_prefix right?)")
        )
    else:
        report.checks.append(
            Check("wordpress tables", "ok", f"{len(tables)} tables under {env.table_prefix}")
        )


def _site_checks(env: EnvironmentSettings, report: EnvironmentReport) -> None:
    with Site(env) as site:
        try:
            response = site.get("/")
        except ParityError as exc:
            report.checks.append(Check("site", "fail", exc.one_line()))
            report.checks.append(Check("login", "skip", "site not reachable"))
            return
        if response.status_code >= 500:
            report.checks.append(Check("site", "fail", f"GET / answered {response.status_code}"))
        else:
            report.checks.append(Check("site", "ok", f"GET / answered {response.status_code}"))
        if env.login is None:
            report.checks.append(Check("login", "skip", "no login configured"))
            return
        try:
            site.login()
        except ParityError as exc:
            report.checks.append(Check("login", "fail", exc.one_line()))
            return
        try:
            # A check leaves no WordPress session behind; doctor proves logging out works.
            site.logout()
        except ParityError as exc:
            report.checks.append(Check("login", "fail", f"logged in, but {exc.one_line()}"))
        else:
            report.checks.append(Check("login", "ok", f"logged in and out as {env.login.user}"))


def _cache_checks(env: EnvironmentSettings, report: EnvironmentReport) -> None:
    if env.cache is None or env.cache.kind == "none":
        report.checks.append(Check("cache", "skip", "no cache configured"))
        return
    purger = HttpPurger(env)
    try:
        # Purging a path nothing links to proves purges are accepted, and changes nothing.
        status = purger.purge(PROBE_PATH)
    except ParityError as exc:
        report.checks.append(Check("cache", "fail", exc.one_line()))
    else:
        report.checks.append(
            Check("cache", "ok", f"{env.cache.kind} purge endpoint answered {status}")
        )
    finally:
        purger.close()


def check_environment(env: EnvironmentSettings) -> EnvironmentReport:
    """Run every doctor check against ``env``; never raises for an unreachable part."""
    report = EnvironmentReport(environment=env.name, protected=env.protected)
    _database_checks(env, report)
    _site_checks(env, report)
    _cache_checks(env, report)
    return report
