"""Taking samples: each mode prepares the cache its way and every sample is labelled."""

from __future__ import annotations

import pytest
from timing_site import TimingSite, make_env

from parity.errors import InputError
from parity.measure.sample import EXPECTED_STATUS, TimedSample, take_samples
from parity.targets.cache import HttpPurger
from parity.targets.site import Site


def sample(mode: str, count: int = 5, fake: TimingSite | None = None) -> list[TimedSample]:
    fake = fake or TimingSite()
    env = make_env()
    purger = HttpPurger(env, transport=fake.transport())
    with Site(env, transport=fake.transport()) as site:
        return take_samples(site, "/hello-world/", mode, count, purger=purger)


@pytest.mark.parametrize("mode", ["cold", "warm", "logged-in"])
def test_every_sample_of_a_mode_gets_the_status_the_mode_promises(mode: str) -> None:
    samples = sample(mode)
    assert len(samples) == 5
    assert {s.cache_status for s in samples} == {EXPECTED_STATUS[mode]}
    assert all(s.seconds > 0 and s.http_status == 200 for s in samples)


def test_cold_purges_before_every_sample() -> None:
    fake = TimingSite()
    sample("cold", 4, fake)
    methods = [r.method for r in fake.seen]
    assert methods == ["PURGE", "GET"] * 4


def test_warm_primes_once_and_ages_rise() -> None:
    fake = TimingSite()
    samples = sample("warm", 3, fake)
    assert [r.method for r in fake.seen] == ["GET"] * 5  # MISS, HIT (primed), then 3
    assert [s.age for s in samples] == [2, 3, 4]


def test_logged_in_logs_in_through_wp_login() -> None:
    fake = TimingSite()
    sample("logged-in", 2, fake)
    assert any(r.method == "POST" and r.url.path == "/wp-login.php" for r in fake.seen)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InputError, match="mode"):
        sample("lukewarm")
    with pytest.raises(InputError, match="at least 1"):
        sample("warm", 0)
    with (
        Site(make_env(), transport=TimingSite().transport()) as site,
        pytest.raises(InputError, match="purger"),
    ):
        take_samples(site, "/", "cold", 1)


def test_a_sample_round_trips_through_its_dict() -> None:
    original = TimedSample(0.25, "HIT", 12, 200)
    assert TimedSample.from_dict(original.as_dict()) == original
    assert original.as_sample().cache_status == "HIT"
