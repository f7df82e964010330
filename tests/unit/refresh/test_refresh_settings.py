"""The [refresh] policy: defaults, validation, and the one accessor."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from parity.refresh.settings import RefreshSection, refresh_settings


def test_defaults_are_safe() -> None:
    policy = RefreshSection()
    assert policy.preserve_options == ["siteurl", "home", "blog_public"]
    assert policy.exclude_transients and policy.default_scrub
    assert not policy.rewrite_guids
    assert policy.retention == 1
    assert policy.staging_password is None


def test_unknown_keys_and_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        RefreshSection.model_validate({"retention": -1})
    with pytest.raises(ValidationError):
        RefreshSection.model_validate({"replace_pairs": []})
    with pytest.raises(ValidationError):
        RefreshSection.model_validate({"purge_paths": ["feed"]})
    with pytest.raises(ValidationError):
        RefreshSection.model_validate(
            {"scrub": [{"table": "t", "strategy": "bogus", "column": "c"}]}
        )


def test_toml_shaped_data_validates_and_hides_the_password() -> None:
    policy = RefreshSection.model_validate(
        {
            "replace": [["https://cdn.example.com", "https://cdn.stage.example.com"]],
            "staging_password": "s3cret-pw",
            "scrub": [{"table": "usermeta", "key": "phone_*", "strategy": "empty"}],
        }
    )
    assert policy.replace == [("https://cdn.example.com", "https://cdn.stage.example.com")]
    assert "s3cret-pw" not in repr(policy)
    assert "s3cret-pw" not in policy.model_dump_json()


def test_refresh_settings_reads_the_section_or_gives_defaults() -> None:
    assert refresh_settings(SimpleNamespace()) == RefreshSection()
    custom = RefreshSection(retention=3)
    assert refresh_settings(SimpleNamespace(refresh=custom)) is custom
    assert refresh_settings(SimpleNamespace(refresh={"retention": 2})).retention == 2
