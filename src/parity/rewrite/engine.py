"""The rewriter: decide what a value is, rewrite inside it, keep every other byte.

A value is read as, in this order: PHP-serialized (its string tokens are rewritten and
their lengths fixed), JSON (its string literals are rewritten), base64 of serialized data
(only if asked), or plain text. A string found inside any of those is read the same way,
so serialized data inside a serialized string, JSON inside a serialized string and
serialized data inside a JSON string are all rewritten with correct lengths.

Nesting is handled by a trampoline: each reader is a generator that yields the inner
strings it needs rewritten and receives the results, so no Python recursion is used,
whatever the depth. The common shapes (plain text, a serialized value whose matching
strings are plain text, a JSON document without escaped quotes) take a direct path
first, with the same result.
"""

from __future__ import annotations

import base64 as b64
import json
import re
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Sequence
from types import MethodType
from typing import NamedTuple

from parity.errors import MalformedPhpValue
from parity.rewrite import serialized
from parity.rewrite.encodings import ENCODINGS, json_literal_like
from parity.rewrite.matcher import Matcher
from parity.rewrite.native import (
    JsonDocument,
    QuickSerialized,
    default_engine,
    json_document_for,
    parser_for,
    quick_for,
    value_engine_for,
)
from parity.rewrite.pairs import validate_pairs
from parity.rewrite.report import DEFAULT_CAP, RewriteReport
from parity.rewrite.report import Malformed as MalformedEntry
from parity.wordpress.phpvalue import looks_serialized

__all__ = ["Rewriter", "rewrite"]


class _Request(NamedTuple):
    data: bytes
    payload: bool  # the content of a C: token: several values may follow each other
    layer: str  # "" or "base64/" for values found inside base64


_Reader = Generator[_Request, bytes, bytes]
Parse = Callable[..., list[serialized.Site]]

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_JSON_SPECIAL = re.compile(rb'["\\\x00-\x1f\x80-\xff]')
_BLOCK_ESCAPES = re.compile(rb"\\u00(?:26|3[ce]|22|2d)")
_SERIALIZED_INSIDE = re.compile(rb'[sSaOC]:\d+:["{]')
_WHITESPACE = b" \t\n\r"
# First bytes of anything but plain text: serialized values, JSON, and the whitespace
# that may come before either.
_STRUCTURE_STARTS = frozenset(bytes([c]) for c in b"NbidsSaOCE{[ \t\n\r\0\x0b")
# The start of a string literal's inside that a nested reader would decode: serialized
# data or JSON, after optional whitespace (raw or escaped).
_NESTED_START = re.compile(rb"(?:\s|\\[nrt]|\\u000b|\\u0000)*(?:[bid]:|N;|[sSOCE]:\d|a:\d|[\[{])")
_JSON_OR_SPACE = frozenset(bytes([c]) for c in b"{[ \t\n\r\0\x0b")
_SKIP_REASONS = {
    serialized.PROPERTY: "object property name",
    serialized.CLASS_NAME: "class name",
    serialized.ENUM: "enum name",
    serialized.ESCAPED: "S: escaped string",
}


def _looks_json(data: bytes) -> bool:
    stripped = data.strip(_WHITESPACE)
    return len(stripped) >= 2 and (
        (stripped[0] == 0x7B and stripped[-1] == 0x7D)  # { }
        or (stripped[0] == 0x5B and stripped[-1] == 0x5D)  # [ ]
    )


_DECODER = json.JSONDecoder()


def _is_json(data: bytes) -> bool:
    """True if ``data`` is one JSON document (surrounding whitespace allowed)."""
    try:
        text = data.decode()
        _value, end = _DECODER.raw_decode(text, len(text) - len(text.lstrip(" \t\n\r")))
    except (UnicodeDecodeError, ValueError):
        return False
    return not text[end:].strip(" \t\n\r")


def _literals_holding(data: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The (start, end) of the inside of each JSON string literal that holds a span.

    ``data`` is valid JSON. Without escaped backslashes, a quote is a literal's edge
    unless a backslash precedes it, so counting quotes (a C scan) tells whether a span
    is inside a literal; otherwise every literal is visited with a regex.
    """
    found: list[tuple[int, int]] = []
    if b"\\\\" in data:
        index = 0
        for match in _JSON_STRING.finditer(data):
            start, end = match.start() + 1, match.end() - 1
            hit = False
            while index < len(spans) and spans[index][0] < end:
                hit = hit or (spans[index][0] >= start and spans[index][1] <= end)
                index += 1
            if hit:
                found.append((start, end))
            if index == len(spans):
                break
        return found
    counted = 0  # quotes are counted up to here
    edges = 0  # unescaped quotes before ``counted``
    done = 0  # spans before here are inside a literal already found
    for span_start, span_end in spans:
        if span_start < done:
            continue
        # An escaped quote whose backslash is just before ``counted`` (a span that starts
        # at its quote) is counted as a quote from here on, so it is looked for from there.
        escaped = data.count(b'\\"', max(0, counted - 1), span_start)
        edges += data.count(b'"', counted, span_start) - escaped
        counted = span_start
        if edges % 2 == 0:
            continue  # between literals
        start = data.rfind(b'"', 0, span_start)
        while data[start - 1] == 0x5C:  # an escaped quote: keep looking left
            start = data.rfind(b'"', 0, start)
        end = data.find(b'"', span_start)
        while data[end - 1] == 0x5C:
            end = data.find(b'"', end + 1)
        if span_end <= end:
            found.append((start + 1, end))
        done = end
    return found


class _Pass:
    """The readers for one value, sharing its report and labels."""

    def __init__(
        self,
        matcher: Matcher,
        report: RewriteReport,
        where: str | None,
        *,
        repair: bool,
        base64: bool,
        parse: Parse,
        native_quick: QuickSerialized | None = None,
        native_json: JsonDocument | None = None,
    ) -> None:
        self.native_json = native_json
        self.parse = parse
        self.native_quick = None if base64 else native_quick
        self.matcher = matcher
        self.report = report
        self.where = where
        self.repair = repair
        self.base64 = base64

    def quick(self, data: bytes) -> bytes | None:
        """The common cases without the trampoline; None if :meth:`run` is needed.

        A serialized value whose touched strings are all plain text, or a plain text
        value. Nothing is counted before it is certain this path applies.
        """
        span = looks_serialized(data)
        if span is None:
            if self.is_plain(data):
                return self.read_text(data, in_json=False, layer="")
            if _looks_json(data) and (self.matcher.json_safe or _is_json(data)):
                # When no replacement needs JSON escaping, the one-pass rewrite gives
                # the same bytes whether or not the text is valid JSON, so the (costly)
                # validation is left to the slow path, when that pass declines.
                return self.read_json_document(data, "")
            return None
        if self.native_quick is not None:
            return self.quick_native(data, span, self.native_quick)
        spans = self.matcher.anchor_spans(data)
        try:
            sites = self.parse(data, *span, marks=[start for start, _end in spans])
        except MalformedPhpValue:
            return None
        touched = serialized.sites_touching(sites, spans)
        for kind, _digits, start, end in touched:
            if kind != serialized.VALUE and kind != serialized.KEY:
                return None
            if not self.is_plain(data[start:end]):
                return None
        replacements: list[tuple[serialized.Site, bytes]] = []
        for site in touched:
            content = data[site[2] : site[3]]
            new = self.read_text(content, in_json=False, layer="")
            if new is not content:
                replacements.append((site, new))
        return serialized.splice(data, replacements) if replacements else data

    def quick_native(
        self, data: bytes, span: tuple[int, int], quick: QuickSerialized
    ) -> bytes | None:
        """:meth:`quick` for a serialized value, by the compiled engine."""
        matcher = self.matcher
        needles, replacements, kept = matcher.native_tables
        done = quick(data, span[0], span[1], matcher.anchors, needles, replacements, kept)
        if done is None:
            return None
        new, counts = done
        if counts:
            totals = self.report.by_pair_encoding
            for hit, number in zip(matcher.native_hits, counts, strict=True):
                if number:
                    totals[hit] += number
        return new

    def run(self, data: bytes) -> bytes:
        """Drive the readers without recursion: a stack of suspended generators."""
        stack: list[_Reader] = []
        pending: _Reader | None = self.value(data, payload=False, layer="")
        answer = b""
        while True:
            try:
                if pending is not None:
                    stack.append(pending)
                    pending = None
                    request = next(stack[-1])
                else:
                    request = stack[-1].send(answer)
            except StopIteration as done:
                stack.pop()
                result: bytes = done.value
                if not stack:
                    return result
                answer = result
                continue
            pending = self.value(request.data, payload=request.payload, layer=request.layer)

    def value(self, data: bytes, *, payload: bool, layer: str) -> _Reader:
        """Read ``data`` as whatever it is and return it rewritten."""
        span = looks_serialized(data)
        if span is not None:
            spans = self.matcher.anchor_spans(data)
            try:
                sites = self.parse(data, *span, marks=[start for start, _end in spans])
            except MalformedPhpValue as error:
                if not payload:
                    return (yield from self.read_malformed(data, span, error, layer))
            else:
                return (yield from self.read_serialized(data, sites, layer, spans))
        if payload:
            try:
                sites = serialized.parse_sequence(data)
            except MalformedPhpValue:
                if _SERIALIZED_INSIDE.search(data):
                    self.skip("C: payload in an unknown format", data)
                    return data
            else:
                return (yield from self.read_serialized(data, sites, layer))
        if _looks_json(data) and _is_json(data):
            return (yield from self.read_json(data, layer))
        if self.base64 and len(data) >= 8 and _BASE64.fullmatch(data):
            decoded = b64.b64decode(data)
            inner = looks_serialized(decoded)
            if inner is not None:
                try:
                    sites = self.parse(decoded, *inner)
                except MalformedPhpValue:
                    pass
                else:
                    new = yield from self.read_serialized(decoded, sites, layer + "base64/")
                    return data if new is decoded else b64.b64encode(new)
        return self.read_text(data, in_json=False, layer=layer)

    def read_serialized(
        self,
        data: bytes,
        sites: list[serialized.Site],
        layer: str,
        spans: list[tuple[int, int]] | None = None,
    ) -> _Reader:
        """Rewrite the string tokens that hold an anchor; fix their lengths."""
        if spans is None:
            spans = self.matcher.anchor_spans(data)
        replacements: list[tuple[serialized.Site, bytes]] = []
        for site in serialized.sites_touching(sites, spans):
            kind, _digits, start, end = site
            content = data[start:end]
            if kind == serialized.VALUE or kind == serialized.KEY:
                if self.is_plain(content):  # most strings: no need for a nested reader
                    new = self.read_text(content, in_json=False, layer=layer)
                else:
                    new = yield _Request(content, False, layer)
                if new is not content and new != content:
                    replacements.append((site, new))
            elif kind == serialized.PAYLOAD:
                new = yield _Request(content, True, layer)
                if new is not content and new != content:
                    replacements.append((site, new))
            else:
                self.skip(_SKIP_REASONS[kind], content)
        if not replacements:
            return data
        return serialized.splice(data, replacements)

    def read_json(self, data: bytes, layer: str) -> _Reader:
        """Rewrite inside the string literals of a JSON document."""
        new = self.read_json_document(data, layer)
        if new is not None:
            return new
        spans = self.matcher.anchor_spans(data)
        out: list[bytes] = []
        last = 0
        for start, end in _literals_holding(data, spans):
            inner = data[start:end]
            new = yield from self.read_json_string(inner, layer)
            if new is not inner:
                out.append(data[last:start])
                out.append(new)
                last = end
        if not out:
            return data
        out.append(data[last:])
        return b"".join(out)

    def read_json_document(self, data: bytes, layer: str) -> bytes | None:
        """The JSON document rewritten in one pass, or None if it must be read literal by
        literal (it holds an escaped quote or backslash, a nested structure, or escapes
        near an anchor that the needles do not spell, such as ``JSON_HEX_TAG``'s)."""
        if self.base64 or data.find(b"\\\\") >= 0 or data.find(b'\\"') >= 0:
            return None
        if self.matcher.escapes_hide_occurrences(data):
            return None
        matcher = self.matcher
        if self.native_json is not None and not matcher.styled:
            needles, _text, kept = matcher.native_tables
            native = self.native_json(data, needles, matcher.native_json_replacements, kept)
            if native is None:
                return None
            totals = self.report.by_pair_encoding
            for (pair, name), number in zip(matcher.native_hits, native[1], strict=False):
                if number:
                    totals[(pair, layer + name)] += number
            return native[0]
        done = matcher.replace_json_document(data, _NESTED_START)
        if done is None:
            return None
        new, counts = done
        for (pair, name), number in counts.items():
            self.report.by_pair_encoding[(pair, layer + name)] += number
        return new

    def read_json_string(self, inner: bytes, layer: str) -> _Reader:
        """Rewrite the inside of one JSON string literal, escaped as it was."""
        if b"\\" not in inner and not (b":" in inner and (b"{" in inner or b";" in inner)):
            # Nothing escaped: the needles' raw and escaped forms match the bytes exactly.
            return self.read_text(inner, in_json=True, layer=layer)
        # Escapes: decode first, so that a needle never matches half an escape sequence
        # (a search "ac" inside "\u20ac"), then write back in the literal's own style.
        slashes_only = b"\\" not in inner.replace(b"\\/", b"")
        if slashes_only:  # the common case, json_encode() of a URL: no need to parse
            decoded = inner.replace(b"\\/", b"/")
        else:
            try:
                decoded = json.loads(b'"' + inner + b'"').encode()
            except (ValueError, UnicodeEncodeError):
                self.skip("JSON string that does not decode to UTF-8", inner)
                return inner
        if looks_serialized(decoded) is not None or _looks_json(decoded):
            new = yield _Request(decoded, False, layer)
        else:
            counts: Counter[tuple[int, str]] = Counter()
            new = self.matcher.replace(decoded, counts, in_json=False)
            for (pair, _name), number in counts.items():
                self.report.by_pair_encoding[(pair, layer + "json")] += number
        if new is decoded or new == decoded:
            return inner
        if slashes_only and _JSON_SPECIAL.search(new) is None:
            return new.replace(b"/", b"\\/") if b"\\/" in inner else new
        try:
            return json_literal_like(new.decode(), inner)
        except UnicodeDecodeError:
            self.skip("invalid UTF-8 inside a JSON string", inner)
            return inner

    def is_plain(self, data: bytes) -> bool:
        """True if :meth:`value` would read ``data`` as plain text."""
        first = data[:1]
        if first in _STRUCTURE_STARTS and (
            first in _JSON_OR_SPACE or looks_serialized(data) is not None
        ):
            return False
        return not (self.base64 and _BASE64.fullmatch(data))

    def read_text(self, data: bytes, *, in_json: bool, layer: str) -> bytes:
        """Plain text: replace every form of every pair in one pass."""
        if not layer:
            return self.matcher.replace(data, self.report.by_pair_encoding, in_json=in_json)
        counts: Counter[tuple[int, str]] = Counter()
        new = self.matcher.replace(data, counts, in_json=in_json)
        for (pair, name), number in counts.items():
            self.report.by_pair_encoding[(pair, layer + name)] += number
        return new

    def read_malformed(
        self, data: bytes, span: tuple[int, int], error: MalformedPhpValue, layer: str
    ) -> _Reader:
        """Leave a broken serialized value as it is, or repair it first if asked."""
        size = len(data)
        if self.repair:
            try:
                fixed = serialized.repair(data, *span)
                fixed_span = looks_serialized(fixed)
                if fixed_span is None:
                    raise MalformedPhpValue("repair gave an unreadable value", 0)
                sites = serialized.parse(fixed, *fixed_span)
            except MalformedPhpValue:
                pass
            else:
                entry = MalformedEntry(error.reason, error.offset, size, self.where, True)
                self.report.add_malformed(entry)
                return (yield from self.read_serialized(fixed, sites, layer))
        self.report.add_malformed(MalformedEntry(error.reason, error.offset, size, self.where))
        self.skip("malformed serialized value", data)
        return data

    def skip(self, reason: str, data: bytes) -> None:
        """Count occurrences in ``data`` that are deliberately left as they are."""
        self.report.add_skipped(reason, self.matcher.count(data), self.where)


class Rewriter:
    """Search-replace that is safe inside PHP-serialized data, JSON and nested encodings.

    Build it once per set of pairs (the needles of every encoding are compiled here),
    then call :meth:`rewrite` on each stored value. ``report`` keeps running totals.

    >>> rw = Rewriter([("https://example.com", "https://staging.example.com")])
    >>> rw.rewrite(b'a:1:{s:3:"url";s:19:"https://example.com";}')
    b'a:1:{s:3:"url";s:27:"https://staging.example.com";}'
    >>> rw.report.occurrences
    1

    ``encodings`` chooses among ``raw``, ``json``, ``block`` and ``url`` (all by default);
    ``repair`` recomputes the string lengths of malformed serialized values before
    rewriting them; ``base64`` also rewrites inside base64 of serialized data.
    ``engine`` is ``native`` (the compiled hot paths) or ``pure`` (the reference); by
    default the compiled one when it is built (see :mod:`parity.rewrite.native`). On the
    compiled engine :meth:`rewrite` is a C method of this instance that counts into the
    ``report`` made here (merge other reports into it rather than replacing it).
    """

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        encodings: Iterable[str] = ENCODINGS,
        repair: bool = False,
        base64: bool = False,
        cap: int = DEFAULT_CAP,
        engine: str | None = None,
    ) -> None:
        self.pairs = validate_pairs(pairs)
        self.engine = default_engine() if engine is None else engine
        self._parse = parser_for(self.engine)
        self._quick = quick_for(self.engine)
        self._json = json_document_for(self.engine)
        self.encodings = tuple(encodings)
        self.repair = repair
        self.base64 = base64
        self.cap = cap
        raw = [(search.encode(), replace.encode()) for search, replace in self.pairs]
        self.matcher = Matcher(raw, self.encodings, base64=base64)
        self._anchors = self.matcher.anchors
        self._single_anchor = self._anchors[0] if len(self._anchors) == 1 else None
        self.report = RewriteReport(self.pairs, cap=cap)
        self._install_compiled()

    def _install_compiled(self) -> None:
        """On the compiled engine, make :meth:`rewrite` the C one for this instance: one
        C call per value, which hands the values it does not take to the Python readers
        (:meth:`_rewrite_found`) with the same result."""
        if self.base64:  # base64 layers are read by the Python readers only
            return
        compiled = value_engine_for(
            self.engine,
            self.matcher,
            self.report,
            self._rewrite_found,
            MethodType(Rewriter.rewrite, self),
        )
        if compiled is not None:
            vars(self)["rewrite"] = compiled

    def __getstate__(self) -> dict[str, object]:
        state = dict(vars(self))
        state.pop("rewrite", None)  # the compiled method is rebuilt, not pickled
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        self._install_compiled()

    def rewrite(self, value: bytes, *, where: str | None = None) -> bytes:
        """``value`` with every occurrence replaced; the same object if none was found.

        ``where`` labels malformed values and skipped occurrences in the report (for
        example ``"wp_options.option_value option_id=12"``).
        """
        report = self.report
        report.values_seen += 1
        # bytes.find is the fastest memory scan CPython offers (faster than "in").
        single = self._single_anchor
        if single is not None:
            if value.find(single) < 0:
                return value
        else:
            for anchor in self._anchors:
                if value.find(anchor) >= 0:
                    break
            else:
                return value
        return self._rewrite_found(value, where)

    def _rewrite_found(self, value: bytes, where: str | None) -> bytes:
        """:meth:`rewrite` of a value that holds an anchor."""
        report = self.report
        report.values_scanned += 1
        passes = _Pass(
            self.matcher,
            report,
            where,
            repair=self.repair,
            base64=self.base64,
            parse=self._parse,
            native_quick=self._quick,
            native_json=self._json,
        )
        data = bytes(value)
        result = passes.quick(data)
        if result is None:
            result = passes.run(data)
        if result is value or result == value:
            return value
        report.values_changed += 1
        return result

    def count(self, value: bytes, *, where: str | None = None) -> RewriteReport:
        """A dry run on one value: what :meth:`rewrite` would do, as a fresh report.

        The running ``report`` is not touched; merge the result into any report with
        :meth:`RewriteReport.merge`.
        """
        report = RewriteReport(self.pairs, cap=self.cap)
        report.values_seen = 1
        if not self.matcher.has_anchor(value):
            return report
        report.values_scanned = 1
        passes = _Pass(
            self.matcher,
            report,
            where,
            repair=self.repair,
            base64=self.base64,
            parse=self._parse,
            native_quick=self._quick,
            native_json=self._json,
        )
        result = passes.run(bytes(value))
        if result != value:
            report.values_changed = 1
        return report


def rewrite(value: bytes, pairs: Sequence[tuple[str, str]]) -> bytes:
    """``value`` with every pair replaced, in every encoding, lengths fixed.

    A convenience for one value; build a :class:`Rewriter` to rewrite many.

    >>> rewrite(b's:11:"example.com";', [("example.com", "example.org")])
    b's:11:"example.org";'
    """
    return Rewriter(pairs).rewrite(value)
