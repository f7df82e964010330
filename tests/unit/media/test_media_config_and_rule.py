"""Media settings are validated with clear messages; the proxy rule refuses one host on
both sides and is included by `parity cache render nginx` when configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parity.cli.main import app
from parity.config import settings_from_mapping
from parity.errors import ConfigError, InputError
from parity.media.proxy import proxy_rule
from parity.media.settings import MediaSection


def _config(staging: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "environments": {
            "production": {
                "url": "https://example.com",
                "db": "mysql://u:p@127.0.0.1:3306/wp",
                "protected": True,
            },
            "staging": {
                "url": "https://staging.example.com",
                "db": "mysql://u:p@127.0.0.1:3307/wp",
                **staging,
            },
        },
        **more,
    }


@pytest.mark.parametrize(
    ("staging", "message"),
    [
        ({"uploads_path": "relative/uploads"}, "absolute path"),
        ({"media": {"proxy_from": "staging"}}, "its own missing uploads"),
        ({"media": {"proxy_from": "prod"}}, "no environment named 'prod'"),
        ({"media": {"proxy_from": "production", "negative_cache_s": 0}}, "negative_cache_s"),
    ],
)
def test_bad_media_settings_are_refused_naming_the_key(
    staging: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_mapping(_config(staging), Path("parity.toml"))


def test_a_sidecar_pattern_must_name_a_file_next_to_the_image() -> None:
    with pytest.raises(ValueError, match="sidecar"):
        MediaSection(sidecars=("{file}",))
    with pytest.raises(ValueError, match="next to"):
        MediaSection(sidecars=("webp/{stem}.webp",))


def test_the_rule_refuses_the_same_host_on_both_sides() -> None:
    with pytest.raises(InputError, match="same host"):
        proxy_rule(
            "staging", "http://example.com", "/srv/up", "production", "https://example.com:443"
        )
    with pytest.raises(InputError, match="cannot go into an nginx rule"):
        proxy_rule("staging", "http://s.test", "/srv/my uploads", "production", "https://p.test")


def test_the_rule_tries_the_local_file_then_the_source_with_a_short_negative_cache() -> None:
    rule = proxy_rule(
        "staging", "https://s.test/blog", "/srv/s/uploads", "production", "https://p.test",
        negative_cache_s=30,
    )  # fmt: skip
    assert "location ^~ /blog/wp-content/uploads/ {" in rule.server
    assert "alias /srv/s/uploads/;" in rule.server
    assert "try_files $uri @parity_media_staging;" in rule.server
    assert "proxy_pass https://p.test;" in rule.server
    assert "proxy_cache_valid 404 410 30s;" in rule.server
    assert "keys_zone=parity_media_staging" in rule.http


def test_cache_render_nginx_includes_the_configured_media_rule(tmp_path: Path) -> None:
    config = tmp_path / "parity.toml"
    config.write_text(
        '[environments.production]\nurl = "https://example.com"\n'
        'db = "mysql://u:p@127.0.0.1:3306/wp"\nprotected = true\n'
        '[environments.staging]\nurl = "https://staging.example.com"\n'
        'db = "mysql://u:p@127.0.0.1:3307/wp"\nuploads_path = "/srv/staging/uploads"\n'
        'media = { proxy_from = "production" }\n',
        "utf-8",
    )
    done = CliRunner().invoke(app, ["--config", str(config), "cache", "render", "nginx"])
    assert done.exit_code == 0, done.output
    assert "keys_zone=parity_media_staging" in done.output
    assert "#         try_files $uri @parity_media_staging;" in done.output


def test_refresh_refuses_an_unknown_media_mode_before_anything(tmp_path: Path) -> None:
    config = tmp_path / "parity.toml"
    config.write_text(
        '[environments.production]\nurl = "https://example.com"\n'
        'db = "mysql://u:p@127.0.0.1:9/wp"\nprotected = true\n'
        '[environments.staging]\nurl = "https://staging.example.com"\n'
        'db = "mysql://u:p@127.0.0.1:9/wp2"\n',
        "utf-8",
    )
    args = ["--config", str(config), "refresh", "--from", "production", "--to", "staging"]
    done = CliRunner().invoke(app, [*args, "--yes", "--media", "copy"])
    assert isinstance(done.exception, InputError)
    assert "--media must be one of none, sync, proxy" in str(done.exception)
    assert not (tmp_path / ".parity").exists()
