"""The PHP-serialized decoder, checked against what real PHP serializes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from parity.drift.phpvalue import Malformed, TooDeep, loads, looks_serialized, try_loads

PhpEval = Callable[[str], Any]

# Each case: a PHP expression. PHP prints serialize() of it and json_encode() of it; the
# decoder must turn the first into the second (json_encode maps PHP arrays like we do).
CASES = [
    "null",
    "true",
    "false",
    "0",
    "-42",
    "PHP_INT_MAX",
    "1.5",
    "0.1",
    "-2.5e-5",
    "''",
    "'plain text'",
    "'ünïcødé ✓ 日本'",
    "'with \"quotes\" and ; and } inside'",
    '"line\\nbreak"',
    "[]",
    "[1, 2, 3]",
    "['a' => 1, 'b' => [true, null]]",
    "[5 => 'five', 9 => 'nine']",
    "[1 => 'one', 0 => 'zero']",
    "['url' => 'http://example.com/', 'nested' => ['deeper' => ['x' => 'y']]]",
    "['sidebar-1' => ['block-2', 'block-3'], 'array_version' => 3]",
]


@pytest.mark.parametrize("expression", CASES)
def test_decoder_reads_what_php_serialize_writes(php_eval: PhpEval, expression: str) -> None:
    out = php_eval(
        f"$v = {expression}; echo json_encode(['s' => serialize($v), 'j' => $v],"
        " JSON_PRESERVE_ZERO_FRACTION);"
    )
    decoded = loads(out["s"])
    assert decoded == out["j"]
    assert type(decoded) is type(out["j"])


def test_objects_become_dicts_with_class_and_demangled_property_names(php_eval: PhpEval) -> None:
    out = php_eval(
        "class Box { public $open = 'yes'; protected $guarded = 2; private $hidden = [1]; }"
        " echo json_encode(serialize(new Box()));"
    )
    assert "\0*\0guarded" in out  # PHP really mangled the names
    assert loads(out) == {"__class__": "Box", "open": "yes", "guarded": 2, "hidden": [1]}


def test_non_finite_floats_and_enums_and_references(php_eval: PhpEval) -> None:
    out = php_eval(
        "enum Suit { case Hearts; } $a = ['x' => 1]; $a['y'] = &$a['x'];"
        " echo json_encode([serialize(INF), serialize(-INF), serialize(NAN),"
        " serialize(Suit::Hearts), serialize($a)]);"
    )
    inf, neg, nan, enum, refs = (loads(s) for s in out)
    assert inf == math.inf and neg == -math.inf
    assert isinstance(nan, float) and math.isnan(nan)
    assert enum == {"__enum__": "Suit:Hearts"}
    assert refs == {"x": 1, "y": {"__ref__": 2}}


def test_string_length_counts_utf8_bytes() -> None:
    assert loads('s:6:"héllo";') == "héllo"  # é is two bytes


def test_nesting_far_beyond_the_recursion_limit_decodes() -> None:
    depth = 20_000
    text = "a:1:{i:0;" * depth + "i:7;" + "}" * depth
    value = loads(text)
    for _ in range(depth):
        assert isinstance(value, list)
        value = value[0]
    assert value == 7


def test_max_depth_keeps_the_raw_bytes_of_deeper_subtrees() -> None:
    text = 'a:2:{s:1:"k";a:1:{i:0;a:1:{i:0;i:1;}}s:1:"n";i:2;}'
    assert loads(text, max_depth=2) == {"k": [TooDeep(b"a:1:{i:0;i:1;}")], "n": 2}


@pytest.mark.parametrize(
    "text",
    [
        's:5:"abc";',
        "a:2:{i:0;i:1;}",
        "a:1:{i:0;i:1;i:1;i:2;}",
        "i:1",
        "b:2;",
        "a:1:{d:1.5;i:1;}",
        "x:1;",
        "i:1;trailing",
        'O:0:"":0:{}',
    ],
)
def test_malformed_values_raise_with_an_offset(text: str) -> None:
    with pytest.raises(Malformed) as info:
        loads(text)
    assert info.value.offset >= 0


def test_try_loads_leaves_plain_text_and_broken_values_alone() -> None:
    assert try_loads("hello") == (False, "hello")
    assert try_loads('s:9:"short";') == (False, 's:9:"short";')
    assert try_loads(" a:0:{} ") == (True, [])


def test_looks_serialized_like_wordpress() -> None:
    assert looks_serialized("b:1;")
    assert looks_serialized("N;")
    assert not looks_serialized("1")
    assert not looks_serialized("a:1:{")
