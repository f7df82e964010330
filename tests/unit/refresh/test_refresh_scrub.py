"""Scrub rules: deterministic strategies, last rule wins, serialized-safe e-mail removal."""

from __future__ import annotations

import json
import subprocess

import pytest

from parity.errors import ConfigError
from parity.refresh.scrub import (
    DEFAULT_RULES,
    ScrubContext,
    compile_table_rules,
    delete_patterns,
    rules_for_table,
    scrub_value,
)
from parity.refresh.settings import ScrubRule

CTX = ScrubContext(key=b"test-key", password_hash=b"$P$Bsaltsalt0123456789012345678901")


def _unserializes(values: list[bytes]) -> list[bool]:
    script = (
        "$in = json_decode(stream_get_contents(STDIN), true); $out = [];"
        " foreach ($in as $v) { $out[] = @unserialize(base64_decode($v)) !== false; }"
        " echo json_encode($out);"
    )
    import base64

    data = json.dumps([base64.b64encode(v).decode() for v in values])
    done = subprocess.run(
        ["php", "-r", script], input=data, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def _s(value: bytes) -> bytes:
    return b's:%d:"%s";' % (len(value), value)


def test_every_strategy_is_deterministic() -> None:
    for strategy in ("email", "emails", "hash", "ip", "user_email", "empty"):
        first = scrub_value(strategy, b"ann@example.com", CTX, row_id=b"3")  # type: ignore[arg-type]
        again = scrub_value(strategy, b"ann@example.com", CTX, row_id=b"3")  # type: ignore[arg-type]
        assert first == again


def test_user_email_uses_the_row_id() -> None:
    assert scrub_value("user_email", b"a@b.co", CTX, row_id=b"42") == b"user42@example.invalid"


def test_email_pseudonyms_differ_per_address_and_per_key() -> None:
    a = scrub_value("email", b"ann@example.com", CTX)
    b = scrub_value("email", b"bob@example.com", CTX)
    other = scrub_value("email", b"ann@example.com", ScrubContext(b"k2", b""))
    assert a != b and a != other
    assert a is not None and a.endswith(b"@example.invalid")
    # The same address in another case maps to the same pseudonym (joins still join).
    assert scrub_value("email", b"Ann@Example.com", CTX) == a


def test_empty_and_null_values_stay_as_they_are() -> None:
    for strategy in ("email", "hash", "ip", "user_email"):
        assert scrub_value(strategy, b"", CTX) == b""  # type: ignore[arg-type]
        assert scrub_value(strategy, None, CTX) is None  # type: ignore[arg-type]


def test_ip_is_in_test_net_1() -> None:
    value = scrub_value("ip", b"203.0.113.9", CTX)
    assert value is not None and value.startswith(b"192.0.2.")
    assert 1 <= int(value.rsplit(b".", 1)[1]) <= 254


def test_staging_password_and_fixed_and_null() -> None:
    assert scrub_value("staging_password", b"$P$Bold", CTX) == CTX.password_hash
    assert scrub_value("fixed", b"old", CTX, fixed=b"new") == b"new"
    assert scrub_value("null", b"old", CTX) is None


def test_emails_inside_serialized_values_are_replaced_with_lengths_fixed() -> None:
    inner = b"a:1:{i:0;" + _s(b"deep@inside.co.uk") + b"}"
    value = (
        b"a:3:{"
        + _s(b"recipient")
        + _s(b"orders@shop.com, boss@shop-hq.org")
        + _s(b"note")
        + _s(b"mail: x@y.co today")
        + _s(b"inner")
        + _s(inner)
        + b"}"
    )
    assert _unserializes([value]) == [True]
    new = scrub_value("emails", value, CTX)
    assert new is not None
    assert b"shop.com" not in new and b"x@y.co" not in new and b"deep@inside" not in new
    assert new.count(b"@example.invalid") == 4
    assert _unserializes([new]) == [True]
    # Plain text too, and idempotent.
    plain = scrub_value("emails", b"write to a@b.com", CTX)
    assert plain is not None and scrub_value("emails", plain, CTX) == plain


def test_built_in_rules_scrub_users_comments_and_woocommerce_meta() -> None:
    columns = ("umeta_id", "user_id", "meta_key", "meta_value")
    scrubber = compile_table_rules(
        rules_for_table(DEFAULT_RULES, "usermeta", "wp_usermeta"), columns, CTX, table="wp_usermeta"
    )
    rows = {
        b"billing_email": b"ann@example.com",
        b"billing_city": b"Paris",
        b"billing_country": b"FR",
        b"billing_phone": b"+33 1 23",
        b"nickname": b"ann",
    }
    out = {}
    for key, value in rows.items():
        row: list[bytes | None] = [b"1", b"7", key, value]
        scrubber.apply(row)
        out[key] = row[3]
    assert out[b"billing_email"] == b"user7@example.invalid"
    assert out[b"billing_city"] is not None and out[b"billing_city"].startswith(b"anon-")
    assert out[b"billing_country"] == b"FR"  # kept by a later, more specific rule
    assert out[b"billing_phone"] == b""
    assert out[b"nickname"] == b"ann"
    assert scrubber.counts["usermeta[billing_email] -> user_email"] == 1


def test_a_later_keep_rule_switches_a_built_in_rule_off() -> None:
    rules = [
        *DEFAULT_RULES,
        ScrubRule(table="comments", column="comment_author_IP", strategy="keep"),
    ]
    columns = ("comment_ID", "comment_author_email", "comment_author_IP")
    scrubber = compile_table_rules(
        rules_for_table(rules, "comments", "wp_comments"), columns, CTX, table="wp_comments"
    )
    row: list[bytes | None] = [b"1", b"a@b.com", b"10.0.0.1"]
    assert scrubber.apply(row)
    assert row[2] == b"10.0.0.1"
    assert row[1] != b"a@b.com"


def test_delete_rules_become_row_filters_unless_kept() -> None:
    rules = rules_for_table(DEFAULT_RULES, "usermeta", "wp_usermeta")
    assert delete_patterns(rules) == ["session_tokens"]
    kept = [*rules, ScrubRule(table="usermeta", key="session_tokens", strategy="keep")]
    assert delete_patterns(kept) == []


def test_a_config_rule_naming_a_missing_column_is_an_error() -> None:
    rule = ScrubRule(table="users", column="phone", strategy="empty")
    with pytest.raises(ConfigError, match="no column 'phone'"):
        compile_table_rules([rule], ("ID", "user_email"), CTX, table="wp_users")


def test_built_in_rules_for_columns_an_old_schema_lacks_are_skipped() -> None:
    rules = rules_for_table(DEFAULT_RULES, "wc_orders", "wp_wc_orders")
    scrubber = compile_table_rules(rules, ("id", "billing_email"), CTX, table="wp_wc_orders")
    row: list[bytes | None] = [b"1", b"a@b.com"]
    assert scrubber.apply(row)


def test_rule_validation() -> None:
    with pytest.raises(ValueError):
        ScrubRule(table="t", column="c", strategy="fixed")
    with pytest.raises(ValueError):
        ScrubRule(table="t", column="c", strategy="delete_row")
    with pytest.raises(ValueError):
        ScrubRule(table="t", strategy="hash")
