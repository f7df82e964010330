"""`cache purge`: only the given routes are dropped, shown by headers before and after."""

from __future__ import annotations

import logging

import pytest
from fake_cache import FakeCachedSite, make_env

from parity.cache import default_ruleset
from parity.cache.purge import PurgeReport, purge_routes
from parity.errors import InputError
from parity.targets.cache import HttpPurger
from parity.targets.site import Site


def purge(
    fake: FakeCachedSite, routes: list[str], *, protected: bool = False, **kw: object
) -> PurgeReport:
    env = make_env(protected=protected)
    purger = HttpPurger(env, transport=fake.transport())
    with Site(env, transport=fake.transport()) as site:
        return purge_routes(site, purger, default_ruleset(), routes, **kw)  # type: ignore[arg-type]


def test_a_purged_route_is_a_miss_then_a_hit_and_the_control_stays_cached() -> None:
    fake = FakeCachedSite(default_ruleset())
    report = purge(fake, ["/hello-world/"])
    assert report.ok
    purged, control = report.checks
    assert (purged.route, control.route) == ("/hello-world/", "/")
    assert purged.before[-1].cache == "HIT"
    assert [o.cache for o in purged.after] == ["MISS", "HIT"]
    assert purged.purge_status == 200
    assert [o.cache for o in control.after] == ["HIT"] and not control.purged
    assert [r.method for r in fake.seen].count("PURGE") == 1
    assert next(r for r in fake.seen if r.method == "PURGE").url.path == "/hello-world/"


def test_purging_the_home_page_uses_a_fresh_control_url() -> None:
    report = purge(FakeCachedSite(default_ruleset()), ["/"])
    assert report.ok
    assert report.checks[-1].route.startswith("/?parity-probe=")


def test_a_purge_that_drops_nothing_fails() -> None:
    report = purge(FakeCachedSite(default_ruleset(), ignores_purge=True), ["/a/"])
    assert not report.ok
    assert "expected MISS then HIT" in report.checks[0].detail


def test_a_route_the_rules_do_not_cache_is_purged_but_not_judged() -> None:
    report = purge(FakeCachedSite(default_ruleset()), ["/feed/"])
    assert report.ok
    assert "not cached by the rules (feeds)" in report.checks[0].detail


def test_a_purge_on_a_protected_environment_is_allowed_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="parity.cache.purge"):
        report = purge(FakeCachedSite(default_ruleset()), ["/a/"], protected=True)
    assert report.ok and report.protected
    assert "purging /a/ on protected environment staging" in caplog.text


def test_the_control_cannot_be_a_purged_route() -> None:
    with pytest.raises(InputError, match="control route"):
        purge(FakeCachedSite(default_ruleset()), ["/a/"], control="/a/")


def test_purge_report_as_json() -> None:
    data = purge(FakeCachedSite(default_ruleset()), ["/a/"]).as_dict()
    assert data["ok"] is True
    assert [r["route"] for r in data["routes"]] == ["/a/"]
    assert data["control"]["route"] == "/"
