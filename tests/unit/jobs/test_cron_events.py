"""WordPress's cron option, decoded and assessed: overdue events, outside-world events."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parity.cron import (
    CronOptionError,
    assess_events,
    decode_cron_option,
    locate_wordpress,
    outside_reach,
    read_defines,
)
from parity.environments import EnvironmentSettings

# The cron option as WordPress writes it (wp_schedule_event / wp_schedule_single_event).
BUILD_CRON = """
$cron = array();
$cron[1764100000]['wp_version_check'][md5(serialize(array()))] =
    array('schedule' => 'twicedaily', 'args' => array(), 'interval' => 43200);
$cron[1764100000]['wp_scheduled_delete'][md5(serialize(array()))] =
    array('schedule' => 'daily', 'args' => array(), 'interval' => 86400);
$cron[1764200000]['shop_send_order_emails'][md5(serialize(array(42)))] =
    array('schedule' => false, 'args' => array(42));
$cron[1764200000]['shop_send_order_emails'][md5(serialize(array(43)))] =
    array('schedule' => false, 'args' => array(43));
$cron['version'] = 2;
echo serialize($cron);
"""

NOW = datetime.fromtimestamp(1764150000, UTC)


@pytest.fixture(scope="module")
def cron_option() -> str:
    if shutil.which("php") is None:
        pytest.skip("php-cli writes the fixture")
    return subprocess.run(
        ["php", "-r", BUILD_CRON], capture_output=True, text=True, check=True
    ).stdout


def test_decoding_gives_each_event_with_hook_time_schedule_and_args(cron_option: str) -> None:
    events = decode_cron_option(cron_option)
    assert [(e.hook, e.timestamp, e.schedule, e.interval) for e in events] == [
        ("wp_scheduled_delete", 1764100000, "daily", 86400),
        ("wp_version_check", 1764100000, "twicedaily", 43200),
        ("shop_send_order_emails", 1764200000, None, None),
        ("shop_send_order_emails", 1764200000, None, None),
    ]
    assert [e.args for e in events[2:]] == [{0: 42}, {0: 43}]
    assert events[0].next_run == datetime(2025, 11, 25, 19, 46, 40, tzinfo=UTC)


def test_events_past_their_time_plus_grace_are_overdue(cron_option: str) -> None:
    report = assess_events(
        "staging",
        decode_cron_option(cron_option),
        now=NOW,
        grace_s=600,
        protected=False,
        wp_cron_enabled=False,
        http_blocked=False,
    )
    assert [e.event.hook for e in report.overdue] == ["wp_scheduled_delete", "wp_version_check"]
    assert report.events[0].seconds_until == -50000
    assert report.flagged == []  # WP-cron disabled: nothing runs by itself
    assert not report.ok


def test_outside_reaching_events_are_flagged_on_staging_with_wp_cron_enabled(
    cron_option: str,
) -> None:
    events = decode_cron_option(cron_option)
    staging = assess_events(
        "staging",
        events,
        now=NOW,
        grace_s=10**9,
        protected=False,
        wp_cron_enabled=True,
        http_blocked=False,
    )
    flags = {e.event.hook: e.flag for e in staging.flagged}
    assert set(flags) == {"wp_version_check", "shop_send_order_emails"}
    assert flags["shop_send_order_emails"] == (
        "would send mail from staging (WP-cron enabled): its name mentions 'mail'"
    )
    production = assess_events(
        "production",
        events,
        now=NOW,
        grace_s=10**9,
        protected=True,
        wp_cron_enabled=True,
        http_blocked=False,
    )
    assert production.flagged == [] and production.ok


def test_blocked_remote_http_unflags_http_events_but_not_mail(cron_option: str) -> None:
    report = assess_events(
        "staging",
        decode_cron_option(cron_option),
        now=NOW,
        grace_s=10**9,
        protected=False,
        wp_cron_enabled=True,
        http_blocked=True,
    )
    assert {e.event.hook for e in report.flagged} == {"shop_send_order_emails"}


def test_unknown_wp_cron_state_is_assumed_risky(cron_option: str) -> None:
    report = assess_events(
        "staging",
        decode_cron_option(cron_option),
        now=NOW,
        grace_s=10**9,
        protected=False,
        wp_cron_enabled=None,
        http_blocked=None,
    )
    assert all("possibly enabled" in (e.flag or "") for e in report.flagged)
    assert len(report.flagged) == 3


def test_json_form_is_stable(cron_option: str) -> None:
    report = assess_events(
        "staging",
        decode_cron_option(cron_option),
        now=NOW,
        grace_s=600,
        protected=False,
        wp_cron_enabled=True,
        http_blocked=True,
    )
    data = report.as_dict()
    assert data["counts"] == {"events": 4, "overdue": 2, "flagged": 2}
    mail = data["events"][2]
    assert mail["schedule"] == "once"
    assert "args" not in mail  # arguments may hold addresses or tokens: never printed
    assert mail["args_hash"] is not None and len(mail["args_hash"]) == 12
    assert data["events"][3]["args_hash"] != mail["args_hash"]
    assert mail["reaches_outside"]["kind"] == "mail"


@pytest.mark.parametrize(
    ("hook", "kind"),
    [
        ("wp_version_check", "http"),
        ("do_pings", "http"),
        ("wp_maybe_auto_update", "mail"),
        ("woocommerce_send_newsletter", "mail"),
        ("crm_webhook_push", "http"),
        ("wp_scheduled_delete", None),
        ("delete_expired_transients", None),
        ("wp_privacy_delete_old_export_files", None),
    ],
)
def test_outside_reach_knows_core_hooks_and_reads_names(hook: str, kind: str | None) -> None:
    reach = outside_reach(hook)
    assert (reach.kind if reach else None) == kind


@pytest.mark.parametrize(
    "value", ["not serialized", 'a:1:{i:5;s:3:"abc";}', "i:5;", 'a:1:{i:5;a:1:{s:1:"h";i:1;}}']
)
def test_a_malformed_cron_option_is_an_error(value: str) -> None:
    with pytest.raises(CronOptionError):
        decode_cron_option(value)


def test_defines_are_read_from_literals_outside_comments() -> None:
    text = """<?php
    define('AUTH_KEY', 'x#y//z/*w');
    // define('DISABLE_WP_CRON', false);
    /* define('WP_DEBUG', true); */
    define( "DISABLE_WP_CRON", true );
    define('WP_HTTP_BLOCK_EXTERNAL', FALSE); # blocked? no
    define('TIMEOUT', -5);
    define('COMPUTED', getenv('X'));
    """
    assert read_defines(text) == {
        "AUTH_KEY": "x#y//z/*w",
        "DISABLE_WP_CRON": True,
        "WP_HTTP_BLOCK_EXTERNAL": False,
        "TIMEOUT": -5,
    }


def _env(
    port: int, database: str = "wp_staging", content: str | None = None
) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": "staging",
            "url": "http://127.0.0.1:8082",
            "db": f"mysql://u:p@127.0.0.1:{port}/{database}",
            "wp_content_dir": content,
        }
    )


def test_a_debian_site_is_found_by_its_database_name_and_port(tmp_path: Path) -> None:
    root, configs = tmp_path / "wordpress", tmp_path / "etc"
    root.mkdir()
    configs.mkdir()
    (root / "wp-load.php").write_text("<?php\n")
    (root / "wp-config.php").write_text("<?php define('WP_AUTO_UPDATE_CORE', false);\n")
    site = "<?php define('DB_NAME', 'wp_staging'); define('DB_HOST', '127.0.0.1:{port}');\n"
    (configs / "config-other.php").write_text(site.format(port=3406) + "define('X', 1);")
    (configs / "config-mine.php").write_text(
        site.format(port=4306) + "define('DISABLE_WP_CRON', true);"
    )
    found = locate_wordpress(_env(4306), debian_root=root, debian_config_dir=configs)
    assert found.config_name == "mine"
    assert found.root == root
    assert found.constant("DISABLE_WP_CRON") is True
    assert found.constant("WP_AUTO_UPDATE_CORE") is False


def test_a_plain_install_is_found_above_wp_content(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "wp-content").mkdir(parents=True)
    (site / "wp-load.php").write_text("<?php\n")
    (site / "wp-config.php").write_text("<?php define('DISABLE_WP_CRON', false);\n")
    found = locate_wordpress(
        _env(3306, content=str(site / "wp-content")),
        debian_root=tmp_path / "none",
        debian_config_dir=tmp_path / "none",
    )
    assert found.root == site
    assert found.config_name is None
    assert found.constant("DISABLE_WP_CRON") is False


def test_a_site_not_on_this_machine_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    from parity.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot find the WordPress files") as caught:
        locate_wordpress(_env(3306), debian_root=tmp_path, debian_config_dir=tmp_path)
    assert "--wp-root" in (caught.value.hint or "")
