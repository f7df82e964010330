"""Whole values: identity when nothing matches, big values, invalid UTF-8, dry runs."""

from __future__ import annotations

from parity.rewrite import Rewriter, rewrite

PAIRS = [("https://example.com", "https://staging.example.com")]
URL = b"https://example.com"
NEW = b"https://staging.example.com"
MB = 1024 * 1024


def test_a_value_without_a_match_is_returned_as_the_same_object() -> None:
    value = b'a:1:{s:3:"url";s:19:"https://example.org";}'
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(value) is value
    assert rewriter.report.values_seen == 1 and rewriter.report.values_scanned == 0


def test_a_value_holding_only_the_anchor_is_returned_unchanged() -> None:
    value = b's:15:"see example.com";'
    assert Rewriter(PAIRS).rewrite(value) is value


def test_a_64_megabyte_plain_value_is_rewritten() -> None:
    value = b"x" * (64 * MB) + URL + b"y" * 100
    out = rewrite(value, PAIRS)
    assert len(out) == len(value) + 8
    assert out.endswith(NEW + b"y" * 100)


def test_a_64_megabyte_serialized_string_gets_its_byte_length_fixed() -> None:
    body = b"\xc3\xa9" * (32 * MB) + URL
    value = b'a:1:{i:0;s:%d:"%s";}' % (len(body), body)
    out = rewrite(value, PAIRS)
    assert out == b'a:1:{i:0;s:%d:"%s";}' % (len(body) + 8, b"\xc3\xa9" * (32 * MB) + NEW)


def test_a_64_megabyte_value_without_a_match_is_returned_as_is() -> None:
    value = b"z" * (64 * MB)
    assert rewrite(value, PAIRS) is value


def test_invalid_utf8_bytes_pass_through_untouched() -> None:
    bad = b"\xff\xfe\xc3(\xa0\xa1"
    value = b'a:2:{i:0;s:%d:"%s";i:1;s:6:"%s";}' % (len(bad + URL), bad + URL, bad)
    out = rewrite(value, PAIRS)
    assert out == b'a:2:{i:0;s:%d:"%s";i:1;s:6:"%s";}' % (len(bad + NEW), bad + NEW, bad)


def test_invalid_utf8_inside_a_json_document_is_left_alone() -> None:
    value = b'{"a":"\xff https://example.com"}'
    assert rewrite(value, PAIRS) == b'{"a":"\xff https://staging.example.com"}'


def test_count_is_a_dry_run_that_leaves_the_running_report_alone() -> None:
    rewriter = Rewriter(PAIRS)
    value = b'a:2:{i:0;s:19:"https://example.com";i:1;s:21:"https:\\/\\/example.com";}'
    report = rewriter.count(value, where="wp_postmeta 9")
    assert report.by_encoding == {"raw": 1, "json": 1}
    assert report.values_changed == 1
    assert rewriter.report.values_seen == 0
    rewriter.report.merge(report)
    assert rewriter.report.occurrences == 2


def test_the_report_lists_malformed_values_up_to_its_cap_and_counts_them_all() -> None:
    rewriter = Rewriter(PAIRS, cap=3)
    for number in range(5):
        rewriter.rewrite(b'a:1:{i:0;s:1:"' + URL + b'";}', where=f"row {number}")
    report = rewriter.report.as_dict()
    examples = rewriter.report.malformed_examples()
    assert report["malformed"] == 5
    assert [entry["where"] for entry in examples] == ["row 0", "row 1", "row 2"]
    assert "example.com" not in str(examples)  # reports never hold the values


def test_the_public_names_of_the_package_all_exist() -> None:
    import parity.rewrite as package

    assert sorted(package.__all__) == sorted(set(package.__all__))
    assert all(hasattr(package, name) for name in package.__all__)


def test_a_report_merges_into_another_and_serialises_to_json() -> None:
    import json

    first, second = Rewriter(PAIRS), Rewriter(PAIRS)
    first.rewrite(URL)
    second.rewrite(b"{" + URL)
    first.report.merge(second.report)
    data = json.loads(json.dumps(first.report.as_dict()))
    assert first.report.values_seen == 2 and data["occurrences"] == 2
    assert data["by_pair"] == [{"search": PAIRS[0][0], "replace": PAIRS[0][1], "occurrences": 2}]
