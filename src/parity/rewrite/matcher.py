"""Find and replace every form of several pairs in one left-to-right pass.

At each position the longest needle wins, and the scan resumes after the replaced bytes,
so a replacement is never matched again within one pass.

When a replacement contains its own search text (``http://a.test`` ->
``http://a.test/sub``), every form of the replacement is also a needle that stands for
itself: where the replacement is already written, the scan passes over it unchanged (and
counts nothing), so a second pass over a rewritten value changes nothing more. This is
``strtr`` with ``NEW => NEW`` added to the pairs. Pairs whose replacement does not
contain their search text compile exactly as before: no extra needle, the same output.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from parity.rewrite.encodings import (
    ENCODINGS,
    Form,
    anchor_of,
    forms_of,
    json_literal_like,
    json_variants,
)

__all__ = ["Hit", "Matcher"]

# Anchors shorter than this select too much to be useful for the fast path; the needles
# themselves are scanned for instead.
_MIN_ANCHOR = 4
_ESCAPABLE = re.compile(rb'[\\"\x00-\x1f]')
# In JSON without escaped backslashes: an escape other than the ones json_encode writes
# by default (\/ and lower-case \u of non-ASCII); any escape; a slash not escaped.
_ODD_ESCAPE = re.compile(
    rb"\\(?!/|u(?:00[89a-f][0-9a-f]|0[1-9a-f][0-9a-f]{2}|[1-9a-f][0-9a-f]{3}))"
)
_ANY_ESCAPE = re.compile(rb"\\")
_BARE_SLASH = re.compile(rb"(?<!\\)/")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Replacement text whose JSON escaping depends on the literal it lands in (json_encode's
# flags), whatever form the needle was found in.
_STYLED = re.compile(rb"[<>&'\"\\\x00-\x1f]|--")


@dataclass(frozen=True, slots=True)
class Hit:
    """What one needle stands for: which pair, in which encoding, written back how."""

    pair: int  # -1 for a replacement that is kept as it is (see the module docstring)
    encoding: str
    replace: bytes
    replace_in_json: bytes


def _base64_anchors(anchor: bytes) -> list[bytes]:
    """The base64 text that ``anchor`` produces at each of the three byte alignments."""
    import base64

    found: list[bytes] = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + anchor)
        first = -(-8 * shift // 6)  # the first base64 digit made only of anchor bits
        last = (8 * (shift + len(anchor))) // 6  # one past the last such digit
        if last - first >= 3:
            found.append(encoded[first:last])
    return found


def _anchors_of(search: bytes, forms: list[bytes]) -> set[bytes]:
    """Substrings of which at least one is in every occurrence of ``search``, in any form.

    Best is a run of ``search`` that reads the same in every form and nesting. Without
    one, each form contributes its own longest such run (``ud83d`` of ``\\ud83d``, which
    survives JSON inside JSON), or the whole form if that run is too short.
    """
    anchor = anchor_of(search)
    if len(anchor) >= min(_MIN_ANCHOR, len(search)):
        return {anchor}
    found: set[bytes] = set()
    # JSON string literals are decoded before they are matched, so an occurrence written
    # with any of json_encode's flags (or upper-case hex) must hold an anchor too.
    variants = {variant.encode() for variant in json_variants(search.decode())}
    for form in [*forms, *sorted(variants - set(forms))]:
        run = anchor_of(form)
        if len(run) < min(_MIN_ANCHOR, len(form)):
            # JSON inside JSON doubles backslashes and escapes quotes: only the pieces
            # between them are certain to be there as they are.
            pieces = _ESCAPABLE.split(form)
            run = max(pieces, key=len) or form
        found.add(run)
    return found


def _minimal(anchors: set[bytes]) -> tuple[bytes, ...]:
    """Drop anchors that contain another: finding the shorter one is enough."""
    ordered = sorted(anchors, key=len)
    kept: list[bytes] = []
    for anchor in ordered:
        if not any(small in anchor for small in kept):
            kept.append(anchor)
    return tuple(kept)


class Matcher:
    """All forms of all pairs, compiled once, with the anchors that gate the fast path."""

    def __init__(
        self,
        pairs: Sequence[tuple[bytes, bytes]],
        encodings: Sequence[str] = ENCODINGS,
        *,
        base64: bool = False,
    ) -> None:
        self.table: dict[bytes, Hit] = {}
        self._styled: dict[bytes, bytes] = {}
        # An occurrence written with JSON escapes takes at most 6 bytes per byte of its
        # search text (\u0026 for &): how far from an anchor its escapes can be.
        self.window = 6 * max((len(search) for search, _replace in pairs), default=0)
        self.json_forms = "json" in encodings
        text_anchors: set[bytes] = set()
        for index, (search, replace) in enumerate(pairs):
            forms = forms_of(search.decode(), replace.decode(), tuple(encodings))
            for form in forms:
                if form.search not in self.table:
                    self.table[form.search] = Hit(
                        index, form.encoding, form.replace, form.replace_in_json
                    )
            text_anchors.update(_anchors_of(search, [form.search for form in forms]))
            self._note_styled(search, replace, forms)
        self.kept = self._keep_replacements(pairs, encodings)
        self.needles: tuple[bytes, ...] = tuple(sorted(self.table, key=len, reverse=True))
        self.anchors: tuple[bytes, ...] = _minimal(text_anchors)
        if base64:
            extra = {b64 for anchor in text_anchors for b64 in _base64_anchors(anchor)}
            self.base64_anchors: tuple[bytes, ...] = _minimal(extra)
            self.anchors = _minimal(set(self.anchors) | extra)
        else:
            self.base64_anchors = ()
        # For each text anchor, the needles holding it and where.
        holders: dict[bytes, list[tuple[bytes, int]]] = {}
        unanchored: list[bytes] = []
        for needle in self.needles:
            anchor = next((a for a in self.anchors if a in needle), None)
            if anchor is None:
                unanchored.append(needle)
            else:
                holders.setdefault(anchor, []).append((needle, needle.index(anchor)))
        self._holders = list(holders.items())
        self._unanchored = tuple(unanchored)
        #: For the compiled engine: per needle (longest first), the index in ``anchors``
        #: of the anchor it holds and where; None if some needle holds no anchor.
        self.native_holders: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        if not unanchored:
            where = {
                n: (self.anchors.index(a), at) for a, held in holders.items() for n, at in held
            }
            self.native_holders = (
                tuple(where[needle][0] for needle in self.needles),
                tuple(where[needle][1] for needle in self.needles),
            )
        self._pattern = re.compile(b"|".join(re.escape(needle) for needle in self.needles))
        self._replace_text = {n: hit.replace for n, hit in self.table.items()}
        self._replace_json = {n: hit.replace_in_json for n, hit in self.table.items()}
        # For the compiled engine: the needles (longest first), their replacements in
        # text, whether each is a replacement kept as it is, and what each one counts.
        self.native_tables = (
            self.needles,
            tuple(self._replace_text[needle] for needle in self.needles),
            tuple(self.table[needle].pair < 0 for needle in self.needles),
        )
        self.native_json_replacements = tuple(self._replace_json[needle] for needle in self.needles)
        self.native_hits = tuple(
            (self.table[needle].pair, self.table[needle].encoding) for needle in self.needles
        )
        #: True if every replacement reads the same inside any JSON string literal.
        self.json_safe = self._replace_json == self._replace_text and not self._styled

    def _note_styled(self, search: bytes, replace: bytes, forms: list[Form]) -> None:
        """Remember the needles whose replacement must be escaped in the style of the
        JSON literal it is written into, with the replacement's decoded text.

        Inside a JSON literal, a replacement is written as ``json_encode`` wrote the
        literal (see :func:`~parity.rewrite.encodings.json_literal_like`), so that the
        one-pass path and the literal-by-literal path give the same bytes. A needle
        already fixes how ``/`` and non-ASCII are written when its search text holds
        them; other escapes (``JSON_HEX_*``) can only be read from the literal.
        """
        styled = _STYLED.search(replace) is not None
        styled = styled or (b"/" in replace and b"/" not in search)
        styled = styled or (
            _NON_ASCII.search(replace) is not None and _NON_ASCII.search(search) is None
        )
        if not styled:
            return
        for form in forms:
            if self.table.get(form.search) is not None and form.encoding != "url":
                self._styled.setdefault(form.search, replace)

    @property
    def styled(self) -> bool:
        """True if some replacement must be escaped in the style of its JSON literal."""
        return bool(self._styled)

    def _in_literal(self, needle: bytes, literal: bytes, default: bytes) -> bytes:
        text = self._styled.get(needle)
        if text is None:
            return default
        return json_literal_like(text.decode(), literal)

    def _keep_replacements(
        self, pairs: Sequence[tuple[bytes, bytes]], encodings: Sequence[str]
    ) -> tuple[bytes, ...]:
        """Add, for each pair whose replacement contains its search text, every form of
        the replacement that holds one of the pair's needles, as a needle kept as it is."""
        kept: list[bytes] = []
        for index, (search, replace) in enumerate(pairs):
            if search not in replace:
                continue
            own = [n for n, hit in self.table.items() if hit.pair == index]
            new_forms = {f.search for f in forms_of(replace.decode(), "", tuple(encodings))}
            for hit in list(self.table.values()):
                if hit.pair == index:
                    new_forms.update((hit.replace, hit.replace_in_json))
            for form in sorted(new_forms):
                if form in self.table or not any(needle in form for needle in own):
                    continue
                self.table[form] = Hit(-1, "kept", form, form)
                kept.append(form)
        return tuple(kept)

    def has_anchor(self, data: bytes) -> bool:
        """True if ``data`` may hold an occurrence in some encoding (a memory scan)."""
        return any(data.find(anchor) >= 0 for anchor in self.anchors)

    def anchor_spans(
        self, data: bytes, start: int = 0, end: int | None = None
    ) -> list[tuple[int, int]]:
        """Sorted (start, end) offsets of every anchor occurrence in ``data``."""
        limit = len(data) if end is None else end
        spans: list[tuple[int, int]] = []
        for anchor in self.anchors:
            size = len(anchor)
            pos = data.find(anchor, start, limit)
            while pos != -1:
                spans.append((pos, pos + size))
                pos = data.find(anchor, pos + 1, limit)
        spans.sort()
        return spans

    def count(self, data: bytes) -> int:
        """How many occurrences (any pair, any form) ``data`` holds."""
        if self.kept:
            table = self.table
            return sum(1 for m in self._pattern.finditer(data) if table[m.group()].pair >= 0)
        return sum(1 for _ in self._pattern.finditer(data))

    def replace(self, data: bytes, counts: Counter[tuple[int, str]], *, in_json: bool) -> bytes:
        """``data`` with every occurrence replaced; ``data`` itself if none was found.

        ``counts`` gets one more per occurrence, keyed by (pair index, encoding).
        ``in_json`` says ``data`` is the inside of a JSON string literal, where a raw
        replacement must be JSON-escaped.
        """
        table = self._replace_json if in_json else self._replace_text
        # A memory scan per needle; most values hold one needle, replaced in C at once.
        present = [needle for needle in self.needles if data.find(needle) >= 0]
        if not present:
            return data
        if in_json and self._styled:
            table = dict(table)
            for needle in present:
                table[needle] = self._in_literal(needle, data, table[needle])
        if len(present) == 1:
            needle = present[0]
            hit = self.table[needle]
            counts[(hit.pair, hit.encoding)] += data.count(needle)
            return data.replace(needle, table[needle])
        found = self.occurrences(data)
        if not found:
            return data
        out: list[bytes] = []
        last = 0
        for start, needle in found:
            hit = self.table[needle]
            if hit.pair < 0:
                continue  # a replacement already written: kept as it is
            counts[(hit.pair, hit.encoding)] += 1
            out.append(data[last:start])
            out.append(table[needle])
            last = start + len(needle)
        if not out:
            return data
        out.append(data[last:])
        return b"".join(out)

    def occurrences(self, data: bytes) -> list[tuple[int, bytes]]:
        """(start, needle) of every occurrence the one-pass regex would replace, in order.

        Found from the anchors (a needle holds its anchor at a known offset), so only
        the few places where an anchor is are examined: leftmost first, longest at a
        position, never overlapping, exactly as the regex sub does.
        """
        if self._unanchored:
            return [(m.start(), m.group()) for m in self._pattern.finditer(data)]
        candidates: list[tuple[int, int, bytes]] = []
        for anchor, holders in self._holders:
            pos = data.find(anchor)
            while pos >= 0:
                for needle, offset in holders:
                    start = pos - offset
                    if start >= 0 and data.startswith(needle, start):
                        candidates.append((start, -len(needle), needle))
                pos = data.find(anchor, pos + 1)
        candidates.sort()
        chosen: list[tuple[int, bytes]] = []
        free = 0
        for start, _size, needle in candidates:
            if start >= free:
                chosen.append((start, needle))
                free = start + len(needle)
        return chosen

    def escapes_hide_occurrences(self, data: bytes) -> bool:
        """True if a JSON document without escaped quotes or backslashes may hold an
        occurrence that matching its bytes against the needles would miss.

        The needles hold each search string in the forms ``json_encode`` writes by
        default and with ``JSON_UNESCAPED_SLASHES`` / ``JSON_UNESCAPED_UNICODE``. Near
        each anchor (where every occurrence, in any form, must be), the bytes must be
        written in one of those forms: no escape but ``\\/`` and lower-case ``\\u`` of
        non-ASCII, and neither ``/`` nor non-ASCII both escaped and not. Otherwise
        (``JSON_HEX_*``, upper-case hex, a mixed style) the document must be read
        literal by literal, decoding each.
        """
        if data.find(b"\\") < 0:
            return False
        odd = _ODD_ESCAPE if self.json_forms else _ANY_ESCAPE
        if (
            odd.search(data) is None
            and (data.find(b"\\/") < 0 or _BARE_SLASH.search(data) is None)
            and (data.find(b"\\u") < 0 or _NON_ASCII.search(data) is None)
        ):
            return False
        window = self.window
        for start, end in self.anchor_spans(data):
            low, high = max(0, start - window), end + window
            if data.find(b"\\", low, high) < 0:
                continue
            if odd.search(data, low, high) is not None:
                return True
            if data.find(b"\\/", low, high) >= 0 and _BARE_SLASH.search(data, low, high):
                return True
            if data.find(b"\\u", low, high) >= 0 and _NON_ASCII.search(data, low, high):
                return True
        return False

    def replace_json_document(
        self, data: bytes, nested: re.Pattern[bytes]
    ) -> tuple[bytes, Counter[tuple[int, str]]] | None:
        """Replace in a whole JSON document in one pass, or None if that is not safe.

        The caller guarantees ``data`` is valid JSON with no escaped quote or backslash,
        so quotes are exactly the edges of string literals. Each match must then lie
        inside a literal that ``nested`` does not match at its start (a structure to be
        decoded), and begin and end on escape boundaries; if one does not, None is
        returned and the caller reads literal by literal.
        """
        table = self._replace_json
        counts: Counter[tuple[int, str]] = Counter()
        out: list[bytes] = []
        last = counted = quotes = 0
        for start, needle in self.occurrences(data):
            hit = self.table[needle]
            if hit.pair < 0:
                continue  # a replacement already written: kept as it is
            end = start + len(needle)
            quotes += data.count(b'"', counted, start)
            counted = start
            if (
                quotes % 2 == 0  # between literals
                or needle.find(b'"') >= 0
                or (start and data[start - 1] == 0x5C)  # starts inside an escape
                or data.rfind(b"\\u", max(0, start - 5), start) >= 0
                or needle[-1] == 0x5C  # ends inside an escape
                or data.rfind(b"\\u", max(0, end - 5), end) >= 0
                or nested.match(data, data.rfind(b'"', 0, start) + 1) is not None
            ):
                return None
            counts[(hit.pair, hit.encoding)] += 1
            out.append(data[last:start])
            if needle in self._styled:
                literal_end = data.find(b'"', end)
                literal = data[data.rfind(b'"', 0, start) + 1 : literal_end]
                out.append(self._in_literal(needle, literal, table[needle]))
            else:
                out.append(table[needle])
            last = end
        if not out:
            return data, counts
        out.append(data[last:])
        return b"".join(out), counts
