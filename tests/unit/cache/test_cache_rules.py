"""Cache rules as data: validation, rules files, and how defaults, file and inline combine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from parity.cache.defaults import default_rules, default_rules_text
from parity.cache.rules import (
    CATCH_ALL,
    CacheRule,
    CacheSection,
    RuleSet,
    effective_rules,
    load_rules_file,
    rules_from_settings,
    rules_with_file,
)
from parity.errors import ConfigError, InputError

MEMBERS = """
[[rules]]
name = "members"
description = "Member pages are personal."
action = "bypass"
match = { paths = ["/members", "/members/*"] }
examples = [{ url = "/members/me/", expect = "bypass" }, { url = "/about/", expect = "cache" }]
"""


def rule(**fields: Any) -> CacheRule:
    body: dict[str, Any] = {"name": "r", "description": "d", "action": "bypass", **fields}
    return CacheRule.model_validate(body)


def write(tmp_path: Path, text: str, name: str = "cache-rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def names(ruleset: RuleSet) -> list[str]:
    return [r.name for r in ruleset.rules]


def test_cache_rule_needs_a_ttl_and_bypass_rule_refuses_one() -> None:
    with pytest.raises(ValidationError, match="needs ttl"):
        rule(action="cache")
    with pytest.raises(ValidationError, match="has no ttl"):
        rule(action="bypass", ttl=60)
    assert rule(action="cache", ttl=60).ttl == 60


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Logged In"}, "lower case"),
        ({"description": "   "}, "must say what the rule is for"),
        ({"match": {"paths": ["wp-admin"]}}, "path pattern"),
        ({"match": {"paths": ['/a"b']}}, "path pattern"),
        ({"match": {"methods": ["get"]}}, "upper case"),
        ({"match": {"methods": ["GET"], "except_methods": ["POST"]}}, "not both"),
        ({"bypass_when": {"cookies": ["bad cookie"]}}, "cookie name prefix"),
        ({"bypass_when": {"query": ["a b"]}}, "query parameter"),
        ({"bypass_when": {"headers": ["Cookie"]}}, "use cookies"),
        ({"bypass_when": {"headers": ["X_Under"]}}, "header name"),
        ({"examples": [{"url": "hello", "expect": "cache"}]}, "must be a path"),
        ({"examples": [{"url": "/", "expect": "maybe"}]}, "expect"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_invalid_rule_fields_are_rejected_with_a_reason(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        rule(**fields)


def test_rule_set_refuses_two_rules_with_one_name() -> None:
    with pytest.raises(ValidationError, match="two rules are named 'r'"):
        RuleSet(rules=(rule(), rule()))


def test_rules_file_loads_in_order(tmp_path: Path) -> None:
    rules = load_rules_file(write(tmp_path, MEMBERS))
    assert [r.name for r in rules] == ["members"]
    assert rules[0].match.paths == ("/members", "/members/*")
    assert [e.expect for e in rules[0].examples] == ["bypass", "cache"]


def test_rules_file_error_names_the_file_the_rule_and_the_field(tmp_path: Path) -> None:
    bad = MEMBERS.replace('action = "bypass"', 'action = "cache"')
    path = write(tmp_path, bad)
    with pytest.raises(InputError) as info:
        load_rules_file(path)
    line = info.value.one_line()
    assert str(path) in line
    assert "rule 'members'" in line
    assert "ttl" in line
    assert "\n" not in line


def test_rules_file_missing_or_not_toml_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such cache rules file"):
        load_rules_file(tmp_path / "absent.toml")
    with pytest.raises(InputError, match="invalid TOML"):
        load_rules_file(write(tmp_path, "[[rules]\n"))


def test_shipped_default_rules_file_is_valid_and_ends_with_the_catch_all() -> None:
    assert "[[rules]]" in default_rules_text()
    rules = default_rules()
    assert rules[-1].name == CATCH_ALL
    assert rules[-1].action == "cache"


def test_effective_rules_insert_new_rules_just_before_the_default_catch_all(
    tmp_path: Path,
) -> None:
    write(tmp_path, MEMBERS)
    inline = rule(name="landing", match={"paths": ["/landing/*"]})
    section = CacheSection(rules_file="cache-rules.toml", rules=(inline,))

    ruleset = effective_rules(section, tmp_path)

    assert names(ruleset)[-3:] == ["members", "landing", CATCH_ALL]
    assert ruleset.origin("members") == str(tmp_path / "cache-rules.toml")
    assert ruleset.origin("landing") == "parity.toml"
    assert ruleset.origin("logged-in") == "default"


def test_same_name_replaces_in_place_and_the_catch_all_stays_last(tmp_path: Path) -> None:
    write(tmp_path, MEMBERS.replace('"members"', '"wp-admin"', 1))
    inline = rule(name="members", description="inline wins", match={"paths": ["/m/*"]})
    catch_all = rule(name=CATCH_ALL, description="shorter", action="cache", ttl=60)
    section = CacheSection(rules_file="cache-rules.toml", rules=(inline, catch_all))

    ruleset = effective_rules(section, tmp_path)

    default_names = [r.name for r in default_rules()]
    position = default_names.index("wp-admin")
    assert names(ruleset)[position] == "wp-admin"
    assert ruleset.rule("wp-admin").match.paths == ("/members", "/members/*")
    assert ruleset.rule(CATCH_ALL).ttl == 60
    assert names(ruleset)[-2:] == ["members", CATCH_ALL]
    assert ruleset.origin(CATCH_ALL) == "parity.toml"


def test_without_defaults_only_your_rules_count(tmp_path: Path) -> None:
    section = CacheSection(use_defaults=False, rules=(rule(name="only"),))
    assert names(effective_rules(section, tmp_path)) == ["only"]


def test_bad_rules_file_named_in_config_is_a_config_error(tmp_path: Path) -> None:
    section = CacheSection(rules_file="missing.toml")
    with pytest.raises(ConfigError) as info:
        effective_rules(section, tmp_path)
    assert "missing.toml" in info.value.one_line()
    assert "rules_file" in info.value.one_line()


def test_cache_section_refuses_duplicate_inline_names() -> None:
    with pytest.raises(ValidationError, match="two rules are named 'r'"):
        CacheSection(rules=(rule(), rule()))


def test_rules_with_file_combines_defaults_and_the_file(tmp_path: Path) -> None:
    ruleset = rules_with_file(write(tmp_path, MEMBERS))
    assert names(ruleset)[-2:] == ["members", CATCH_ALL]
    assert len(ruleset.rules) == len(default_rules()) + 1


class FakeSettings:
    """Anything with ``cache`` and ``base_dir`` will do (parity's Settings has both)."""

    def __init__(self, cache: CacheSection, base_dir: Path) -> None:
        self.cache = cache
        self.base_dir = base_dir


def test_rules_from_settings_reads_the_cache_table_relative_to_the_config(
    tmp_path: Path,
) -> None:
    write(tmp_path, MEMBERS)
    settings = FakeSettings(CacheSection(rules_file="cache-rules.toml"), tmp_path)
    assert "members" in names(rules_from_settings(settings))
