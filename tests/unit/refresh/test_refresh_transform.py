"""Row transforms: rewrite, scrub, prefix mapping, and the serialized-value tallies."""

from __future__ import annotations

from parity.environments import EnvironmentSettings
from parity.refresh.plan import Column, TableShape, build_plan
from parity.refresh.prefix import PrefixMapper
from parity.refresh.scrub import ScrubContext
from parity.refresh.settings import RefreshSection
from parity.refresh.transform import TableStats, TableTransform, is_broken_serialized

CTX = ScrubContext(key=b"k", password_hash=b"$P$Bhash")


def env(name: str, url: str, prefix: str, port: int) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {"name": name, "url": url, "db": f"mysql://u:p@h:{port}/d", "table_prefix": prefix}
    )


def transform_for(
    table: str, columns: tuple[str, ...], target_prefix: str = "wp_"
) -> TableTransform:
    source = env("production", "https://example.com", "wp_", 1)
    target = env("staging", "https://stage.example.com", target_prefix, 2)
    shape = TableShape(
        table,
        tuple(Column(c, text=not c.endswith("id")) for c in columns),
        (columns[0],),
        f"CREATE TABLE `{table}` (x int)",
    )
    plan = build_plan(source, target, RefreshSection(), [shape], [], {})
    return TableTransform(
        plan.tables[0], plan.pairs, CTX, PrefixMapper(source.table_prefix, target_prefix)
    )


def test_rows_nothing_changes_are_passed_on_as_the_same_objects() -> None:
    transform = transform_for("wp_postmeta", ("meta_id", "post_id", "meta_key", "meta_value"))
    row = (b"1", b"2", b"colour", b"blue")
    assert transform.apply([row])[0] is row
    assert transform.stats().values_changed == 0


def test_serialized_values_are_rewritten_with_lengths_fixed_and_counted() -> None:
    transform = transform_for("wp_postmeta", ("meta_id", "post_id", "meta_key", "meta_value"))
    value = b'a:1:{s:3:"url";s:23:"https://example.com/a/b";}'
    out = transform.apply([(b"1", b"2", b"links", value), (b"2", b"2", b"x", None)])
    assert out[0][3] == b'a:1:{s:3:"url";s:29:"https://stage.example.com/a/b";}'
    stats = transform.stats()
    assert (stats.rows, stats.values_changed, stats.occurrences) == (2, 1, 1)
    assert stats.by_encoding == {"raw": 1}
    assert (stats.broken_before, stats.broken_after) == (0, 0)


def test_users_are_scrubbed_and_their_url_rewritten() -> None:
    transform = transform_for(
        "wp_users", ("ID", "user_login", "user_pass", "user_email", "user_url")
    )
    out = transform.apply([(b"5", b"ann", b"$P$Bold", b"ann@corp.com", b"https://example.com")])
    assert out[0] == (
        b"5",
        b"ann",
        b"$P$Bhash",
        b"user5@example.invalid",
        b"https://stage.example.com",
    )
    assert transform.stats().scrubbed["users.user_email -> user_email"] == 1


def test_prefixed_usermeta_keys_and_the_roles_option_follow_a_new_prefix() -> None:
    usermeta = transform_for(
        "wp_usermeta", ("umeta_id", "user_id", "meta_key", "meta_value"), "stg_"
    )
    out = usermeta.apply([(b"1", b"1", b"wp_capabilities", b'a:1:{s:13:"administrator";b:1;}')])
    assert out[0][2] == b"stg_capabilities"
    options = transform_for("wp_options", ("option_id", "option_name", "option_value"), "stg_")
    out = options.apply([(b"1", b"wp_user_roles", b"a:0:{}"), (b"2", b"wp_other", b"x")])
    assert [row[1] for row in out] == [b"stg_user_roles", b"wp_other"]
    assert options.stats().prefix_mapped == 1


def test_a_value_broken_in_the_source_stays_counted_as_broken_on_both_sides() -> None:
    transform = transform_for("wp_options", ("option_id", "option_name", "option_value"))
    broken = b'a:1:{s:3:"url";s:99:"https://example.com";}'
    transform.apply([(b"1", b"w", broken)])
    stats = transform.stats()
    assert stats.malformed == 1
    assert stats.broken_after <= stats.broken_before


def test_is_broken_serialized() -> None:
    assert not is_broken_serialized(b"plain")
    assert not is_broken_serialized(b's:1:"a";')
    assert is_broken_serialized(b's:5:"a";')
    assert not is_broken_serialized(None)
    # Surrounding whitespace is trimmed, as WordPress does before unserializing.
    assert is_broken_serialized(b' \n s:5:"a";')
    assert not is_broken_serialized(b'\ts:1:"a"; ')
    assert is_broken_serialized(b"a:1:{")
    assert not is_broken_serialized(b"N;") and not is_broken_serialized(b"a")
    assert not is_broken_serialized(b"anon-1234@example.invalid")


def test_a_value_rewritten_and_scrubbed_counts_as_one_changed_value() -> None:
    transform = transform_for("wp_options", ("option_id", "option_name", "option_value"))
    row = (b"1", b"admin_email", b"ann@corp.com https://example.com")
    out = transform.apply([row, (b"2", b"blogname", b"https://example.com")])
    assert out[0][2].endswith(b"@example.invalid https://stage.example.com")
    assert out[1][2] == b"https://stage.example.com"
    stats = transform.stats()
    assert (stats.values_changed, stats.occurrences) == (2, 2)
    assert stats.scrubbed == {"options[admin_email] -> emails": 1}


def test_stats_round_trip_through_a_checkpoint() -> None:
    stats = TableStats(rows=3, values_changed=2, occurrences=4, malformed=1)
    stats.by_encoding["raw"] = 4
    stats.scrubbed["users.user_email -> user_email"] = 2
    again = TableStats.from_dict(stats.as_dict())
    assert again == stats
    again.add(stats)
    assert again.rows == 6 and again.by_encoding["raw"] == 8
