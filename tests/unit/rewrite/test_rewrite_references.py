"""References are validated as PHP's unserialize() validates them.

PHP numbers every value it reads (1 is the whole value; array keys and ``R:`` take no
number) and refuses an ``r:``/``R:`` with a sign, one past the values read so far, or an
``r:`` that points at something that is not an object. Such a value must come back
byte-identical and be counted as malformed; the references PHP accepts keep working.
"""

from __future__ import annotations

import pytest
from php_oracle import Php

from parity.rewrite import Rewriter

PAIRS = [("https://example.com", "https://staging.example.com")]
URL = b's:19:"https://example.com";'
OBJ = b'O:1:"A":1:{s:1:"u";' + URL + b"}"

REJECTED = {
    "r: with a plus sign": b"a:3:{i:0;" + OBJ + b"i:1;r:+2;i:2;" + URL + b"}",
    "r: with a minus sign": b"a:3:{i:0;" + OBJ + b"i:1;r:-2;i:2;" + URL + b"}",
    "R: with a plus sign": b"a:3:{i:0;" + URL + b"i:1;R:+2;i:2;" + URL + b"}",
    "R: with a minus sign": b"a:2:{i:0;" + URL + b"i:1;R:-2;}",
    "r: zero": b"a:3:{i:0;" + OBJ + b"i:1;r:0;i:2;" + URL + b"}",
    "R: zero": b"a:2:{i:0;" + URL + b"i:1;R:0;}",
    "r: past the values read": b"a:3:{i:0;" + OBJ + b"i:1;r:5;i:2;" + URL + b"}",
    "R: past the values read": b"a:2:{i:0;" + URL + b"i:1;R:4;}",
    "R: to a value read later": b"a:2:{i:0;R:3;i:1;" + URL + b"}",
    "r: to itself": b"a:2:{i:0;" + OBJ + b"i:1;r:4;}",
    "r: to a string": b"a:2:{i:0;" + URL + b"i:1;r:2;}",
    "r: to an array": b"a:2:{i:0;a:1:{i:0;" + URL + b"}i:1;r:2;}",
    "r: to the outer array": b"a:2:{i:0;" + URL + b"i:1;r:1;}",
    "r: to an integer": b"a:3:{i:0;i:5;i:1;r:2;i:2;" + URL + b"}",
    "r: huge": b"a:2:{i:0;" + OBJ + b"i:1;r:99999999999999999999;}",
}
INNER = b"a:2:{i:0;" + URL + b"i:1;r:2;}"
NESTED = b'a:1:{i:0;s:%d:"%s";}' % (len(INNER), INNER)

ACCEPTED = {
    "r: to an object": b"a:3:{i:0;" + OBJ + b"i:1;r:2;i:2;" + URL + b"}",
    "r: to a nested object": b"a:2:{i:0;a:1:{i:0;" + OBJ + b"}i:1;r:3;}",
    "R: to a string": b"a:2:{i:0;" + URL + b"i:1;R:2;}",
    "R: takes no number": b"a:3:{i:0;" + OBJ + b"i:1;R:2;i:2;r:2;}",
    "a property's value takes a number": b"a:2:{i:0;" + OBJ + b"i:1;R:3;}",
}


@pytest.mark.parametrize("value", list(REJECTED.values()), ids=list(REJECTED))
def test_a_reference_php_rejects_leaves_the_value_identical_and_malformed(
    php: Php, value: bytes
) -> None:
    assert php.roundtrips([value]) == [False]
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(value, where="wp_options 3") is value
    assert rewriter.report.malformed_count == 1
    assert rewriter.report.malformed[0].where == "wp_options 3"
    assert rewriter.report.values_changed == 0


@pytest.mark.parametrize("value", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_a_reference_php_accepts_is_kept_and_the_value_rewritten(php: Php, value: bytes) -> None:
    assert php.roundtrips([value]) == [True]
    rewriter = Rewriter(PAIRS)
    ours = rewriter.rewrite(value)
    assert ours != value and rewriter.report.malformed_count == 0
    php.assert_rewrites_like_php([(value, ours)], PAIRS)


def test_an_object_referring_to_itself_is_rewritten(php: Php) -> None:
    value = b'O:1:"A":2:{s:1:"u";' + URL + b's:1:"s";r:1;}'
    ours = Rewriter(PAIRS).rewrite(value)
    assert ours == value.replace(URL, b's:27:"https://staging.example.com";')
    # (PHP's comparison would recurse forever through the cycle: a round trip it is.)
    assert php.roundtrips([value, ours]) == [True, True]


def test_a_bad_reference_inside_a_nested_serialized_string_leaves_that_string_alone(
    php: Php,
) -> None:
    assert php.roundtrips([NESTED, INNER]) == [True, False]
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(NESTED) is NESTED
    assert rewriter.report.malformed_count == 1


def test_a_rejected_reference_is_still_rejected_with_repair() -> None:
    value = REJECTED["r: to a string"]
    rewriter = Rewriter(PAIRS, repair=True)
    assert rewriter.rewrite(value) is value
    assert rewriter.report.malformed_count == 1 and rewriter.report.repaired_count == 0
