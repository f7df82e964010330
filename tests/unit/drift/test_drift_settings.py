"""The [drift] section: defaults, validation, and reading it from Settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from parity.drift.settings import DEFAULT_ROUTES, DriftSection, drift_settings, parse_rule


def test_defaults_probe_the_six_routes_of_the_issue() -> None:
    section = DriftSection()
    assert section.routes == list(DEFAULT_ROUTES)
    assert section.ignore == [] and section.exact_counts is False
    assert "blog_public" in section.preserved_options


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ignore", ["blogname"], "category:key-pattern"),
        ("ignore", ["optoins:blogname"], "unknown category"),
        ("severity", {"nope:*": "warn"}, "unknown category"),
        ("severity", {"options:*": "fatal"}, "literal_error"),
        ("routes", ["feed/"], "must start with /"),
        ("unknown_key", 1, "extra"),
        ("volume_tolerance", -1, "greater than or equal"),
    ],
)
def test_invalid_sections_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        DriftSection.model_validate({field: value})
    text = str(info.value)
    assert message in text or message in repr(info.value.errors())


def test_rules_parse_into_category_and_pattern() -> None:
    assert parse_rule("*:wp_*") == ("*", "wp_*")
    assert parse_rule("http:anon /feed/*") == ("http", "anon /feed/*")


def test_drift_settings_reads_the_field_or_falls_back_to_defaults() -> None:
    assert drift_settings(SimpleNamespace()) == DriftSection()
    configured = DriftSection(ignore=["options:x"])
    assert drift_settings(SimpleNamespace(drift=configured)) is configured
    assert drift_settings(SimpleNamespace(drift={"exact_counts": True})).exact_counts
