"""Rendered VCL compiles with varnishd -C; rendered VCL and nginx config say what they do."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cache_samples import every_feature_ruleset
from cache_servers import varnishd_binary

from parity.cache import (
    BROKEN_KINDS,
    RuleSet,
    broken_ruleset,
    default_ruleset,
    render_nginx,
    render_varnish,
)
from parity.errors import InputError


def compile_vcl(vcl: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "rules.vcl"
    path.write_text(vcl, encoding="utf-8")
    return subprocess.run(
        [varnishd_binary(), "-C", "-j", "none", "-f", str(path), "-n", str(tmp_path / "varnish")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_default_rules_render_to_vcl_that_compiles(tmp_path: Path) -> None:
    result = compile_vcl(render_varnish(default_ruleset(), backend_port=8081), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_each_broken_variant_still_renders_to_vcl_that_compiles(kind: str, tmp_path: Path) -> None:
    result = compile_vcl(render_varnish(broken_ruleset(kind)), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_feature_of_the_rules_renders_to_vcl_that_compiles(tmp_path: Path) -> None:
    result = compile_vcl(render_varnish(every_feature_ruleset()), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


def test_vcl_compile_check_does_reject_broken_vcl(tmp_path: Path) -> None:
    broken = render_varnish(default_ruleset()).replace("return (hash);", "return (hsah);", 1)
    assert compile_vcl(broken, tmp_path).returncode != 0


def test_vcl_names_and_describes_every_rule_in_order() -> None:
    ruleset = default_ruleset()
    vcl = render_varnish(ruleset)
    positions = [vcl.index(f"# {n}. {r.name}: ") for n, r in enumerate(ruleset.rules, 1)]
    assert positions == sorted(positions)
    for rule in ruleset.rules:
        first_line = rule.description.splitlines()[0]
        assert f"#    {first_line}" in vcl


def test_vcl_has_backend_purge_acl_x_cache_and_keeps_age() -> None:
    vcl = render_varnish(default_ruleset(), backend_host="10.0.0.5", backend_port=8081)
    assert vcl.startswith("vcl 4.1;")
    assert 'backend default {\n    .host = "10.0.0.5";\n    .port = "8081";\n}' in vcl
    assert re.search(r'acl parity_purgers \{\s+"127\.0\.0\.1";\s+"::1";\s+\}', vcl)
    assert "client.ip !~ parity_purgers" in vcl
    assert "return (purge);" in vcl
    assert "hash_data(req.url);" in vcl and "hash_data(req.http.Host);" in vcl
    for status in ("HIT", "MISS", "PASS"):
        assert f'set resp.http.X-Cache = "{status}";' in vcl
    assert "obj.hits > 0" in vcl
    assert "unset resp.http.Age" not in vcl


def test_vcl_strips_cookies_on_cacheable_requests_and_never_stores_set_cookie() -> None:
    vcl = render_varnish(default_ruleset())
    catch_all = vcl[vcl.index("# 20. everything-else") :]
    assert catch_all.index("unset req.http.Cookie;") < catch_all.index("return (hash);")
    assert 'beresp.http.Set-Cookie ~ "."' in vcl
    assert "set beresp.uncacheable = true;" in vcl
    assert "set beresp.ttl = 3600s;" in vcl


def test_broken_set_cookie_vcl_no_longer_refuses_set_cookie() -> None:
    assert "Set-Cookie" not in render_varnish(broken_ruleset("caches-set-cookie"))
    assert "comment_author_" not in render_varnish(broken_ruleset("ignores-commenter"))
    assert "wordpress_logged_in_" not in render_varnish(broken_ruleset("caches-logged-in"))


@pytest.mark.parametrize(("host", "port"), [('127.0.0.1"; evil', 80), ("127.0.0.1", 0)])
def test_vcl_refuses_a_bad_backend(host: str, port: int) -> None:
    with pytest.raises(InputError):
        render_varnish(default_ruleset(), backend_host=host, backend_port=port)


def test_nginx_config_names_every_rule_and_wires_bypass_no_cache_and_headers() -> None:
    ruleset: RuleSet = default_ruleset()
    conf = render_nginx(ruleset, cache_dir="/var/cache/nginx/site", zone="site")
    for number, rule in enumerate(ruleset.rules, 1):
        assert f"# {number}. {rule.name}: " in conf
        assert f'"{rule.name}"' in conf
    assert "fastcgi_cache_path /var/cache/nginx/site levels=1:2 keys_zone=site:" in conf
    assert "fastcgi_cache site;" in conf
    assert "fastcgi_cache_bypass $parity_skip_cache;" in conf
    assert "fastcgi_no_cache $parity_skip_cache $parity_no_store;" in conf
    assert "fastcgi_ignore_headers Set-Cookie Cache-Control Expires;" in conf
    assert "$upstream_http_set_cookie" in conf
    assert "add_header X-Cache $parity_x_cache always;" in conf
    assert re.search(r"fastcgi_cache_valid [0-9 ]+ 3600s;", conf)
    assert conf.count("{") == conf.count("}")


def test_nginx_config_uses_the_shortest_ttl_and_says_so() -> None:
    conf = render_nginx(every_feature_ruleset())
    assert re.search(r"fastcgi_cache_valid [0-9 ]+ 60s;", conf)
    assert "other cache rules ask for 300s" in conf


@pytest.mark.parametrize(("cache_dir", "zone"), [("relative/dir", "z"), ("/ok", "bad zone")])
def test_nginx_refuses_bad_cache_settings(cache_dir: str, zone: str) -> None:
    with pytest.raises(InputError):
        render_nginx(default_ruleset(), cache_dir=cache_dir, zone=zone)
