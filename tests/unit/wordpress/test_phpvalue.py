"""parity's one PHP codec (``parity.wordpress.phpvalue``), with real PHP as the oracle.

Two groups: the codec both ways (serialize like PHP, read what PHP writes, name the
problem in what PHP would refuse), and drift's comparable view built from the decoded
value (``parity.drift.comparable``), which must equal what PHP's ``json_encode`` gives.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.drift.comparable import TooDeep, comparable, decode_value
from parity.errors import InputError, MalformedPhpValue
from parity.wordpress.phpvalue import (
    PhpCustom,
    PhpEnum,
    PhpObject,
    PhpReference,
    as_list,
    looks_serialized,
    maybe_unserialize,
    php_serialize,
    php_unserialize,
)

PhpEval = Callable[[str], Any]


def _php() -> str:
    binary = shutil.which("php")
    if binary is None:
        pytest.fail("php-cli is the oracle for the PHP codec: apt-get install php-cli")
    return binary


# -- the codec, both ways -------------------------------------------------------------------

# PHP reads one JSON document per line and writes serialize() of each, one per line.
_SERIALIZE_EACH = (
    "while (($l = fgets(STDIN)) !== false) {"
    ' echo base64_encode(serialize(json_decode($l, true))), "\\n"; }'
)


def php_serialize_all(values: list[Any]) -> list[str]:
    lines = "".join(json.dumps(v) + "\n" for v in values)
    out = subprocess.run(
        [_php(), "-r", _SERIALIZE_EACH], input=lines, capture_output=True, text=True, check=True
    ).stdout.split()
    return [base64.b64decode(o).decode("utf-8", "surrogateescape") for o in out]


def php_json_of(serialized: str) -> Any:
    out = subprocess.run(
        [_php(), "-r", 'echo json_encode(unserialize(file_get_contents("php://stdin")));'],
        input=serialized,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def php_serialized(code: str) -> str:
    """What PHP prints for ``code`` (which echoes serialize() of something)."""
    return subprocess.run([_php(), "-r", code], capture_output=True, text=True, check=True).stdout


META_LIKE = [
    {"stack": ["python services", "backend"], "seed": 21452},
    {"quality": 85, "flags": {"has_images": True, "image_heavy": False}},
    [{"name": "café", "type": "stack"}, {"name": "naïve “quotes”", "type": "area"}],
    {"5": "numeric key", "05": "string key", "-3": None, "": "empty"},
    [1.5, 0.1, 1e100, 1e-7, 2.0, 1e16, 1e17, -0.0, 123456789.125],
    [[[]], {}, "", 'a "quoted" ; } string'],
]


def test_serialize_matches_php_for_meta_like_values() -> None:
    assert [php_serialize(v) for v in META_LIKE] == php_serialize_all(META_LIKE)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=25))
def test_serialize_matches_php_for_generated_values(values: list[Any]) -> None:
    assert [php_serialize(v) for v in values] == php_serialize_all(values)


def test_unserialize_reads_what_php_writes() -> None:
    for serialized in php_serialize_all(META_LIKE[:4]):
        decoded = php_unserialize(serialized)
        assert _plain(decoded) == php_json_of(serialized)
        assert php_serialize(decoded) == serialized  # and writes it back the same


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        items = as_list(value)
        if items is not None:
            return [_plain(v) for v in items]
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def test_objects_and_references_are_kept_as_records() -> None:
    serialized = php_serialized(
        "$o = new stdClass; $o->a = [1]; $o->b = $o->a; echo serialize([$o, $o]);"
    )
    decoded = php_unserialize(serialized)
    assert isinstance(decoded, dict)
    first = decoded[0]
    assert isinstance(first, PhpObject)
    assert first.class_name == "stdClass"
    assert first.properties == {"a": {0: 1}, "b": {0: 1}}
    assert decoded[1] == PhpReference(2, by_reference=False)


def test_objects_enums_references_and_custom_objects_are_written_back_as_php_wrote_them() -> None:
    serialized = php_serialized(
        "enum Suit { case Hearts; }"
        " class Box { public $open = 'yes'; protected $lid = 2; private $inner = [1.5]; }"
        " $a = ['x' => new ArrayObject([1]), 'box' => new Box(), 'suit' => Suit::Hearts];"
        " $a['y'] = &$a['suit']; echo serialize([$a, $a['box']]);"
    )
    decoded = php_unserialize(serialized)
    assert isinstance(decoded, dict)
    inner = decoded[0]
    assert isinstance(inner, dict)
    assert isinstance(inner["box"], PhpObject) and "\0*\0lid" in inner["box"].properties
    assert inner["suit"] == PhpEnum("Suit:Hearts")
    assert isinstance(inner["y"], PhpReference) and inner["y"].by_reference
    assert php_serialize(decoded) == serialized
    custom = php_serialized(
        "class P implements Serializable { public function serialize()"
        " { return 'a;b}'; } public function unserialize($s) {} }"
        " echo @serialize([new P()]);"
    )
    assert php_unserialize(custom) == {0: PhpCustom("P", "a;b}")}
    assert php_serialize(php_unserialize(custom)) == custom


def test_legacy_escaped_strings_read_as_php_reads_them() -> None:
    text = 'a:1:{S:3:"k\\65y";S:5:"caf\\c3\\a9";}'
    assert php_unserialize(text) == {"key": "café"}
    assert _plain(php_unserialize(text)) == php_json_of(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('s:5:"abc";', "string of declared length 5 does not fit"),
        ("a:1:{i:0;i:1;", "expected '}'"),
        ("i:1;x", "unexpected data after the value"),
        ("b:2;", "a boolean must be 0 or 1"),
        ("a:1:{a:0:{}i:1;}", "an array cannot be an array key"),
        ("", "unexpected 'the end'"),
    ],
)
def test_malformed_input_names_the_problem_and_offset(text: str, message: str) -> None:
    with pytest.raises(MalformedPhpValue, match=message):
        php_unserialize(text)


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 5000
    text = "a:1:{i:0;" * depth + "N;" + "}" * depth
    value = php_unserialize(text)
    assert php_serialize(value) == text


MALFORMED = [
    's:5:"abc";',
    "a:2:{i:0;i:1;}",
    "a:1:{i:0;i:1;i:1;i:2;}",
    "i:1",
    "b:2;",
    "a:1:{d:1.5;i:1;}",
    "x:1;",
    "i:1;trailing",
    'O:0:"":0:{}',
    'O:3:"B-x":0:{}',
    's:-1:"";',
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_values_raise_with_an_offset(text: str) -> None:
    with pytest.raises(MalformedPhpValue) as info:
        php_unserialize(text)
    assert info.value.offset >= 0
    assert isinstance(info.value, InputError)  # one error type, in parity's error tree


@pytest.mark.parametrize("text", [t for t in MALFORMED if t != "i:1;trailing"])
def test_what_the_decoder_refuses_php_refuses_too(php_eval: PhpEval, text: str) -> None:
    # (PHP returns the value and ignores bytes after it; parity refuses them on purpose.)
    encoded = base64.b64encode(text.encode()).decode()
    assert php_eval(f"echo json_encode(@unserialize(base64_decode('{encoded}')));") is False


# -- recognising serialized text, as WordPress does ----------------------------------------


def test_looks_serialized_like_wordpress() -> None:
    assert looks_serialized("b:1;")
    assert looks_serialized("N;")
    assert not looks_serialized("1")
    # A truncated value is recognised (so the rewrite engine reports it) but not decoded.
    assert looks_serialized("a:1:{") == (0, 5)
    assert maybe_unserialize("a:1:{") == (False, "a:1:{")


def test_maybe_unserialize_leaves_plain_text_and_broken_values_alone() -> None:
    assert maybe_unserialize("hello") == (False, "hello")
    assert maybe_unserialize('s:9:"short";') == (False, 's:9:"short";')
    assert maybe_unserialize(" a:0:{} ") == (True, {})
    assert decode_value("hello") == (False, "hello")
    assert decode_value('s:9:"short";') == (False, 's:9:"short";')
    assert decode_value(" a:0:{} ") == (True, [])


# -- drift's comparable view of a decoded value --------------------------------------------

# Each case: a PHP expression. PHP prints serialize() of it and json_encode() of it; the
# decoder and drift's view must turn the first into the second (json_encode maps PHP
# arrays like the view does).
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


def loads(text: str, *, max_depth: int | None = None) -> Any:
    """Decode with the one codec, then take drift's view (what drift used to ``loads``)."""
    return comparable(php_unserialize(text), max_depth=max_depth)


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


def test_bytes_that_are_not_utf8_round_trip_in_the_codec_and_show_as_replacement_in_drift() -> None:
    raw = b's:3:"a\xffb";'
    value = php_unserialize(raw)
    assert php_serialize(value).encode("utf-8", "surrogateescape") == raw
    assert comparable(value) == "a\ufffdb"


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
