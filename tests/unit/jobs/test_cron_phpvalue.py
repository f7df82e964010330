"""PHP's serialize() format both ways, with real PHP (`php -r`) as the oracle."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.cron.phpvalue import (
    PhpObject,
    PhpReference,
    PhpValueError,
    as_list,
    php_serialize,
    php_unserialize,
)

pytestmark = pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is the oracle")

# PHP reads one JSON document per line and writes serialize() of each, one per line.
_SERIALIZE_EACH = (
    "while (($l = fgets(STDIN)) !== false) {"
    ' echo base64_encode(serialize(json_decode($l, true))), "\\n"; }'
)


def php_serialize_all(values: list[Any]) -> list[str]:
    import base64

    lines = "".join(json.dumps(v) + "\n" for v in values)
    out = subprocess.run(
        ["php", "-r", _SERIALIZE_EACH], input=lines, capture_output=True, text=True, check=True
    ).stdout.split()
    return [base64.b64decode(o).decode("utf-8", "surrogateescape") for o in out]


def php_json_of(serialized: str) -> Any:
    out = subprocess.run(
        ["php", "-r", 'echo json_encode(unserialize(file_get_contents("php://stdin")));'],
        input=serialized,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


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
    serialized = subprocess.run(
        ["php", "-r", "$o = new stdClass; $o->a = [1]; $o->b = $o->a; echo serialize([$o, $o]);"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    decoded = php_unserialize(serialized)
    assert isinstance(decoded, dict)
    first = decoded[0]
    assert isinstance(first, PhpObject)
    assert first.class_name == "stdClass"
    assert first.properties == {"a": {0: 1}, "b": {0: 1}}
    assert decoded[1] == PhpReference(2, by_reference=False)


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
    with pytest.raises(PhpValueError, match=message):
        php_unserialize(text)


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 5000
    text = "a:1:{i:0;" * depth + "N;" + "}" * depth
    value = php_unserialize(text)
    assert php_serialize(value) == text
