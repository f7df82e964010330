"""``parity measure`` and ``parity measure compare``: take, save and compare measurements.

The service receives its targets (the environment's ``Site`` and, for cold mode, its
cache ``Purger``) and the state ``Store``; it times each route with
``parity.measure.sample.take_samples``, saves one measurement per route, and compares two
saved measurements with the pure ``parity.measure.compare``.

    with Site(env) as site:
        saved = measure_routes(site, ["/"], mode="warm", count=30, store=store)
    result = compare_measurements(store, saved[0].id, other_id)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from parity.errors import InputError
from parity.measure.compare import Comparison, Verdict, compare
from parity.measure.records import Measurement, load_measurement, save_measurement
from parity.measure.sample import TimedSample, take_samples
from parity.store.clock import utc_now
from parity.store.state import Store
from parity.targets.cache import Purger
from parity.targets.site import Site

__all__ = ["NON_2XX_REFUSAL", "MeasurementComparison", "compare_measurements", "measure_routes"]

#: Why a comparison with non-2xx samples is refused (after what was found), word for word.
NON_2XX_REFUSAL = (
    "their timings are of error pages or redirects, not of the route;"
    " measure again, or pass --allow-errors to compare them anyway"
)

log = logging.getLogger(__name__)


def measure_routes(
    site: Site,
    routes: Sequence[str],
    *,
    mode: str,
    count: int,
    store: Store,
    purger: Purger | None = None,
    on_sample: Callable[[str, TimedSample], None] | None = None,
) -> list[Measurement]:
    """Time every route ``count`` times in ``mode`` and save a measurement per route.

    ``on_sample(route, sample)`` is called after each sample (for progress). On a
    protected environment cold mode's purges are logged as warnings.
    """
    env = site.env
    for route in routes:
        if not route.startswith("/"):
            raise InputError(f"route {route!r} must be a path, e.g. /hello-world/")
    if not routes:
        raise InputError("give at least one route to measure")
    if mode == "cold" and env.protected:
        log.warning(
            "measure (cold) purges %s on protected environment %s before each sample",
            ", ".join(routes),
            env.name,
        )
    saved = []
    for route in routes:

        def forward(sample: TimedSample, route: str = route) -> None:
            if on_sample is not None:
                on_sample(route, sample)

        samples = take_samples(site, route, mode, count, purger=purger, on_sample=forward)
        measurement = Measurement(env.name, env.url, route, mode, utc_now(), tuple(samples))
        saved.append(save_measurement(store, measurement))
    return saved


@dataclass(frozen=True)
class MeasurementComparison:
    """Two saved measurements and the verdict on B against A."""

    a: Measurement
    b: Measurement
    comparison: Comparison

    @property
    def exit_code(self) -> int:
        """0 faster or no difference, 1 slower, 2 refused (different cache states)."""
        verdict = self.comparison.verdict
        if verdict is Verdict.refused:
            return 2
        return 1 if verdict is Verdict.slower else 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``parity measure compare --format json`` (docs/measure.md)."""
        return {
            "a": self.a.as_dict(with_samples=False),
            "b": self.b.as_dict(with_samples=False),
            "comparison": self.comparison.as_dict(),
        }


def compare_measurements(
    store: Store, a_id: int, b_id: int, *, allow_errors: bool = False
) -> MeasurementComparison:
    """Load measurements ``a_id`` and ``b_id`` and decide whether B is faster or slower.

    The verdict is ``refused`` when A and B had a different mix of cache statuses, and
    when either has samples that were not 2xx (a 500 or a 302 times an error page or a
    redirect, not the route) unless ``allow_errors``. Raises InputError when either id is
    not in the store.
    """
    a = load_measurement(store, a_id)
    b = load_measurement(store, b_id)
    comparison = compare(a.pure_samples(), b.pure_samples())
    errors = [
        f"{side} ({m.label()}) {m.non_2xx_text()}"
        for side, m in (("A", a), ("B", b))
        if m.non_2xx()
    ]
    if errors and not allow_errors:
        found = f"{'; '.join(errors)}: {NON_2XX_REFUSAL}"
        already = comparison.verdict is Verdict.refused
        comparison = replace(
            comparison,
            verdict=Verdict.refused,
            # Refused for its cache mix too: both reasons are said.
            message=f"{comparison.message}; also {found}" if already else f"refused: {found}",
            p_value=None,
            u_statistic=None,
            test_method=None,
            cliffs_delta=None,
            effect=None,
            median_ratio=None,
            ratio_ci=None,
        )
    return MeasurementComparison(a, b, comparison)
