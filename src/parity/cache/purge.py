"""``parity cache purge``: drop only the given routes, and prove that is all it dropped.

For each route: make sure it is cached (a GET, and another if the first was not a HIT),
purge it through the environment's purger (Varnish ``PURGE`` with the site's Host, an
nginx purge endpoint, ...), then GET it twice: a MISS (it really was dropped) then a HIT
(it is cached again). A control route that was not purged is checked before and after:
it must stay a HIT, its ``Age`` not reset.

A purge is not a data write, so it is allowed on protected environments; every purge is
logged (a warning on a protected environment, so it shows on stderr).

    with Site(env) as site:
        report = purge_routes(site, purger_for(env), rules, ["/hello-world/"])
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.cache.evaluate import CacheRequest, decide
from parity.cache.observe import Observation, observe
from parity.cache.rules import RuleSet
from parity.cache.verify_plan import check_route, probe_url
from parity.errors import InputError
from parity.targets.cache import Purger
from parity.targets.site import Site

__all__ = ["PurgeCheck", "PurgeReport", "purge_routes"]

log = logging.getLogger(__name__)


@dataclass
class PurgeCheck:
    """One route: its state before, the purge, and what came back after."""

    route: str
    purged: bool
    cacheable: bool
    rule: str | None
    before: list[Observation] = field(default_factory=list)
    purge_status: int | None = None
    after: list[Observation] = field(default_factory=list)
    passed: bool = False
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "route": self.route,
            "purged": self.purged,
            "cacheable": self.cacheable,
            "rule": self.rule,
            "before": [o.as_dict() for o in self.before],
            "purge_status": self.purge_status,
            "after": [o.as_dict() for o in self.after],
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass
class PurgeReport:
    """A purge of some routes on one environment, and the checks around it."""

    environment: str
    protected: bool
    checks: list[PurgeCheck]

    @property
    def ok(self) -> bool:
        """True when every purged route came back MISS then HIT and the control stayed."""
        return all(c.passed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``parity cache purge --format json`` (docs/cache.md)."""
        return {
            "ok": self.ok,
            "environment": self.environment,
            "protected": self.protected,
            "routes": [c.as_dict() for c in self.checks if c.purged],
            "control": next((c.as_dict() for c in self.checks if not c.purged), None),
        }


def _get(site: Site, route: str) -> Observation:
    at = time.monotonic()
    start = time.perf_counter()
    response = site.get(route)
    return observe(response, method="GET", url=route, seconds=time.perf_counter() - start, at=at)


def _prime(site: Site, route: str) -> list[Observation]:
    first = _get(site, route)
    return [first] if first.cache == "HIT" else [first, _get(site, route)]


def purge_routes(
    site: Site,
    purger: Purger,
    ruleset: RuleSet,
    routes: Sequence[str],
    *,
    control: str | None = None,
) -> PurgeReport:
    """Purge ``routes`` on ``site``'s cache and check the effect (see the module doc).

    ``control`` is a route that is not purged (default ``/``, or a fresh URL of ``/``
    when ``/`` itself is purged). Raises CacheError when the purge endpoint fails.
    """
    routes = [check_route(r) for r in dict.fromkeys(routes)]
    if not routes:
        raise InputError("give at least one route to purge")
    if control is None:
        control = "/" if "/" not in routes else probe_url("/", secrets.token_hex(4))
    elif check_route(control) in routes:
        raise InputError(f"the control route {control} is also purged: pick another")
    env = site.env
    checks = []
    for route in [*routes, control]:
        decision = decide(ruleset, CacheRequest.build(route))
        checks.append(
            PurgeCheck(route, route != control, decision.action == "cache", decision.rule)
        )
    for check in checks:
        check.before = _prime(site, check.route)
    for check in checks:
        if not check.purged:
            continue
        if env.protected:
            log.warning("purging %s on protected environment %s", check.route, env.name)
        else:
            log.info("purging %s on %s", check.route, env.name)
        check.purge_status = purger.purge(check.route)
    for check in checks:
        if check.purged:
            first = _get(site, check.route)
            check.after = [first, _get(site, check.route)]
        else:
            check.after = [_get(site, check.route)]
        _judge(check)
    return PurgeReport(env.name, env.protected, checks)


def _judge(check: PurgeCheck) -> None:
    seen = ", ".join(o.label() for o in check.after)
    was = check.before[-1]
    if not check.cacheable:
        check.passed = True
        check.detail = f"not cached by the rules ({check.rule}): nothing to check ({seen})"
        return
    if was.cache != "HIT":
        check.passed = False
        check.detail = f"was not cached before the purge ({was.label()}): cannot show its effect"
        return
    statuses = [o.cache for o in check.after]
    if check.purged:
        check.passed = statuses == ["MISS", "HIT"]
        check.detail = seen if check.passed else f"expected MISS then HIT after the purge: {seen}"
        return
    after = check.after[0]
    kept_age = was.age is None or after.age is None or after.age >= was.age
    check.passed = after.cache == "HIT" and kept_age
    if check.passed:
        check.detail = f"stayed cached ({was.label()} before, {after.label()} after)"
    else:
        check.detail = f"should have stayed cached: {was.label()} before, {after.label()} after"
