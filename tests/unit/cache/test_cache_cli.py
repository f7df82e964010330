"""`parity cache test` and `parity cache render`: exit codes, output, where rules come from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parity.cache.rules import CacheRule, CacheSection
from parity.cli.cache_cmd import app
from parity.cli.context import CliState
from parity.config import Settings
from parity.errors import ConfigError, InputError

runner = CliRunner()

CACHES_COMMENTERS = """
[[rules]]
name = "commenter"
description = "Broken on purpose: commenters get cached pages."
action = "bypass"
match = { paths = ["/never/*"] }
examples = [{ url = "/never/x", expect = "bypass" }, { url = "/", expect = "cache" }]
"""


@pytest.fixture(autouse=True)
def no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test runs in an empty folder with no $PARITY_CONFIG."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARITY_CONFIG", raising=False)
    return tmp_path


class StandInSettings:
    """What the cache commands read from Settings: ``cache`` and ``base_dir``."""

    def __init__(self, cache: CacheSection, base_dir: Path) -> None:
        self.cache = cache
        self.base_dir = base_dir


def state_with(cache: CacheSection, tmp_path: Path) -> CliState:
    config = tmp_path / "parity.toml"
    config.write_text("# stand-in\n", encoding="utf-8")
    state = CliState(config=config)
    state._settings = StandInSettings(cache, tmp_path)  # type: ignore[assignment]
    return state


def test_cache_test_passes_on_default_rules_without_any_config() -> None:
    result = runner.invoke(app, ["test"])
    assert result.exit_code == 0, result.output
    assert "ok: " in result.output
    assert "0 failed" in result.output


def test_cache_test_json_is_stable_and_lists_rules_examples_and_findings() -> None:
    result = runner.invoke(app, ["test", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"schema_version", "ok", "rules", "examples", "findings", "counts"}
    assert data["ok"] is True
    assert data["rules"][-1] == {
        "name": "everything-else",
        "origin": "default",
        "summary": "cache 3600s; any path, any method",
    }
    example = data["examples"][0]
    assert set(example) == {
        "rule", "index", "request", "note", "expected", "actual", "decided_by", "reason", "passed"
    }  # fmt: skip
    assert data["counts"]["failed"] == 0


def test_cache_test_exits_1_and_names_the_failure_when_a_rule_breaks_an_example(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "cache-rules.toml"
    rules.write_text(CACHES_COMMENTERS, encoding="utf-8")
    result = runner.invoke(app, ["test", "--rules", str(rules)])
    assert result.exit_code == 1
    assert "FAIL rule everything-else" in result.output
    assert "comment_author_5c0ffee5" in result.output
    assert "FAILED:" in result.output


def test_cache_test_exits_1_on_a_lint_error_alone(tmp_path: Path) -> None:
    rules = tmp_path / "cache-rules.toml"
    rules.write_text(
        '[[rules]]\nname = "dead"\ndescription = "Under /wp-admin/*, so never decides."\n'
        'action = "bypass"\nmatch = { paths = ["/wp-admin/x"] }\n'
        'examples = [{ url = "/wp-admin/x", expect = "bypass" },'
        ' { url = "/", expect = "cache" }]\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", "--rules", str(rules), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert data["counts"]["failed"] == 0
    assert [f["kind"] for f in data["findings"]] == ["never-matches"]


def test_invalid_rules_file_is_an_input_error_naming_file_and_rule(tmp_path: Path) -> None:
    rules = tmp_path / "cache-rules.toml"
    rules.write_text(CACHES_COMMENTERS.replace('action = "bypass"', "ttl = 5"), "utf-8")
    result = runner.invoke(app, ["test", "--rules", str(rules)])
    assert isinstance(result.exception, InputError)
    assert "rule 'commenter'" in result.exception.one_line()
    assert str(rules) in result.exception.one_line()


def test_rules_come_from_the_cache_table_of_the_loaded_settings(tmp_path: Path) -> None:
    breaking = CacheRule.model_validate(
        {"name": "logged-in", "description": "off", "action": "bypass", "match": {"paths": []}}
    )
    state = state_with(CacheSection(rules=(breaking,)), tmp_path)
    result = runner.invoke(app, ["test", "--format", "json"], obj=state)
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    summary = "bypass; no path, any method"
    assert {"name": "logged-in", "origin": "parity.toml", "summary": summary} in data["rules"]


def test_invalid_config_is_an_error_not_a_silent_fallback_to_defaults(tmp_path: Path) -> None:
    (tmp_path / "parity.toml").write_text("[environments.a]\nurl = 3\n", encoding="utf-8")
    result = runner.invoke(app, ["test"])
    assert isinstance(result.exception, ConfigError)


@pytest.mark.skipif(
    "cache" not in Settings.model_fields,
    reason="parity.config.Settings has no `cache: CacheSection` field yet (the lead adds it)",
)
def test_cache_rules_in_parity_toml_are_used(tmp_path: Path) -> None:
    (tmp_path / "parity.toml").write_text(
        '[[cache.rules]]\nname = "landing"\ndescription = "Landing pages."\naction = "bypass"\n'
        'match = { paths = ["/landing/*"] }\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", "--format", "json"])
    assert "landing" in [r["name"] for r in json.loads(result.stdout)["rules"]]


def test_render_varnish_writes_the_vcl_with_the_backend_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "prod.vcl"
    result = runner.invoke(
        app, ["render", "varnish", "--out", str(out), "--backend-host", "10.1.2.3",
              "--backend-port", "8089"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    vcl = out.read_text(encoding="utf-8")
    assert '.host = "10.1.2.3";' in vcl
    assert '.port = "8089";' in vcl


def test_render_nginx_prints_the_config_on_stdout() -> None:
    result = runner.invoke(app, ["render", "nginx"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Generated by `parity cache render nginx`")
    assert "fastcgi_cache_bypass $parity_skip_cache;" in result.stdout


def test_render_refuses_an_unknown_target() -> None:
    result = runner.invoke(app, ["render", "apache"])
    assert result.exit_code == 2
