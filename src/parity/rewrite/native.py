"""Which rewrite engine runs: the compiled one (``parity.rewrite._native``) or pure Python.

The compiled extension is built by ``scripts/bootstrap`` (``scripts/build_native.py``)
from ``_native.c``. It implements the hot paths (the serialized scanner with its
validation, used for every value that holds a possible occurrence, and the whole
per-value rewrite of the common shapes, :func:`value_engine_for`) with exactly the pure
engine's results; the pure-Python engine stays the reference, and
a differential test requires byte-identical output from both. When the extension is not
built, everything works on the pure engine; ``parity doctor`` says which one is active.

``PARITY_REWRITE_ENGINE=pure`` (or ``native``) chooses the default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from parity.errors import MalformedPhpValue
from parity.rewrite import serialized
from parity.rewrite.matcher import Matcher
from parity.rewrite.report import RewriteReport

__all__ = [
    "ENGINES",
    "JsonDocument",
    "QuickSerialized",
    "available",
    "default_engine",
    "describe",
    "json_document_for",
    "parser_for",
    "quick_for",
    "value_engine_for",
]

#: Engine names a Rewriter accepts.
ENGINES = ("native", "pure")

Parse = Callable[..., list[serialized.Site]]
#: (data, start, end, anchors, needles, replacements, kept) -> None | (data, counts)
QuickSerialized = Callable[
    [bytes, int, int, tuple[bytes, ...], tuple[bytes, ...], tuple[bytes, ...], tuple[bool, ...]],
    tuple[bytes, list[int]] | None,
]


#: (data, needles, replacements, kept) -> None | (data, counts)
JsonDocument = Callable[
    [bytes, tuple[bytes, ...], tuple[bytes, ...], tuple[bool, ...]],
    tuple[bytes, list[int]] | None,
]


def _load() -> ModuleType | None:
    try:
        from parity.rewrite import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _native  # type: ignore[no-any-return]


_NATIVE = _load()


def available() -> bool:
    """True if the compiled extension is built and importable."""
    return _NATIVE is not None


def default_engine() -> str:
    """``native`` when it is built (unless ``PARITY_REWRITE_ENGINE=pure``), else ``pure``."""
    wanted = os.environ.get("PARITY_REWRITE_ENGINE", "").strip().lower()
    if wanted == "pure" or _NATIVE is None:
        return "pure"
    return "native"


def describe() -> str:
    """One line for ``parity doctor``: which engine rewrites, and why."""
    engine = default_engine()
    if engine == "native":
        return "native (compiled extension parity.rewrite._native)"
    if _NATIVE is None:
        return "pure Python (compiled extension not built: run scripts/bootstrap)"
    return "pure Python (PARITY_REWRITE_ENGINE=pure)"


def _native_parse(
    data: bytes, start: int = 0, end: int | None = None, marks: list[int] | None = None
) -> list[serialized.Site]:
    assert _NATIVE is not None
    try:
        sites: list[serialized.Site] = _NATIVE.parse(data, start, len(data) if end is None else end)
    except _NATIVE.Malformed as error:
        reason, offset = error.args
        raise MalformedPhpValue(reason, offset) from None
    return sites


def parser_for(engine: str) -> Parse:
    """The serialized scanner of ``engine`` (same contract as :func:`serialized.parse`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown rewrite engine {engine!r}; known: {', '.join(ENGINES)}")
    if engine == "pure":
        return serialized.parse
    if _NATIVE is None:
        raise ValueError("the native rewrite engine is not built: run scripts/bootstrap")
    return _native_parse


def quick_for(engine: str) -> QuickSerialized | None:
    """The compiled direct path for a serialized value, or None on the pure engine.

    It does what the pure engine's ``_Pass.quick`` does for a serialized value (scan,
    find the string tokens holding an anchor, replace in them, fix their lengths) and
    declines (None) in the same cases, for the Python readers to take over.
    """
    if engine != "native" or _NATIVE is None:
        return None
    quick: QuickSerialized = _NATIVE.quick_serialized
    return quick


def json_document_for(engine: str) -> JsonDocument | None:
    """The compiled one-pass rewrite of a JSON document, or None on the pure engine
    (see :meth:`parity.rewrite.matcher.Matcher.replace_json_document`)."""
    if engine != "native" or _NATIVE is None:
        return None
    document: JsonDocument = _NATIVE.json_document
    return document


#: rewrite(value, *, where=None) -> bytes
Rewrite = Callable[..., bytes]


def value_engine_for(
    engine: str,
    matcher: Matcher,
    report: RewriteReport,
    fallback: Callable[[bytes, str | None], bytes],
    full: Rewrite,
) -> Rewrite | None:
    """The whole per-value rewrite in C (``Rewriter.rewrite``), or None if it cannot run.

    It counts into ``report`` as the Python method does, returns a value without an anchor
    at once, and rewrites serialized values (with serialized values and JSON documents
    nested in their strings), JSON documents and plain text itself; any other value that
    holds an anchor goes to ``fallback(value, where)`` (the Python readers) before
    anything is counted, and anything but ``bytes`` to ``full``. None on the pure engine
    and when a needle holds no anchor (the compiled matcher finds needles by anchor).
    """
    holders = matcher.native_holders
    if engine != "native" or _NATIVE is None or holders is None:
        return None
    needles, replacements, kept = matcher.native_tables
    made: Any = _NATIVE.engine(
        matcher.anchors,
        needles,
        replacements,
        matcher.native_json_replacements,
        kept,
        holders[0],
        holders[1],
        matcher.native_hits,
        matcher.json_safe,
        matcher.json_forms,
        matcher.window,
        report,
        fallback,
        full,
    )
    rewrite: Rewrite = made.rewrite
    return rewrite
