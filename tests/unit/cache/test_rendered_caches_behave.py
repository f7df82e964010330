"""The rendered VCL and nginx config, run by real Varnish and nginx, do what `decide` says.

Every example of the default rules and of each broken variant goes through the real
cache twice, in front of a local backend that returns the example's response headers:
a cache decision must give MISS then HIT with one backend request and no cookies
forwarded; a bypass must give PASS twice with both requests reaching the backend.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cache_samples import every_feature_ruleset
from cache_servers import (
    Backend,
    Reply,
    fastcgi_backend,
    fetch,
    free_port,
    http_backend,
    nginx_binary,
    nginx_wrapper,
    run_nginx,
    run_varnish,
)

from parity.cache import (
    BROKEN_KINDS,
    CacheExample,
    CacheRequest,
    CacheResponse,
    RuleSet,
    broken_ruleset,
    decide,
    default_ruleset,
    render_nginx,
    render_varnish,
)

pytestmark = pytest.mark.slow

RULESETS = ["default", "every-feature", *BROKEN_KINDS]


def ruleset_named(name: str) -> RuleSet:
    if name == "default":
        return default_ruleset()
    if name == "every-feature":
        return every_feature_ruleset()
    return broken_ruleset(name)


def examples(ruleset: RuleSet) -> list[CacheExample]:
    return [example for rule in ruleset.rules for example in rule.examples]


def request_headers(example: CacheExample, host: str) -> dict[str, str]:
    headers = {"Host": host, **example.headers}
    if example.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in example.cookies.items())
    if example.response_headers:
        headers["X-Test-Response"] = json.dumps(example.response_headers)
    return headers


def cached_files(cache_dir: Path) -> int:
    return sum(1 for path in cache_dir.rglob("*") if path.is_file()) if cache_dir.exists() else 0


def wait_for_new_file(cache_dir: Path, before: int) -> None:
    """nginx stores a response after sending it: wait until it is there (at most 2 s)."""
    deadline = time.monotonic() + 2
    while cached_files(cache_dir) <= before and time.monotonic() < deadline:
        time.sleep(0.005)


def check_example(
    port: int, backend: Backend, ruleset: RuleSet, index: int, cache_dir: Path | None = None
) -> list[str]:
    """Problems with one example through the real cache (empty when it behaves).

    ``cache_dir`` (nginx): wait for a cacheable response to be stored before asking again.
    """
    example = examples(ruleset)[index]
    # A host of its own: every example starts with an empty cache.
    headers = request_headers(example, f"example{index}.test")
    decision = decide(
        ruleset, CacheRequest.from_example(example), CacheResponse.build(example.response_headers)
    )
    before = len(backend.seen)
    files = cached_files(cache_dir) if cache_dir else 0
    replies: list[Reply] = [fetch(port, example.method, example.url, headers)]
    if cache_dir and decision.action == "cache":
        wait_for_new_file(cache_dir, files)
    replies.append(fetch(port, example.method, example.url, headers))
    reached = backend.seen[before:]
    label = f"{example.label()} (decide: {decision.rule} {decision.action})"
    problems = []
    rule = decision.rule or "(none)"
    if [r.rule for r in replies] != [rule, rule]:
        problems.append(f"{label}: X-Cache-Rule {[r.rule for r in replies]}")
    if decision.action == "cache":
        if [r.x_cache for r in replies] != ["MISS", "HIT"]:
            problems.append(f"{label}: X-Cache {[r.x_cache for r in replies]}, want MISS, HIT")
        if len(reached) != 1:
            problems.append(f"{label}: {len(reached)} backend requests, want 1")
        if any(cookie for _, cookie in reached):
            problems.append(f"{label}: cookies reached the backend on a cacheable request")
    else:
        if [r.x_cache for r in replies] != ["PASS", "PASS"]:
            problems.append(f"{label}: X-Cache {[r.x_cache for r in replies]}, want PASS, PASS")
        if len(reached) != 2:
            problems.append(f"{label}: {len(reached)} backend requests, want 2")
        forwarded = all(cookie for _, cookie in reached)
        if example.cookies and decision.phase == "request" and not forwarded:
            problems.append(f"{label}: the bypassed request lost its cookies")
    return problems


@pytest.fixture(scope="module")
def varnish_ports(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[int, Backend]]]:
    """One varnishd per rule set, all in front of one HTTP backend."""
    root = tmp_path_factory.mktemp("varnish")
    with http_backend() as backend:
        running: dict[str, tuple[int, Backend]] = {}
        stack = []
        try:
            for name in RULESETS:
                vcl = root / f"{name}.vcl"
                vcl.write_text(
                    render_varnish(ruleset_named(name), backend_port=backend.port), "utf-8"
                )
                port = free_port()
                context = run_varnish(vcl, port, root / f"{name}-workdir")
                context.__enter__()
                stack.append(context)
                running[name] = (port, backend)
            yield running
        finally:
            for context in reversed(stack):
                context.__exit__(None, None, None)


@pytest.mark.parametrize("name", RULESETS)
def test_varnish_on_rendered_vcl_caches_and_bypasses_every_example_as_decide_says(
    name: str, varnish_ports: dict[str, tuple[int, Backend]]
) -> None:
    port, backend = varnish_ports[name]
    ruleset = ruleset_named(name)
    problems = []
    for index in range(len(examples(ruleset))):
        problems += check_example(port, backend, ruleset, index)
    assert problems == []


def test_varnish_purge_from_localhost_drops_only_that_host_and_url(
    varnish_ports: dict[str, tuple[int, Backend]],
) -> None:
    port, _ = varnish_ports["default"]
    host = {"Host": "purge.test"}
    for url in ("/purged/", "/kept/"):
        assert [fetch(port, "GET", url, host).x_cache for _ in range(2)] == ["MISS", "HIT"]
    assert fetch(port, "GET", "/purged/", {"Host": "other.test"}).x_cache == "MISS"

    purge = fetch(port, "PURGE", "/purged/", host)

    assert purge.status == 200
    assert fetch(port, "GET", "/purged/", host).x_cache == "MISS"
    assert fetch(port, "GET", "/purged/", {"Host": "other.test"}).x_cache == "HIT"
    kept = fetch(port, "GET", "/kept/", host)
    assert kept.x_cache == "HIT"
    assert int(kept.headers["age"]) >= 0


def test_varnish_refuses_purge_from_another_address(
    varnish_ports: dict[str, tuple[int, Backend]],
) -> None:
    port, _ = varnish_ports["default"]
    host = {"Host": "refused-purge.test"}
    assert [fetch(port, "GET", "/page/", host).x_cache for _ in range(2)] == ["MISS", "HIT"]

    refused = fetch(port, "PURGE", "/page/", host, source="127.0.0.2")

    assert refused.status == 405
    assert fetch(port, "GET", "/page/", host).x_cache == "HIT"


def test_varnish_on_caches_set_cookie_variant_hands_one_visitors_cookie_to_the_next(
    varnish_ports: dict[str, tuple[int, Backend]],
) -> None:
    port, _ = varnish_ports["caches-set-cookie"]
    headers = {"Host": "leak.test", "X-Test-Response": json.dumps({"Set-Cookie": "session=1"})}
    first = fetch(port, "GET", "/", headers)
    second = fetch(port, "GET", "/", {"Host": "leak.test"})
    assert (first.x_cache, second.x_cache) == ("MISS", "HIT")
    assert second.headers.get("set-cookie") == "session=1"


@pytest.mark.parametrize("name", ["default", "every-feature", "caches-set-cookie"])
def test_nginx_on_rendered_config_caches_and_bypasses_every_example_as_decide_says(
    name: str, tmp_path: Path
) -> None:
    ruleset = ruleset_named(name)
    with fastcgi_backend() as backend:
        port = free_port()
        rendered = render_nginx(ruleset, cache_dir=str(tmp_path / "cache"))
        config = nginx_wrapper(tmp_path, rendered, port, backend.port)
        with run_nginx(tmp_path, config, port):
            problems = []
            for index in range(len(examples(ruleset))):
                problems += check_example(port, backend, ruleset, index, tmp_path / "cache")
    assert problems == []


def test_rendered_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    rendered = render_nginx(default_ruleset(), cache_dir=str(tmp_path / "cache"))
    config = nginx_wrapper(tmp_path, rendered, free_port(), free_port())
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(config), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
