"""Serialized values: every token kind, exact bytes, malformed input, repair, depth."""

from __future__ import annotations

import pytest
from php_oracle import Php

from parity.rewrite import Rewriter, rewrite
from parity.rewrite import serialized as ser

PAIRS = [("https://example.com", "https://staging.example.com")]
URL = b"https://example.com"
NEW = b"https://staging.example.com"


@pytest.mark.parametrize(
    "value",
    [
        b"N;",
        b"b:1;",
        b"i:-42;",
        b"i:+5;",
        b"d:0.1;",
        b"d:.5;",
        b"d:1.0E+25;",
        b"d:-INF;",
        b"d:NAN;",
        b's:3:"a";";',
        b'a:2:{i:0;s:1:"x";s:1:"k";a:0:{}}',
        b'O:8:"stdClass":1:{s:1:"a";i:1;}',
        b'O:3:"Foo":1:{s:6:"\x00Foo\x00p";N;}',
        b'C:11:"ArrayObject":21:{x:i:0;a:0:{};m:a:0:{}}',
        b'E:11:"Suit:Hearts";',
        b'a:2:{i:0;O:1:"A":0:{}i:1;r:2;}',
        b"a:2:{i:0;i:1;i:1;R:2;}",
        b'S:3:"\\61bc";',
    ],
)
def test_every_token_kind_parses(value: bytes) -> None:
    ser.parse(value)


def test_a_string_holding_quotes_and_semicolons_is_read_by_its_length() -> None:
    sites = ser.parse(b'a:1:{i:0;s:8:"";}s:1:"";}')
    assert [(kind, start, end) for kind, _digits, start, end in sites] == [(ser.VALUE, 14, 22)]


def test_only_changed_string_tokens_are_rewritten() -> None:
    value = b'a:4:{s:1:"f";d:0.10;s:1:"i";i:007;s:1:"u";s:19:"' + URL + b'";s:1:"n";N;}'
    out = rewrite(value, PAIRS)
    assert out == b'a:4:{s:1:"f";d:0.10;s:1:"i";i:007;s:1:"u";s:27:"' + NEW + b'";s:1:"n";N;}'


def test_string_array_keys_are_rewritten_but_class_and_property_names_are_not() -> None:
    value = (
        b'O:19:"https___example_com":2:{s:19:"' + URL + b'";s:19:"' + URL + b'";'
        b's:1:"a";a:1:{s:19:"' + URL + b'";i:1;}}'
    )
    rewriter = Rewriter([("https://example.com", "https://staging.example.com")])
    out = rewriter.rewrite(value)
    assert out == (
        b'O:19:"https___example_com":2:{s:19:"' + URL + b'";s:27:"' + NEW + b'";'
        b's:1:"a";a:1:{s:27:"' + NEW + b'";i:1;}}'
    )
    assert rewriter.report.skipped_by_reason == {"object property name": 1}


def test_enum_and_class_names_are_never_rewritten() -> None:
    value = b'a:1:{i:0;E:24:"example.com\\Mode:example";}'
    rewriter = Rewriter([("example.com", "x.example.com")])
    assert rewriter.rewrite(value) is value
    assert rewriter.report.skipped_by_reason == {"enum name": 1}


def test_depth_ten_thousand_is_parsed_and_rewritten_without_recursion() -> None:
    depth = 10_000
    value = b"a:1:{i:0;" * depth + b's:19:"' + URL + b'";' + b"}" * depth
    out = rewrite(value, PAIRS)
    assert out == b"a:1:{i:0;" * depth + b's:27:"' + NEW + b'";' + b"}" * depth


def test_double_serialized_nesting_ten_thousand_deep_needs_no_recursion() -> None:
    value = b's:19:"' + URL + b'";'
    expected = b's:27:"' + NEW + b'";'
    for _ in range(2_000):
        value = b's:%d:"%s";' % (len(value), value)
        expected = b's:%d:"%s";' % (len(expected), expected)
    assert rewrite(value, PAIRS) == expected


def test_depth_ten_thousand_is_valid_php(php: Php) -> None:
    depth = 10_000
    value = b"a:1:{i:0;" * depth + b's:19:"' + URL + b'";' + b"}" * depth
    out = rewrite(value, PAIRS)
    assert php.roundtrips([value, out]) == [True, True]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b'a:1:{i:0;s:5:"' + URL + b'";}', "does not end with a quote"),
        (b'a:1:{i:0;s:19:"' + URL, "runs past the end"),
        (b'a:1:{i:0;s:19:"' + URL + b'";', "value is truncated"),
        (b'a:1:{i:0;s:40:"' + URL + b'";}', "runs past the end"),
        (b'a:2:{i:0;s:19:"' + URL + b'";}', "fewer elements"),
        (b'a:1:{i:0;s:19:"' + URL + b'";i:1;i:2;}', "more elements"),
        (b'a:1:{d:1;s:19:"' + URL + b'";}', "neither an integer nor a string"),
        (b's:19:"' + URL + b'";x;', "unexpected bytes"),
    ],
)
def test_malformed_values_are_left_identical_and_reported(value: bytes, reason: str) -> None:
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(value, where="wp_options 7") is value
    report = rewriter.report
    assert report.malformed_count == 1
    assert reason in report.malformed[0].reason
    assert report.malformed[0].where == "wp_options 7"
    assert report.skipped_by_reason == {"malformed serialized value": 1}


def test_repair_recomputes_lengths_as_php_counts_bytes_then_rewrites(php: Php) -> None:
    broken = b'a:2:{s:3:"url";s:5:"' + URL + b'";s:4:"name";s:2:"caf\xc3\xa9";}'
    rewriter = Rewriter(PAIRS, repair=True)
    out = rewriter.rewrite(broken)
    assert out == b'a:2:{s:3:"url";s:27:"' + NEW + b'";s:4:"name";s:5:"caf\xc3\xa9";}'
    assert rewriter.report.repaired_count == 1
    assert rewriter.report.malformed[0].repaired is True
    assert php.roundtrips([out]) == [True]


def test_repair_finds_the_closing_quote_even_when_the_string_holds_quotes() -> None:
    broken = b'a:2:{i:0;s:1:"say ";" ' + URL + b'";i:1;s:1:"x";}'
    out = Rewriter(PAIRS, repair=True).rewrite(broken)
    assert out == b'a:2:{i:0;s:35:"say ";" ' + NEW + b'";i:1;s:1:"x";}'


def test_a_value_repair_cannot_read_is_left_identical() -> None:
    broken = b'a:1:{i:0;s:5:"' + URL
    rewriter = Rewriter(PAIRS, repair=True)
    assert rewriter.rewrite(broken) is broken
    assert rewriter.report.repaired_count == 0 and rewriter.report.malformed_count == 1


def test_whitespace_around_a_serialized_value_is_kept() -> None:
    value = b'\n a:1:{i:0;s:19:"' + URL + b'";} \n'
    assert rewrite(value, PAIRS) == b'\n a:1:{i:0;s:27:"' + NEW + b'";} \n'


def test_spl_style_custom_payloads_are_rewritten_inside() -> None:
    payload = b'x:i:0;a:1:{i:0;s:19:"' + URL + b'";};m:a:0:{}'
    value = b'C:11:"ArrayObject":%d:{%s}' % (len(payload), payload)
    new_payload = b'x:i:0;a:1:{i:0;s:27:"' + NEW + b'";};m:a:0:{}'
    assert rewrite(value, PAIRS) == b'C:11:"ArrayObject":%d:{%s}' % (len(new_payload), new_payload)


def test_a_custom_payload_of_unknown_format_is_left_alone_and_reported() -> None:
    payload = b'v1|s:19:"' + URL + b'"|end'
    value = b'C:3:"Foo":%d:{%s}' % (len(payload), payload)
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(value) is value
    assert rewriter.report.skipped_by_reason == {"C: payload in an unknown format": 1}


@pytest.mark.parametrize(
    "body",
    [
        b"x" * 999,  # the longest string the bulk path checks
        b"x" * 1000,  # the shortest it leaves to the exact scanner
        b'say "hi";',  # quotes: the exact scanner
        b"",
    ],
)
def test_runs_of_simple_pairs_are_read_exactly_whatever_their_strings(body: bytes) -> None:
    pairs = b'i:0;s:%d:"%s";s:1:"k";i:5;s:3:"url";s:19:"%s";' % (len(body), body, URL)
    value = b"a:3:{" + pairs + b"}"
    out = rewrite(value, PAIRS)
    assert out == value.replace(b's:19:"' + URL, b's:27:"' + NEW)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b'a:1:{i:0;s:1:"a";i:1;s:19:"' + URL + b'";}', "more elements"),
        (b'a:3:{i:0;s:1:"a";i:1;s:19:"' + URL + b'";}', "fewer elements"),
        (b'a:2:{i:0;s:2:"a";i:1;s:19:"' + URL + b'";}', "does not end with a quote"),
    ],
)
def test_broken_counts_and_lengths_inside_runs_are_reported(value: bytes, reason: str) -> None:
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(value) is value
    assert reason in rewriter.report.malformed[0].reason


def test_lengths_with_leading_zeros_are_read_as_php_reads_them(php: Php) -> None:
    value = b'a:1:{s:03:"url";s:019:"' + URL + b'";}'
    out = rewrite(value, PAIRS)
    assert out == b'a:1:{s:03:"url";s:27:"' + NEW + b'";}'
    assert php.check([(value, out)], PAIRS)[0]["equal"] is True
