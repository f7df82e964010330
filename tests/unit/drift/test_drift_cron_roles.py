"""Cron events grouped without timestamps; roles with capabilities and user counts."""

from __future__ import annotations

from datetime import UTC, datetime

from parity.cron import assess_events
from parity.drift.comparable import decode_value
from parity.drift.cron import read_cron
from parity.drift.roles import shape_roles, user_count_sql
from parity.wordpress.cron_option import args_fingerprint, decode_cron_option
from parity.wordpress.phpvalue import php_serialize

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NO_ARGS = "40cd750bba9870f18aada2478b24840a"  # WordPress's own key: md5(serialize([]))


def test_events_are_keyed_by_hook_schedule_and_args_not_time() -> None:
    t = int(NOW.timestamp())
    cron = {
        t - 7200: {"wp_version_check": {NO_ARGS: {"schedule": "twicedaily", "args": []}}},
        t + 60: {
            "my_job": {
                NO_ARGS: {"schedule": False, "args": []},
                "ffff0000ffff0000ffff0000ffff0000": {"schedule": False, "args": [5]},
            }
        },
        t + 120: {"my_job": {NO_ARGS: {"schedule": False, "args": []}}},
        "version": 2,
    }
    events, note = read_cron(php_serialize(cron), NOW, overdue_after_s=600)
    five = args_fingerprint({0: 5})
    assert note is None
    assert five is not None and len(five) == 12
    assert list(events) == [
        "my_job [single]",
        f"my_job [single] {five}",
        "wp_version_check [twicedaily]",
    ]
    assert events["my_job [single]"].count == 2
    assert events["my_job [single]"].args_hash is None
    assert events["wp_version_check [twicedaily]"].overdue == 1
    assert events["my_job [single]"].overdue == 0


def test_drift_and_parity_cron_show_the_same_argument_fingerprint() -> None:
    t = int(NOW.timestamp())
    cron = {t: {"shop_send_order_emails": {"k": {"schedule": False, "args": [42, "x"]}}}}
    raw = php_serialize(cron)
    events, _ = read_cron(raw, NOW, overdue_after_s=600)
    report = assess_events(
        "staging",
        decode_cron_option(raw),
        now=NOW,
        grace_s=600,
        protected=False,
        wp_cron_enabled=True,
        http_blocked=None,
    )
    shown = report.as_dict()["events"][0]["args_hash"]
    assert [info.args_hash for info in events.values()] == [shown]
    assert list(events) == [f"shop_send_order_emails [single] {shown}"]


def test_recently_due_events_are_not_yet_overdue() -> None:
    t = int(NOW.timestamp())
    raw = php_serialize({t - 300: {"h": {NO_ARGS: {"schedule": "hourly"}}}})
    assert read_cron(raw, NOW, overdue_after_s=600)[0]["h [hourly]"].overdue == 0
    assert read_cron(raw, NOW, overdue_after_s=0)[0]["h [hourly]"].overdue == 1


def test_cron_that_is_not_an_array_gives_no_events_and_says_why() -> None:
    events, note = read_cron("garbage", NOW, 600)
    assert events == {}
    assert note is not None and note.startswith("cron events left out:")
    assert read_cron(php_serialize("text"), NOW, 600) == (
        {},
        "cron events left out: the cron option is not an array",
    )
    assert read_cron(None, NOW, 600) == ({}, None)


def test_roles_keep_granted_and_denied_capabilities_and_counts() -> None:
    ok, value = decode_value(
        'a:2:{s:6:"editor";a:2:{s:4:"name";s:6:"Editor";s:12:"capabilities";'
        'a:3:{s:4:"read";b:1;s:10:"edit_posts";i:1;s:13:"delete_themes";b:0;}}'
        's:10:"subscriber";a:2:{s:4:"name";s:10:"Subscriber";s:12:"capabilities";a:0:{}}}'
    )
    assert ok
    roles = shape_roles(value, {"editor": 3})
    assert roles["editor"].capabilities == {
        "delete_themes": False,
        "edit_posts": True,
        "read": True,
    }
    assert roles["editor"].users == 3
    assert roles["subscriber"].users == 0


def test_user_count_query_escapes_like_wildcards() -> None:
    sql, params = user_count_sql("`wp_usermeta`", ["shop_manager", "editor"])
    assert sql.count("COUNT(NULLIF(meta_value LIKE %s, false))") == 2
    assert params == ['%"shop\\_manager"%', '%"editor"%']
