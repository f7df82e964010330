"""``parity cache verify``: probe the live cache and hold it to the rules and to safety.

The service receives its targets (a ``Site`` per environment) and the rules; it sends the
probes of ``parity.cache.verify_plan`` and judges them with
``parity.cache.verify_report``:

1. log in through wp-login.php (when the environment has a login), to probe a real
   session and learn the user's display name for the leak detector;
2. per route: the page as served now (leak detectors only); a fresh URL twice (MISS then
   HIT when the rules cache it); the safety checks on that URL (logged-in, commenter,
   password-post, cart cookies, ``preview=true``, POST: all must bypass); a realistic
   set of browser cookies (cached when the rules say so; if not, cookie blame);
3. every rule example that can be sent, on its own fresh URL;
4. after at least 1.1 s, every URL that was a HIT again: still a HIT, ``Age`` risen.

Nothing is written and nothing is purged: the probe URLs are made fresh with a query
parameter. Cookie values of the logged-in session are never printed or stored.

    with Site(settings.environment("staging")) as site:
        report = verify_environment(site, rules_from_settings(settings), ["/", "/about/"])
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import count

from parity.cache.blame import bisect_cookies
from parity.cache.evaluate import CacheRequest, CacheResponse, Decision, decide
from parity.cache.leaks import NONCE_LIFE, display_name, find_leaks
from parity.cache.observe import Observation, observe
from parity.cache.rules import Action, RuleSet
from parity.cache.verify_plan import Probe, check_route, cookie_hash, example_probes, route_probes
from parity.cache.verify_report import (
    EnvironmentReport,
    Finding,
    ProbeResult,
    Severity,
    VerifyReport,
    differences,
    judge,
)
from parity.targets.site import Site

__all__ = ["AGE_WAIT", "Progress", "verify_environment", "verify_sites"]

log = logging.getLogger(__name__)

#: How long after a HIT the same URL is asked again, so that its Age must have risen.
AGE_WAIT = 1.1

#: Called after each probe with (probes done, probes planned).
Progress = Callable[[int, int], None]


class _Verifier:
    """One environment's run (the state shared by its probes)."""

    def __init__(
        self,
        site: Site,
        ruleset: RuleSet,
        *,
        nonce_life: int,
        progress: Progress | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self.site = site
        self.ruleset = ruleset
        self.nonce_life = nonce_life
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        self.run_token = secrets.token_hex(4)
        self.user_names: list[str] = []
        self.session_cookie_names: list[str] = []
        self.done = 0
        self.total = 0

    # -- sending
    def tokens(self) -> Iterator[str]:
        """Fresh probe tokens for this run."""
        for n in count(1):
            yield f"{self.run_token}-{n}"

    def send(self, probe: Probe, cookies: Mapping[str, str] | None = None) -> Observation:
        """One request of ``probe`` (with ``cookies`` instead of the probe's own)."""
        at = self.clock()
        start = time.perf_counter()
        response = self.site.request(
            probe.method,
            probe.url,
            logged_in=probe.logged_in,
            cookies=dict(probe.cookies if cookies is None else cookies),
            headers=dict(probe.headers),
        )
        seconds = time.perf_counter() - start
        return observe(response, method=probe.method, url=probe.url, seconds=seconds, at=at)

    def decision(self, probe: Probe, response: Observation | None) -> Decision:
        """What the rules do with ``probe`` (given the live response when there is one)."""
        cookies = dict(probe.cookies)
        if probe.logged_in:
            # Names only: decide() matches cookie names; the session's values stay out.
            cookies.update(dict.fromkeys(self.session_cookie_names, "x"))
        request = CacheRequest.build(probe.url, probe.method, cookies, probe.headers)
        reply = CacheResponse.build(response.response_headers) if response else None
        return decide(self.ruleset, request, reply)

    def leaks_of(self, result: ProbeResult, observations: Sequence[Observation]) -> None:
        """Run the leak detectors on the anonymous responses the cache shared."""
        if result.probe.logged_in:
            return
        ttl = result.ttl
        for obs in observations:
            if obs.cache not in ("HIT", "MISS"):
                continue
            for leak in find_leaks(
                obs, ttl=ttl, user_names=self.user_names, nonce_life=self.nonce_life
            ):
                if leak not in result.leaks:
                    result.leaks.append(leak)

    def tick(self) -> None:
        """One probe done."""
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    # -- the checks
    def login(self) -> bool:
        """Log in (when configured) and learn the user's names and cookie names."""
        login = self.site.env.login
        if login is None:
            return False
        self.site.login()
        # The session's own cookie names would do as well, but the rules match prefixes
        # only, and WordPress names its cookies after md5(site URL) (COOKIEHASH).
        self.session_cookie_names = [f"wordpress_logged_in_{cookie_hash(self.site.env.url)}"]
        self.user_names = [login.user]
        page = self.site.get("/", logged_in=True)
        name = display_name(page.text)
        if name and name not in self.user_names:
            self.user_names.append(name)
        return True

    def as_served(self, probe: Probe) -> ProbeResult:
        """The route as strangers get it now: leak detectors only."""
        obs = self.send(probe)
        decision = self.decision(probe, obs)
        result = _result(probe, None, decision, [obs])
        result.detail = obs.label()
        self.leaks_of(result, [obs])
        return result

    def fresh(self, probe: Probe) -> ProbeResult:
        """A fresh URL: decided with its first response; a second request to confirm."""
        first = self.send(probe)
        decision = self.decision(probe, first)
        expected = probe.policy or decision.action
        observations = [first]
        if expected == "cache" or first.cache != "PASS":
            observations.append(self.send(probe))
        result = _result(probe, expected, decision, observations)
        result.passed, result.detail = judge(expected, observations)
        self.leaks_of(result, observations)
        return result

    def on_cached_url(self, probe: Probe) -> ProbeResult:
        """A check on the anonymous probe's URL, already cached: any HIT is the cache's."""
        first = self.send(probe)
        decision = self.decision(probe, first)
        expected = probe.policy or decision.action
        observations = [first]
        if expected == "bypass" and first.cache == "MISS":
            observations.append(self.send(probe))
        result = _result(probe, expected, decision, observations)
        if expected == "cache":
            result.passed = first.cache == "HIT"
            result.detail = (
                first.label() if result.passed else f"not served from the cache ({first.label()})"
            )
        else:
            result.passed, result.detail = judge("bypass", observations)
        if probe.policy == "bypass" and decision.action == "cache" and not result.passed:
            result.detail += f"; the rules themselves cache it ({decision.rule})"
        self.leaks_of(result, observations)
        return result

    def blame(self, result: ProbeResult) -> None:
        """Find the cookie(s) that made the browser-cookie request miss the cache."""
        probe = result.probe

        def bypassed(names: Sequence[str]) -> bool:
            subset = {name: probe.cookies[name] for name in names}
            return self.send(probe, cookies=subset).cache != "HIT"

        blame = bisect_cookies(list(probe.cookies), bypassed)
        result.blame = blame
        explained = []
        for group in blame.culprits:
            cookies = {name: probe.cookies[name] for name in group}
            decision = decide(self.ruleset, CacheRequest.build(probe.url, cookies=cookies))
            if decision.action == "bypass":
                explained.append(f"{' + '.join(group)} (rule {decision.rule})")
            else:
                explained.append(f"{' + '.join(group)} (no rule: the rules would cache it)")
        if explained:
            result.detail += "; passed because of " + ", ".join(explained)

    def recheck_age(self, results: Sequence[ProbeResult]) -> list[Finding]:
        """Ask every confirmed HIT again: still a HIT, with Age risen."""
        findings: list[Finding] = []
        pending = [
            r for r in results if r.expected == "cache" and r.passed and len(r.observations) >= 2
        ]
        if not pending:
            return findings
        latest = max(r.observations[1].at for r in pending)
        wait = AGE_WAIT - (self.clock() - latest)
        if wait > 0:
            self.sleep(wait)
        for result in pending:
            hit = result.observations[1]
            again = self.send(result.probe)
            result.observations.append(again)
            self.leaks_of(result, [again])
            elapsed = again.at - hit.at
            if again.cache != "HIT":
                result.passed = False
                result.detail = f"no longer cached {elapsed:.1f} s later ({again.label()})"
            elif hit.age is None or again.age is None:
                findings.append(
                    Finding(
                        "warn",
                        "no-age",
                        result.probe.key,
                        f"{result.probe.route}: cached responses carry no Age header",
                    )
                )
            elif again.age <= hit.age and elapsed >= 1.0:
                result.passed = False
                result.detail = (
                    f"Age did not rise ({hit.age} then {again.age}, {elapsed:.1f} s apart):"
                    " the object was fetched again"
                )
            else:
                result.detail += f", age {again.age} after {elapsed:.1f} s"
        return findings


def _result(
    probe: Probe, expected: Action | None, decision: Decision, observations: list[Observation]
) -> ProbeResult:
    return ProbeResult(
        probe,
        expected,
        decided_by=decision.rule,
        reason=decision.reason,
        ttl=decision.ttl if decision.action == "cache" else None,
        observations=observations,
    )


def _findings(result: ProbeResult) -> list[Finding]:
    probe = result.probe
    where = f"{probe.route} {probe.label()}"
    found: list[Finding] = []
    if result.passed is False:
        found.append(Finding("error", "expectation", probe.key, f"{where}: {result.detail}"))
    for leak in result.leaks:
        found.append(Finding("error", f"leak:{leak.kind}", probe.key, f"{where}: {leak.message}"))
    if result.blame is not None:
        severity: Severity = "error" if result.passed is False else "info"
        found.append(
            Finding(severity, "cookie-blame", probe.key, f"{where}: {result.blame.describe()}")
        )
    live = result.live_rule
    if result.decided_by and live and live != result.decided_by and result.passed:
        found.append(
            Finding(
                "warn",
                "rule-mismatch",
                probe.key,
                f"{where}: the rules decide by {result.decided_by}, the cache by {live}",
            )
        )
    return found


def verify_environment(
    site: Site,
    ruleset: RuleSet,
    routes: Sequence[str],
    *,
    examples: bool = True,
    extra_cookies: Mapping[str, str] | None = None,
    nonce_life: int = NONCE_LIFE,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> EnvironmentReport:
    """Probe one environment's cache (see the module doc); its report.

    ``routes`` are paths (with an optional query); ``examples`` adds every rule example
    that can be sent; ``extra_cookies`` join the realistic browser cookies. ``sleep`` and
    ``clock`` (``time.monotonic``) are replaceable for tests.
    Raises SiteError (SiteUnreachable, LoginFailed) when the site cannot be probed.
    """
    env = site.env
    routes = [check_route(r) for r in dict.fromkeys(routes)]
    run = _Verifier(
        site, ruleset, nonce_life=nonce_life, progress=progress, sleep=sleep, clock=clock
    )
    logged_in = run.login()
    report = EnvironmentReport(
        env.name, env.url, env.protected, env.login.user if logged_in and env.login else None
    )
    if not logged_in:
        report.findings.append(
            Finding(
                "warn",
                "no-login",
                "",
                f"{env.name} has no login in parity.toml: the logged-in bypass is not checked",
            )
        )
    hash_ = cookie_hash(env.url, run.session_cookie_names)
    tokens = run.tokens()
    planned = [
        route_probes(r, tokens, hash_=hash_, logged_in=logged_in, extra_cookies=extra_cookies)
        for r in routes
    ]
    exemplary = example_probes(ruleset, tokens) if examples else []
    run.total = sum(len(p) for p in planned) + len(exemplary)

    for probes in planned:
        anonymous: ProbeResult | None = None
        for probe in probes:
            if probe.check == "as served":
                result = run.as_served(probe)
            elif probe.check in ("anonymous", "preview"):
                result = run.fresh(probe)
                if probe.check == "anonymous":
                    anonymous = result
            elif anonymous is not None and anonymous.expected == "cache" and anonymous.passed:
                result = run.on_cached_url(probe)
                if probe.check == "browser cookies" and result.observations[0].cache != "HIT":
                    run.blame(result)
            elif probe.check == "browser cookies":
                result = ProbeResult(probe, None, skipped="the route is not cached anonymously")
            else:
                result = run.fresh(probe)
            report.results.append(result)
            run.tick()
    for probe, skip in exemplary:
        result = ProbeResult(probe, None, skipped=skip) if skip else run.fresh(probe)
        report.results.append(result)
        run.tick()

    report.findings += run.recheck_age(report.results)
    for result in report.results:
        report.findings += _findings(result)
    log.info(
        "cache verify %s: %d probes, %d failures",
        env.name,
        report.counts()["probes"],
        len(report.failures),
    )
    return report


def verify_sites(
    sites: Sequence[Site],
    ruleset: RuleSet,
    routes: Sequence[str],
    *,
    examples: bool = True,
    extra_cookies: Mapping[str, str] | None = None,
    nonce_life: int = NONCE_LIFE,
    progress: Callable[[str, int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> VerifyReport:
    """``verify_environment`` on each site (one or two), then the differences between them.

    ``progress`` gets (environment name, done, planned).
    """
    reports = []
    for site in sites:
        name = site.env.name

        def forward(done: int, total: int, name: str = name) -> None:
            if progress is not None:
                progress(name, done, total)

        reports.append(
            verify_environment(
                site,
                ruleset,
                routes,
                examples=examples,
                extra_cookies=extra_cookies,
                nonce_life=nonce_life,
                progress=forward,
                sleep=sleep,
                clock=clock,
            )
        )
    diffs = differences(reports[0], reports[1]) if len(reports) == 2 else []
    return VerifyReport(reports, diffs)
