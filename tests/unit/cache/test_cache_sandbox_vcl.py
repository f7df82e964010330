"""The sandbox runs the VCL rendered from the default rules (and it compiles)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cache_servers import varnishd_binary

from parity.cache import default_ruleset, render_varnish
from parity.cache.sandbox_vcl import sandbox_vcl
from parity.sandbox import wordpress_vcl


def test_the_sandbox_vcl_is_the_rendered_default_rules_with_a_note() -> None:
    text = sandbox_vcl("production", backend_port=8401, public_port=8081)
    rendered = render_varnish(default_ruleset(), backend_port=8401)
    assert text.startswith("vcl 4.1;\n# parity sandbox, site production (Varnish on 127.0.0.1:8081")
    assert text.split("\n", 3)[3] == rendered.split("\n", 1)[1]
    assert '.port = "8401";' in text


def test_the_sandbox_uses_it_for_every_site() -> None:
    assert wordpress_vcl("staging", 8402, 8082) == sandbox_vcl("staging", 8402, 8082)


def test_it_keeps_the_sandbox_contract_purge_x_cache_and_the_rule_header() -> None:
    text = sandbox_vcl("staging", 8402, 8082)
    assert 'if (req.method == "PURGE")' in text and "return (purge);" in text
    for status in ("HIT", "MISS", "PASS"):
        assert f'set resp.http.X-Cache = "{status}";' in text
    assert "X-Cache-Rule" in text


def test_it_compiles(tmp_path: Path) -> None:
    vcl = tmp_path / "sandbox.vcl"
    vcl.write_text(sandbox_vcl("production", 8401, 8081))
    done = subprocess.run(
        [varnishd_binary(), "-C", "-j", "none", "-n", str(tmp_path / "n"), "-f", str(vcl)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
