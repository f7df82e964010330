"""The compiled engine gives the pure engine's output, byte for byte, and the same report.

The pure-Python engine is the reference. Both run here on the property tests' generated
structures, on the benchmark corpora (mixed and match-dense), and on broken values (every
truncation and many byte flips of real serialized values), so that the compiled scanner
also refuses exactly what the pure one refuses, with the same reason and offset.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
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
