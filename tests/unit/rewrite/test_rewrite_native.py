"""The compiled engine gives the pure engine's output, byte for byte, and the same report.

The pure-Python engine is the reference. Both run here on the property tests' generated
structures, on the benchmark corpora (mixed and match-dense), and on broken values (every
truncation and many byte flips of real serialized values), so that the compiled scanner
also refuses exactly what the pure one refuses, with the same reason and offset.
"""

from __future__ import annotations

import gc
import json
import pickle
import random
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from php_oracle import Php
from test_rewrite_properties import batches

from parity.errors import MalformedPhpValue
from parity.rewrite import Rewriter, serialized
from parity.rewrite.native import available, parser_for

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from bench_rewrite import PAIRS, Corpus
from corpus_dense import DenseCorpus


@pytest.fixture(autouse=True)
def engine() -> str:
    """These tests run both engines themselves (the conftest runs each test on each)."""
    return "both"


def test_the_compiled_engine_is_built() -> None:
    # scripts/bootstrap builds it (scripts/build_native.py); CI runs the bootstrap.
    assert available(), "the native rewrite engine is not built: run scripts/bootstrap"


def _both(
    values: list[bytes], pairs: list[tuple[str, str]], **options: Any
) -> tuple[list[bytes], dict[str, Any]]:
    results = {}
    for engine in ("pure", "native"):
        rewriter = Rewriter(pairs, engine=engine, **options)
        out = [rewriter.rewrite(value, where=f"#{i}") for i, value in enumerate(values)]
        report = rewriter.report
        results[engine] = (
            out,
            report.as_dict(),
            report.malformed_examples(),
            report.skipped_by_reason,
            (report.values_seen, report.values_scanned, report.values_changed),
        )
    assert results["native"] == results["pure"]
    return results["pure"][0], results["pure"][1]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=batches())
def test_generated_structures_rewrite_the_same_on_both_engines(
    php: Php, batch: tuple[Any, Any]
) -> None:
    pairs, trees = batch
    _both(php.build(trees), pairs, encodings=("raw", "json"))


@pytest.mark.parametrize("share", [0.1, 1.0])
def test_the_benchmark_corpora_rewrite_the_same_on_both_engines(share: float) -> None:
    values = Corpus(3, share).values(120_000) + DenseCorpus(3, share).values(120_000)
    out, report = _both(values, PAIRS)
    assert report["occurrences"] > 0 and out != values


def _mutations(value: bytes, rnd: random.Random) -> list[bytes]:
    cuts = [value[:i] for i in range(2, len(value))]
    flips = []
    for _ in range(40):
        i = rnd.randrange(len(value))
        flips.append(
            value[:i] + bytes([rnd.choice(b'0129:;"{}saOCErRNbid+-.S\\x')]) + value[i + 1 :]
        )
    return cuts + flips


def test_broken_values_are_refused_alike_with_the_same_reason_and_offset() -> None:
    rnd = random.Random(5)
    seeds = DenseCorpus(9, 1.0).values(40_000)
    seeds = [v for v in seeds if v[:2] == b"a:" and len(v) < 700][:8]
    seeds += [
        b'a:2:{i:0;O:1:"A":1:{s:1:"u";s:19:"https://example.com";}i:1;r:2;}',
        b'a:1:{i:0;C:4:"PBox":29:{s:19:"https://example.com";}}',
        b'a:2:{i:0;E:6:"Suit:H";i:1;S:21:"\\68ttps://example.com";}',
        b'a:3:{i:0;d:1.5e10;i:1;d:-INF;s:1:"u";s:19:"https://example.com";}',
    ]
    inner = b'a:2:{i:0;s:19:"https://example.com";i:1;O:1:"A":1:{s:1:"u";N;}}'
    twice = b'a:1:{s:1:"k";s:%d:"%s";}' % (len(inner), inner)
    seeds += [twice, b'a:1:{i:0;s:%d:" %s ";}' % (len(twice) + 2, twice)]
    native = parser_for("native")
    values: list[bytes] = []
    for seed in seeds:
        values += _mutations(seed, rnd)
    for value in values:
        try:
            expected: Any = serialized.parse(value)
        except MalformedPhpValue as error:
            expected = (error.reason, error.offset)
        try:
            got: Any = native(value)
        except MalformedPhpValue as error:
            got = (error.reason, error.offset)
        if isinstance(expected, list):  # the pure scanner may leave out unmarked sites
            assert isinstance(got, list) and set(expected) <= set(got), value
        else:
            assert got == expected, value
    _both(values, PAIRS)
    _both(values, PAIRS, repair=True)


# ---- the compiled per-value rewrite (Engine.rewrite) --------------------------------

_URL_FORMS = [
    "https://example.com",
    "http://example.com/x?a=1&b=2",
    "https:\\/\\/example.com\\/p",
    "http:\\/\\/example.com",
    "https%3A%2F%2Fexample.com%2Fp",
    "https%3a%2f%2fexample.com",
    "/var/www/example.com/wp",
    "\\/var\\/www\\/example.com",
    "https:\\u002f\\u002fexample.com",
    "HTTPS://EXAMPLE.COM",
    "example.com",
    "example.comexample.com",
    "https://staging.example.com",
    "http://example.com/sub",
    'https://a.test/?x=1&y="2"',
    "caf\\u00e9 example.com",
    "caf\\u00E9",
    "café",
    "https://example.com\\u0026x",
    "\\u003cb\\u003e",
]
_BITS = ["", " ", "\n", "\t", "\\", "\\\\", '\\"', '"', "/", "\\/", "{", "}", "[", "]", ":", ";"]
_BITS += ["a:1:{", 's:3:"', "i:1;", "N;", "x", "é", "\x00", "\x0b", "-->", "<!-- wp:x "]


def _ser_str(text: bytes, bad: int = 0) -> bytes:
    return b's:%d:"%s";' % (len(text) + bad, text)


@st.composite
def _texts(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.sampled_from(_URL_FORMS + _BITS), max_size=6))
    return "".join(parts).encode()


def _json_of(node: Any, slashes: bool, ascii_only: bool, pad: str) -> bytes:
    text = json.dumps(node, ensure_ascii=ascii_only)
    if slashes:
        text = text.replace("/", "\\/")
    return (pad + text + pad).encode()


@st.composite
def _values(draw: st.DrawFn, depth: int = 0) -> bytes:
    """Serialized values, JSON documents and text, nested in each other, sometimes broken."""
    kinds = ["text", "json", "array", "object", "string", "pad"] if depth < 3 else ["text"]
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        return draw(_texts())
    if kind == "pad":
        pad = draw(st.sampled_from([b" ", b"\n", b"\t ", b"\x00", b"\x0b"]))
        return pad + draw(_values(depth + 1)) + pad
    if kind == "json":
        words = st.one_of(st.sampled_from(_URL_FORMS), _texts().map(lambda b: b.decode()))
        inner = draw(st.lists(st.one_of(words, _values(depth + 1).map(_latin)), max_size=4))
        node: Any = (
            {f"k{i}": v for i, v in enumerate(inner)} if draw(st.booleans()) else list(inner)
        )
        if draw(st.booleans()) and inner:
            node = {"id": 1, "settings": node, "url": inner[0]}
        done = _json_of(
            node, draw(st.booleans()), draw(st.booleans()), draw(st.sampled_from(["", " ", "\n"]))
        )
        if draw(st.integers(0, 9)) == 0:  # not quite JSON
            done = done.replace(b'"', b"", 1)
        return done
    if kind == "string":
        bad = draw(st.sampled_from([0] * 12 + [1, -1]))
        return _ser_str(draw(_values(depth + 1)), bad)
    items = draw(st.lists(_values(depth + 1), max_size=4))
    body = b"".join(_ser_str(b"k%d" % i) + _ser_str(v) for i, v in enumerate(items))
    if kind == "object":
        name = draw(st.sampled_from([b"WP_Post", b"Ns\\Bar"]))
        prop = draw(st.sampled_from([b"p", b"https://example.com", b"\x00*\x00url"]))
        extra = _ser_str(prop) + draw(st.sampled_from([b"r:1;", b"R:1;", b"N;", b"i:2;"]))
        return b'O:%d:"%s":%d:{%s%s}' % (len(name), name, len(items) + 1, body, extra)
    tail = draw(
        st.sampled_from(
            [
                *(b"", b"", b""),
                b'i:9;C:4:"PBox":21:{s:11:"example.com";}',  # a payload holding an anchor
                b'i:8;S:19:"\\68ttps://example.com";',  # an escaped string holding one
                b'i:7;E:6:"Suit:H";',
            ]
        )
    )
    count = len(items) + (1 if tail else 0)
    return b"a:%d:{%s%s}" % (count, body, tail)


def _latin(value: bytes) -> str:
    return value.decode("utf-8", "replace")


_PAIR_SETS: list[list[tuple[str, str]]] = [
    PAIRS,
    [("http://example.com", "http://example.com/sub")],  # replacements kept as written
    [("https://example.com", 'https://a.test/?x=1&y="2"')],  # escaped in JSON by style
    [("example.com", "example.org"), ("/var/www", "/srv/www")],  # several anchors
    [("https://example.com", "https://exämple.com/ü")],
    [("é", "e")],  # a short search: no anchor of its own
]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    pairs=st.sampled_from(_PAIR_SETS),
    values=st.lists(_values(), min_size=1, max_size=6),
    json_forms=st.booleans(),
)
def test_generated_nested_values_rewrite_the_same_on_both_engines(
    pairs: list[tuple[str, str]], values: list[bytes], json_forms: bool
) -> None:
    # Serialized values with JSON and serialized values in their strings, JSON documents
    # with serialized values in their literals, escapes in every style, broken lengths,
    # padding: the compiled per-value path takes most, hands the rest to the readers.
    encodings = ("raw", "json", "block", "url") if json_forms else ("raw", "url")
    _both(values, pairs, encodings=encodings)
    _both(values, pairs, encodings=encodings, repair=True)


def test_the_compiled_rewrite_is_the_rewriters_method() -> None:
    native = Rewriter(PAIRS, engine="native")
    assert type(native.rewrite).__name__ == "builtin_function_or_method"
    assert "rewrite" not in vars(Rewriter(PAIRS, engine="pure"))
    assert "rewrite" not in vars(Rewriter(PAIRS, engine="native", base64=True))


def test_the_compiled_rewrite_takes_any_bytes_like_value_and_keywords() -> None:
    value = b'a:1:{i:0;s:19:"https://example.com";}'
    for engine in ("pure", "native"):
        rewriter = Rewriter(PAIRS, engine=engine)
        plain = b"no match here"
        assert rewriter.rewrite(plain) is plain
        assert rewriter.rewrite(value, where="t.c id=1") == value.replace(
            b'19:"https://example.com', b'27:"https://staging.example.com'
        )
        assert rewriter.rewrite(bytearray(value)) == rewriter.rewrite(value)
        with pytest.raises(TypeError):
            rewriter.rewrite(value, "where")  # type: ignore[misc]
        report = rewriter.report
        assert (report.values_seen, report.values_scanned, report.values_changed) == (4, 3, 3)


def test_a_rewriter_on_the_compiled_engine_pickles_and_is_collected() -> None:
    value = b's:19:"https://example.com";'
    rewriter = Rewriter(PAIRS, engine="native")
    copy = pickle.loads(pickle.dumps(rewriter))
    assert copy.rewrite(value) == b's:27:"https://staging.example.com";'
    assert copy.report.values_changed == 1 and rewriter.report.values_changed == 0
    # The compiled method refers back to the Rewriter: the cycle is collected.
    gone = weakref.ref(rewriter)
    del rewriter, copy
    gc.collect()
    assert gone() is None
