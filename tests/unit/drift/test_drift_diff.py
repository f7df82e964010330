"""The diff engine: each category reports what matters there, with both values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from parity.drift.diff import DiffRules, compare, value_differences
from parity.drift.findings import Finding
from parity.drift.model import (
    CronInfo,
    IndexInfo,
    OptionInfo,
    PluginInfo,
    RoleInfo,
    RouteProbe,
    Snapshot,
    TableInfo,
    ThemeInfo,
    VolumeInfo,
    WordPressInfo,
)
from parity.drift.settings import DriftSection

Make = Callable[..., Snapshot]


def only(findings: tuple[Finding, ...]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_identical_snapshots_have_no_findings(make_snapshot: Make) -> None:
    snap = make_snapshot(options={"blogname": OptionInfo(value="Site")})
    report = compare(snap, snap)
    assert report.findings == ()
    assert report.exit_code("info") == 0
    assert report.worst() is None


def test_plugin_active_only_on_b_is_an_error_with_its_version_and_source(
    make_snapshot: Make,
) -> None:
    a = make_snapshot()
    b = make_snapshot(
        plugins={"demo/demo.php": PluginInfo(name="Demo", version="1.2", source="header")}
    )
    finding = only(compare(a, b).findings)
    assert (finding.category, finding.key, finding.severity) == (
        "plugins",
        "demo/demo.php",
        "error",
    )
    assert (finding.change, finding.a, finding.b) == ("added", None, "1.2")
    assert "B: header" in finding.note


def test_plugin_version_change_is_a_warning_with_the_age_of_each_source(
    make_snapshot: Make,
) -> None:
    old = make_snapshot(plugins={"d/d.php": PluginInfo(version="1.0", source="header")})
    new = make_snapshot(
        plugins={
            "d/d.php": PluginInfo(
                version="1.1",
                source="transient",
                observed_at=old.taken_at.replace(hour=7),
            )
        }
    )
    finding = only(compare(old, new).findings)
    assert (finding.severity, finding.a, finding.b) == ("warn", "1.0", "1.1")
    assert "B: transient, 3h old" in finding.note


def test_option_changed_inside_a_serialized_array_names_the_path(make_snapshot: Make) -> None:
    a = make_snapshot(options={"s": OptionInfo(value={"color": "blue", "size": [1, 2]})})
    b = make_snapshot(options={"s": OptionInfo(value={"color": "red", "size": [1, 2, 3]})})
    findings = compare(a, b).findings
    assert [(f.key, f.a, f.b, f.change) for f in findings] == [
        ("s[color]", "blue", "red", "changed"),
        ("s[size][2]", None, 3, "added"),
    ]
    assert {f.category for f in findings} == {"options"}


def test_masked_and_preserved_options_are_not_compared(make_snapshot: Make) -> None:
    a = make_snapshot(
        options={
            "auth_salt": OptionInfo(mask="secret"),
            "blog_public": OptionInfo(value="1"),
            "keep": OptionInfo(value="x"),
        }
    )
    b = make_snapshot(options={"blog_public": OptionInfo(value="0"), "keep": OptionInfo(value="x")})
    rules = DiffRules.from_section(DriftSection())
    assert compare(a, b, rules).findings == ()


def test_true_and_one_are_different_values(make_snapshot: Make) -> None:
    a = make_snapshot(options={"o": OptionInfo(value={"x": True})})
    b = make_snapshot(options={"o": OptionInfo(value={"x": 1})})
    assert only(compare(a, b).findings).key == "o[x]"


def test_many_differences_in_one_option_are_capped(make_snapshot: Make) -> None:
    a = make_snapshot(options={"big": OptionInfo(value={str(i): i for i in range(100)})})
    b = make_snapshot(options={"big": OptionInfo(value={str(i): -i for i in range(1, 101)})})
    findings = compare(a, b, DiffRules(max_leaves_per_option=5)).findings
    assert len(findings) == 6
    assert findings[-1].key == "big[…]"
    assert findings[-1].note == "96 more differences inside big"


def test_autoloaded_size_is_flagged_only_when_one_side_crosses_the_limit(
    make_snapshot: Make,
) -> None:
    a = make_snapshot(autoload_bytes=700_000)
    b = make_snapshot(autoload_bytes=900_000)
    finding = only(compare(a, b).findings)
    assert (finding.key, finding.a, finding.b) == ("(autoloaded size)", 700_000, 900_000)
    assert compare(b, b.model_copy(update={"autoload_bytes": 950_000})).findings == ()


def _posts(*indexes: str) -> dict[str, TableInfo]:
    known = {
        "PRIMARY": IndexInfo(columns=["ID"], unique=True),
        "post_author": IndexInfo(columns=["post_author"]),
        "post_name": IndexInfo(columns=["post_name(191)"]),
    }
    return {"posts": TableInfo(engine="InnoDB", indexes={k: known[k] for k in indexes})}


def test_dropped_core_index_is_an_error_under_schema(make_snapshot: Make) -> None:
    wp = WordPressInfo(db_version=53496)
    a = make_snapshot(wordpress=wp, tables=_posts("PRIMARY", "post_author", "post_name"))
    b = make_snapshot(wordpress=wp, tables=_posts("PRIMARY", "post_name"))
    finding = only(compare(a, b).findings)
    assert (finding.category, finding.key, finding.severity) == (
        "schema",
        "posts index post_author",
        "error",
    )
    assert (finding.a, finding.b, finding.change) == ("(post_author)", None, "removed")
    assert finding.note == "core index"


def test_plugin_table_differences_are_warnings(make_snapshot: Make) -> None:
    a = make_snapshot(tables={"shop_orders": TableInfo(engine="InnoDB")})
    b = make_snapshot(tables={"shop_orders": TableInfo(engine="MyISAM")})
    finding = only(compare(a, b).findings)
    assert (finding.key, finding.severity, finding.a, finding.b) == (
        "shop_orders engine",
        "warn",
        "InnoDB",
        "MyISAM",
    )


def test_cron_event_added_and_overdue_counts(make_snapshot: Make) -> None:
    event = CronInfo(hook="h", schedule="daily", args_hash="abc")
    a = make_snapshot(cron={"h [daily] abc": event})
    b = make_snapshot(
        cron={
            "h [daily] abc": event.model_copy(update={"overdue": 1}),
            "new [hourly] abc": CronInfo(hook="new", schedule="hourly", args_hash="abc"),
        }
    )
    findings = compare(a, b).findings
    assert [(f.key, f.severity, f.a, f.b) for f in findings] == [
        ("h [daily] abc (overdue)", "info", 0, 1),
        ("new [hourly] abc", "warn", None, 1),
    ]


def test_snapshot_with_old_md5_cron_keys_is_compared_by_hook_and_schedule(
    make_snapshot: Make,
) -> None:
    # Format 1 (stored before the one-codec change): WordPress's md5 key of the arguments.
    old = make_snapshot(
        format=1,
        cron={
            "h [daily] 40cd750b": CronInfo(
                hook="h", schedule="daily", args_hash="40cd750bba9870f18aada2478b24840a"
            ),
            "mail [single] 1f0e3dad": CronInfo(
                hook="mail", schedule="single", args_hash="1f0e3dad99908345f7439f8ffabdffc4"
            ),
        },
    )
    new = make_snapshot(
        cron={
            "h [daily]": CronInfo(hook="h", schedule="daily"),
            "mail [single] b86b1ea11b28": CronInfo(
                hook="mail", schedule="single", args_hash="b86b1ea11b28", count=2
            ),
        }
    )
    report = compare(old, new)
    assert [(f.key, f.a, f.b) for f in report.findings] == [("mail [single] (count)", 1, 2)]
    assert any("cron events compared by hook and schedule only" in n for n in report.notes)
    assert compare(new, new).notes == ()


def test_capability_added_to_a_role(make_snapshot: Make) -> None:
    a = make_snapshot(roles={"editor": RoleInfo(name="Editor", capabilities={"read": True})})
    b = make_snapshot(
        roles={
            "editor": RoleInfo(
                name="Editor", capabilities={"read": True, "manage_options": True}, users=2
            )
        }
    )
    findings = compare(a, b).findings
    assert [(f.key, f.severity, f.a, f.b) for f in findings] == [
        ("editor (users)", "info", 0, 2),
        ("editor: manage_options", "warn", None, True),
    ]
    assert compare(a, b, DiffRules(ignore=["roles:editor"])).ignored == 2


def test_volume_moves_within_tolerance_are_not_findings(make_snapshot: Make) -> None:
    a = make_snapshot(volume={"posts": VolumeInfo(rows=10_000), "tiny": VolumeInfo(rows=3)})
    near = make_snapshot(volume={"posts": VolumeInfo(rows=10_500), "tiny": VolumeInfo(rows=60)})
    far = make_snapshot(volume={"posts": VolumeInfo(rows=20_000), "tiny": VolumeInfo(rows=3)})
    assert compare(a, near).findings == ()
    finding = only(compare(a, far).findings)
    assert (finding.category, finding.severity, finding.a, finding.b) == (
        "volume",
        "info",
        10_000,
        20_000,
    )


def test_route_that_answers_differently(make_snapshot: Make) -> None:
    probe = RouteProbe(route="/", path="/", status=200, final_status=200)
    a = make_snapshot(http={"anon /": probe})
    b = make_snapshot(
        http={
            "anon /": probe.model_copy(
                update={"status": 302, "location": "{site}/maintenance/", "headers": {"vary": "x"}}
            )
        }
    )
    findings = compare(a, b).findings
    assert [(f.key, f.severity, f.a, f.b) for f in findings] == [
        ("anon / redirect", "warn", None, "{site}/maintenance/"),
        ("anon / status", "error", 200, 302),
        ("anon / vary", "warn", None, "x"),
    ]


def test_wordpress_facts(make_snapshot: Make) -> None:
    a = make_snapshot(
        wordpress=WordPressInfo(
            core_version="6.1.9",
            permalink_structure="/%postname%/",
            theme=ThemeInfo(slug="tt3", version="1.0"),
        )
    )
    b = make_snapshot(
        wordpress=WordPressInfo(
            core_version="6.1.9",
            permalink_structure="/%year%/%postname%/",
            timezone="Europe/Paris",
            theme=ThemeInfo(slug="tt3", version="1.1"),
        )
    )
    findings = compare(a, b).findings
    assert [(f.key, f.severity, f.a, f.b) for f in findings] == [
        ("permalink structure", "error", "/%postname%/", "/%year%/%postname%/"),
        ("theme version", "warn", "1.0", "1.1"),
        ("timezone", "warn", "UTC+0", "Europe/Paris"),
    ]


@pytest.mark.parametrize(
    ("rule", "kept"),
    [
        ("options:blogname", ["s[color]"]),
        ("options:s", ["blogname"]),  # a rule on the option covers its inner keys
        ("options:s[*", ["blogname"]),
        ("*:*", []),
        ("plugins:*", ["blogname", "s[color]"]),
    ],
)
def test_ignore_rules_match_category_and_key(
    make_snapshot: Make, rule: str, kept: list[str]
) -> None:
    a = make_snapshot(
        options={"blogname": OptionInfo(value="A"), "s": OptionInfo(value={"color": "b"})}
    )
    b = make_snapshot(
        options={"blogname": OptionInfo(value="B"), "s": OptionInfo(value={"color": "r"})}
    )
    report = compare(a, b, DiffRules(ignore=[rule]))
    assert sorted(f.key for f in report.findings) == kept
    assert report.ignored == 2 - len(kept)


def test_severity_overrides_change_the_exit_code(make_snapshot: Make) -> None:
    a = make_snapshot(options={"blogname": OptionInfo(value="A")})
    b = make_snapshot(options={"blogname": OptionInfo(value="B")})
    plain = compare(a, b)
    assert plain.exit_code("warn") == 1 and plain.exit_code("error") == 0
    raised = compare(a, b, DiffRules(severity={"options:blog*": "error"}))
    assert raised.exit_code("error") == 1
    lowered = compare(a, b, DiffRules(severity={"options:*": "info"}))
    assert lowered.exit_code("warn") == 0 and lowered.counts() == {"info": 1, "warn": 0, "error": 0}


def test_findings_come_in_category_order(make_snapshot: Make) -> None:
    a = make_snapshot(
        options={"o": OptionInfo(value=1)}, http={"anon /": RouteProbe(route="/", status=200)}
    )
    b = make_snapshot(
        options={"o": OptionInfo(value=2)},
        http={"anon /": RouteProbe(route="/", status=500)},
        plugins={"p.php": PluginInfo(version="1")},
    )
    assert [f.category for f in compare(a, b).findings] == ["plugins", "options", "http"]


def test_value_differences_walks_deep_structures_without_recursion() -> None:
    a: Any = "x"
    b: Any = "y"
    for _ in range(5000):
        a, b = [a], [b]
    ((path, x, y),) = value_differences(a, b, "deep")
    assert path.startswith("deep[0][0]") and (x, y) == ("x", "y")
