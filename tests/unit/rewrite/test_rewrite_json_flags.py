"""JSON written with any of json_encode's flags is rewritten, on every path, as PHP would.

A JSON document without an escaped quote or backslash is rewritten in one pass over its
bytes (the fast path); any other is read literal by literal, each decoded (the
per-string path). Both must find every occurrence however ``json_encode`` escaped it
(``JSON_HEX_TAG``, ``JSON_HEX_AMP``, ``JSON_HEX_APOS``, ``JSON_HEX_QUOT``, with or without
``JSON_UNESCAPED_SLASHES`` / ``JSON_UNESCAPED_UNICODE``, and upper-case hex as other
writers use), give the same bytes, and agree with PHP: ``json_decode`` of the result is
the original with every string replaced, at the top level and inside serialized values.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from php_oracle import JSON, A, Node, Php, S

from parity.rewrite import Rewriter, rewrite

HEX_TAG, HEX_AMP, HEX_APOS, HEX_QUOT = 1, 2, 4, 8
UNESCAPED_SLASHES, UNESCAPED_UNICODE = 64, 256
FLAG_BITS = (HEX_TAG, HEX_AMP, HEX_APOS, HEX_QUOT, UNESCAPED_SLASHES, UNESCAPED_UNICODE)
#: Every combination of the flags that change how a string is escaped (64).
ALL_FLAGS = [sum(bit for i, bit in enumerate(FLAG_BITS) if combo >> i & 1) for combo in range(64)]
# No "x", "y" or backslash: the tails below stay apart from every search string.
ALPHABET = "ab/&<>'\"é€😀 -."
FAST_TAIL, SLOW_TAIL = "xy", "x\\y"  # "x\\y" is written "x\\\\y": an escaped backslash
_HEX = re.compile(rb"(\\\\)|\\u([0-9a-f]{4})")


def upper_hex(data: bytes) -> bytes:
    """``data`` with the hex digits of every ``\\u`` escape in upper case."""
    return _HEX.sub(lambda m: m.group(1) or b"\\u" + m.group(2).upper(), data)


def _document(strings: list[str], key: str, tail: str) -> Node:
    items: list[tuple[str | int, Node]] = [(0, A([(key, S(strings[0]))]))]
    items += [(i, S(text)) for i, text in enumerate(strings[1:], start=1)]
    items.append((len(strings), S(tail)))
    return A(items)


def _json_of(serialized_string: bytes) -> bytes:
    """The JSON text inside ``s:N:"...";`` as PHP's build() wrote it."""
    return serialized_string[serialized_string.index(b'"') + 1 : -2]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[str], str]:
    searches = draw(
        st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=2, unique=True)
    )
    pairs = [(search, draw(st.text(ALPHABET + "z", max_size=6))) for search in searches]
    piece = st.one_of(st.sampled_from(searches), st.text(ALPHABET, max_size=4))
    text = st.lists(piece, min_size=1, max_size=5).map(lambda parts: "".join(parts) + "z")
    strings = draw(st.lists(text, min_size=1, max_size=4))
    return pairs, strings, draw(text)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_json_under_every_flag_combination_is_rewritten_like_php_on_every_path(
    php: Php, case: tuple[list[tuple[str, str]], list[str], str]
) -> None:
    pairs, strings, key = case
    nodes: list[Node] = []
    for flags in ALL_FLAGS:
        for tail in (FAST_TAIL, SLOW_TAIL):
            document = _document(strings, key, tail)
            nodes += [JSON(document, flags), A([("json", JSON(document, flags))])]
    built = php.build(nodes)  # one PHP call for all 256 values
    documents: list[bytes] = []
    serialized: list[bytes] = []
    for i in range(0, len(built), 2):
        for upper in (False, True):
            fix = upper_hex if upper else bytes
            documents.append(fix(_json_of(built[i])))
            serialized.append(fix(built[i + 1]))
    rewriter = Rewriter(pairs)
    ours_json = [rewriter.rewrite(value) for value in documents]
    ours_ser = [rewriter.rewrite(value) for value in serialized]
    assert rewriter.report.malformed_count == 0

    verdicts = php.check_json(list(zip(documents, ours_json, strict=True)), pairs)
    for orig, ours, verdict in zip(documents, ours_json, verdicts, strict=True):
        assert verdict == {"decodes": True, "equal": True}, f"{orig!r} -> {ours!r}"
    php.assert_rewrites_like_php(list(zip(serialized, ours_ser, strict=True)), pairs)

    # Documents come in (fast tail, slow tail) pairs of each flag combination and hex
    # case: the per-string path must give the fast path's bytes, tail aside.
    fast_tail, slow_tail = b'"xy"]', b'"x\\\\y"]'
    for index in range(0, len(documents), 4):
        for upper in (0, 1):
            fast, slow = ours_json[index + upper], ours_json[index + 2 + upper]
            assert fast.endswith(fast_tail) and slow.endswith(slow_tail)
            assert fast[: -len(fast_tail)] == slow[: -len(slow_tail)], (fast, slow)


PAIR = [("https://example.com/?a=1&b=<2>", "https://new.example.com/?a=1&b=<3>")]


def test_hex_escaped_json_without_escaped_quotes_is_rewritten_in_its_own_style() -> None:
    hexed = b'{"u":"https:\\/\\/example.com\\/?a=1\\u0026b=\\u003C2\\u003E"}'
    rewriter = Rewriter(PAIR)
    assert rewriter.rewrite(hexed) == (
        b'{"u":"https:\\/\\/new.example.com\\/?a=1\\u0026b=\\u003C3\\u003E"}'
    )
    assert rewriter.report.occurrences == 1


def test_the_same_document_with_an_escaped_quote_elsewhere_gives_the_same_bytes() -> None:
    fast = b'{"u":"https:\\/\\/example.com\\/?a=1\\u0026b=\\u003C2\\u003E","q":"x"}'
    slow = fast.replace(b'"x"', b'"\\"x\\""')
    assert rewrite(slow, PAIR) == rewrite(fast, PAIR).replace(b'"x"', b'"\\"x\\""')


def test_upper_case_hex_is_found_and_kept() -> None:
    value = b'{"name":"caf\\u00E9 cr\\u00E8me"}'
    assert rewrite(value, [("café", "thé")]) == b'{"name":"th\\u00E9 cr\\u00E8me"}'


def test_hex_escaped_json_inside_a_serialized_value_gets_its_length_fixed(php: Php) -> None:
    document = JSON(A([("u", S(PAIR[0][0])), ("t", S("<é>"))]), HEX_TAG | HEX_AMP)
    original = php.build([A([("json", document)])])[0]
    assert b"\\u0026" in original and b"\\u003C" in original
    ours = Rewriter(PAIR).rewrite(original)
    assert b"new.example.com" in ours
    php.assert_rewrites_like_php([(original, ours)], PAIR)


def test_every_literal_holding_an_escaped_quote_is_found_when_the_search_is_a_quote() -> None:
    # An anchor starting at the quote of a \" must not throw off the literal count.
    value = b'[{"\\"z":"\\"z"},"\\"z"]'
    assert rewrite(value, [('"', "")]) == b'[{"z":"z"},"z"]'
