"""Cron events grouped without timestamps; roles with capabilities and user counts."""

from __future__ import annotations

from datetime import UTC, datetime

from parity.drift.cron import shape_cron
from parity.drift.phpvalue import loads
from parity.drift.roles import shape_roles, user_count_sql

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NO_ARGS = "40cd750bba9870f18aada2478b24840a"


def test_events_are_keyed_by_hook_schedule_and_args_not_time() -> None:
    t = int(NOW.timestamp())
    cron = {
        str(t - 7200): {"wp_version_check": {NO_ARGS: {"schedule": "twicedaily", "args": []}}},
        str(t + 60): {
            "my_job": {
                NO_ARGS: {"schedule": False, "args": []},
                "ffff0000ffff0000ffff0000ffff0000": {"schedule": False, "args": [5]},
            }
        },
        str(t + 120): {"my_job": {NO_ARGS: {"schedule": False, "args": []}}},
        "version": 2,
    }
    events = shape_cron(cron, NOW, overdue_after_s=600)
    assert list(events) == [
        "my_job [single] 40cd750b",
        "my_job [single] ffff0000",
        "wp_version_check [twicedaily] 40cd750b",
    ]
    assert events["my_job [single] 40cd750b"].count == 2
    assert events["wp_version_check [twicedaily] 40cd750b"].overdue == 1
    assert events["my_job [single] 40cd750b"].overdue == 0


def test_recently_due_events_are_not_yet_overdue() -> None:
    t = int(NOW.timestamp())
    cron = {str(t - 300): {"h": {NO_ARGS: {"schedule": "hourly"}}}}
    assert shape_cron(cron, NOW, overdue_after_s=600)["h [hourly] 40cd750b"].overdue == 0
    assert shape_cron(cron, NOW, overdue_after_s=0)["h [hourly] 40cd750b"].overdue == 1


def test_cron_that_is_not_an_array_gives_no_events() -> None:
    assert shape_cron("garbage", NOW, 600) == {}


def test_roles_keep_granted_and_denied_capabilities_and_counts() -> None:
    value = loads(
        'a:2:{s:6:"editor";a:2:{s:4:"name";s:6:"Editor";s:12:"capabilities";'
        'a:3:{s:4:"read";b:1;s:10:"edit_posts";i:1;s:13:"delete_themes";b:0;}}'
        's:10:"subscriber";a:2:{s:4:"name";s:10:"Subscriber";s:12:"capabilities";a:0:{}}}'
    )
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
