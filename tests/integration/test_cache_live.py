"""The live cache checks against the real sandbox: Varnish on VCL rendered from the rules.

`cache verify` passes on the sandbox (production, staging, both together) and fails with
the right finding when production's Varnish runs on each deliberately broken VCL;
`cache purge` of one route leaves the others cached. Tests that swap production's VCL
restore the built-in one in a finally block: the session sandbox is shared.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from parity.cache import broken_ruleset, render_varnish
from parity.cache.sandbox_vcl import sandbox_vcl
from parity.cli import cache_cmd
from parity.cli.context import CliState
from parity.config import load_settings
from parity.sandbox import Sandbox
from parity.targets.cache import HttpPurger

pytestmark = pytest.mark.integration

# A plugin that gives every visitor of one URL a cookie: what response-set-cookie is for.
SETS_COOKIE = "/?parity-sets-cookie=1"
MU_PLUGIN = """<?php
// parity test: a plugin that gives every visitor of one page a cookie.
if (isset($_GET['parity-sets-cookie'])) {
    setcookie('parity_visitor', bin2hex(random_bytes(4)), 0, '/');
}
"""


def cache_cli(config: Path, *args: str) -> Any:
    """`parity cache ...` in-process, with --config pointing at the sandbox."""
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config=config)

    app.add_typer(cache_cmd.app, name="cache")
    return CliRunner().invoke(app, ["cache", *args], env={"COLUMNS": "200"})


def findings(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (f["kind"], f["key"])
        for env in data["environments"]
        for f in env["findings"]
        if f["severity"] == "error"
    }


@pytest.fixture(scope="module")
def sets_cookie_plugin(sandbox: Sandbox) -> Iterator[None]:
    """The cookie-setting plugin, in production's mu-plugins for this module's tests."""
    folder = sandbox.layout.wp_content("production") / "mu-plugins"
    folder.mkdir(exist_ok=True)
    plugin = folder / "parity-sets-cookie.php"
    plugin.write_text(MU_PLUGIN)
    try:
        yield
    finally:
        plugin.unlink()


def purge(parity_config: Path, *paths: str) -> None:
    purger = HttpPurger(load_settings(parity_config).environment("production"))
    try:
        for path in paths:
            purger.purge(path)
    finally:
        purger.close()


# -- the sandbox runs the rendered default rules


def test_the_default_rules_pass_cache_test_and_the_sandbox_runs_their_vcl(
    sandbox: Sandbox, parity_config: Path
) -> None:
    assert cache_cli(parity_config, "test").exit_code == 0
    ports = sandbox.ports
    for site in ("production", "staging"):
        running = sandbox.layout.varnish_vcl(site).read_text()
        assert running == sandbox_vcl(site, ports.nginx(site), ports.varnish(site))
        response = httpx.get(sandbox.urls[site] + "/feed/", timeout=10)
        assert (response.headers["X-Cache"], response.headers["X-Cache-Rule"]) == ("PASS", "feeds")


# -- verify passes on the sandbox


@pytest.mark.parametrize("env", ["production", "staging"])
def test_verify_passes_on_each_sandbox_site(
    parity_config: Path, sets_cookie_plugin: None, env: str
) -> None:
    routes = ["/", "/hello-world/", "/sample-page/", "/?p=1", "/feed/"]
    if env == "production":
        routes.append(SETS_COOKIE)  # passed, never stored, by response-set-cookie
    args = [f"--route={r}" for r in routes]
    result = cache_cli(parity_config, "verify", env, *args, "--no-examples", "-f", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, findings(data)
    (report,) = data["environments"]
    assert report["logged_in_as"] == "admin"
    probes = {p["key"]: p for p in report["probes"]}
    anonymous = probes["/hello-world/ anonymous"]
    assert [o["cache"] for o in anonymous["observed"]] == ["MISS", "HIT", "HIT"]
    assert anonymous["observed"][2]["age"] > anonymous["observed"][1]["age"]
    assert probes["/ logged-in"]["observed"][0]["rule"] == "logged-in"
    assert probes["/feed/ anonymous"]["outcome"] == "bypassed"
    if env == "production":
        assert probes[f"{SETS_COOKIE} anonymous"]["observed"][0]["rule"] == "response-set-cookie"


def test_verify_passes_on_both_sites_together_with_every_rule_example(
    parity_config: Path,
) -> None:
    result = cache_cli(parity_config, "verify", "production", "staging", "-f", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0, findings(data)
    assert [env["environment"] for env in data["environments"]] == ["production", "staging"]
    assert data["counts"]["probes"] > 100
    outcome_differences = [d for d in data["differences"] if d["field"] == "outcome"]
    assert outcome_differences == []
    table = cache_cli(parity_config, "verify", "staging", "--no-examples")
    assert table.exit_code == 0
    assert "cache verify: staging" in table.output and "ok: staging" in table.output


def test_cookie_blame_finds_the_cookie_that_makes_a_browser_miss_the_cache(
    parity_config: Path,
) -> None:
    result = cache_cli(
        parity_config,
        "verify",
        "staging",
        "--no-examples",
        "--cookie",
        "comment_author_abc=Jane",
        "-f",
        "json",
    )
    assert result.exit_code == 0
    probes = {p["key"]: p for p in json.loads(result.stdout)["environments"][0]["probes"]}
    browser = probes["/ browser cookies"]
    assert browser["blame"]["culprits"] == [["comment_author_abc"]]
    assert "rule commenter" in browser["detail"]


# -- verify fails on broken VCL, with the right finding

BROKEN = {
    "caches-logged-in": ("expectation", "/ logged-in"),
    "caches-set-cookie": ("leak:set-cookie", f"{SETS_COOKIE} anonymous"),
    "ignores-commenter": ("expectation", "/ commenter"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_verify_fails_with_the_right_finding_on_each_broken_vcl(
    sandbox: Sandbox,
    parity_config: Path,
    sets_cookie_plugin: None,
    tmp_path: Path,
    kind: str,
) -> None:
    vcl = tmp_path / f"{kind}.vcl"
    vcl.write_text(
        render_varnish(broken_ruleset(kind), backend_port=sandbox.ports.production_nginx)
    )
    try:
        sandbox.up(vcl=vcl)
        result = cache_cli(
            parity_config,
            "verify",
            "production",
            "-r",
            "/",
            "-r",
            SETS_COOKIE,
            "--no-examples",
            "-f",
            "json",
        )
    finally:
        sandbox.up()
        purge(parity_config, "/", SETS_COOKIE)  # what the broken cache stored
    assert result.exit_code == 1
    found = findings(json.loads(result.stdout))
    assert BROKEN[kind] in found
    if kind == "caches-set-cookie":
        assert ("expectation", f"{SETS_COOKIE} anonymous") in found
    else:
        assert {key for _, key in found} == {BROKEN[kind][1]}


# -- purge


def test_purge_of_one_route_leaves_the_others_cached(
    sandbox: Sandbox, parity_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = sandbox.production_url
    with httpx.Client(timeout=10) as http:
        for path in ("/hello-world/", "/sample-page/", "/", "/hello-world/", "/sample-page/", "/"):
            http.get(url + path)
        before = http.get(url + "/").headers
        with caplog.at_level(logging.WARNING, logger="parity.cache.purge"):
            result = cache_cli(
                parity_config,
                "purge",
                "production",
                "/hello-world/",
                "--control",
                "/sample-page/",
                "-f",
                "json",
            )
        after = http.get(url + "/").headers
    data = json.loads(result.stdout)
    assert result.exit_code == 0, data
    (purged,) = data["routes"]
    assert [o["cache"] for o in purged["before"]][-1] == "HIT"
    assert purged["purge_status"] == 200
    assert [o["cache"] for o in purged["after"]] == ["MISS", "HIT"]
    assert [o["cache"] for o in data["control"]["after"]] == ["HIT"]
    # A third route, never named, stayed cached too: same object, Age still counting.
    assert (before["X-Cache"], after["X-Cache"]) == ("HIT", "HIT")
    assert int(after["Age"]) >= int(before["Age"])
    assert "purging /hello-world/ on protected environment production" in caplog.text
