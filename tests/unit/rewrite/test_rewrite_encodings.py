"""Each encoding of a pair is found and written back in the same encoding."""

from __future__ import annotations

import base64

import pytest

from parity.rewrite import Rewriter, rewrite
from parity.rewrite.encodings import anchor_of, block_escape, forms_of, json_escape, url_encode

PAIR = [("https://exämple.com/a?b=1&c=<2>", "https://staging.exämple.com/a?b=1&c=<2>")]


def test_json_escape_writes_slashes_and_non_ascii_as_php_json_encode_does() -> None:
    assert json_escape("https://é/😀") == "https:\\/\\/\\u00e9\\/\\ud83d\\ude00"
    assert json_escape("a/é", slashes=False, unicode=False) == "a/é"


def test_block_escape_uses_the_wordpress_block_attribute_escapes() -> None:
    assert block_escape('a&b<c>"d"--e') == "a\\u0026b\\u003cc\\u003e\\u0022d\\u0022\\u002d\\u002de"


def test_url_encode_keeps_unreserved_bytes_in_either_hex_case() -> None:
    assert url_encode("https://a.b/é") == "https%3A%2F%2Fa.b%2F%C3%A9"
    assert url_encode("https://a.b/é", upper=False) == "https%3a%2f%2fa.b%2f%c3%a9"


def test_forms_of_an_ascii_host_collapse_into_one_raw_form() -> None:
    forms = forms_of("example.com", "example.org")
    assert [(f.encoding, f.search) for f in forms] == [("raw", b"example.com")]


def test_anchor_is_the_longest_run_that_reads_the_same_in_every_encoding() -> None:
    assert anchor_of(b"https://example.com/path") == b"example.com"
    assert anchor_of(b"a--very-long") == b"very-long"
    assert anchor_of(b"://") == b""


def test_raw_occurrences_are_replaced_in_plain_text() -> None:
    value = b"<a href='https://ex\xc3\xa4mple.com/a?b=1&c=<2>'>"
    assert rewrite(value, PAIR) == b"<a href='https://staging.ex\xc3\xa4mple.com/a?b=1&c=<2>'>"


@pytest.mark.parametrize(
    ("escape", "name"),
    [
        (lambda t: json_escape(t), "json"),
        (lambda t: json_escape(t, slashes=False), "json"),
        (lambda t: json_escape(t, unicode=False), "json"),
        (block_escape, "block"),
        (lambda t: url_encode(t, upper=True), "url"),
        (lambda t: url_encode(t, upper=False), "url"),
    ],
)
def test_each_encoded_form_is_replaced_by_the_replacement_in_the_same_form(
    escape: object, name: str
) -> None:
    search, replace = PAIR[0]
    encode = escape  # type: ignore[assignment]
    value = f"before {encode(search)} after".encode()  # type: ignore[operator]
    rewriter = Rewriter(PAIR)
    assert rewriter.rewrite(value) == f"before {encode(replace)} after".encode()  # type: ignore[operator]
    assert rewriter.report.by_encoding == {name: 1}


def test_a_disabled_encoding_is_not_replaced() -> None:
    value = b"https%3A%2F%2Fexample.com"
    assert Rewriter([("https://example.com", "x")], encodings=("raw",)).rewrite(value) is value


def test_unknown_encoding_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding"):
        Rewriter([("a", "b")], encodings=("rot13",))


def test_gutenberg_block_attributes_in_post_content_are_rewritten() -> None:
    post = (
        b'<!-- wp:image {"id":5,"url":"https://example.com/a.jpg?x=1\\u0026y=2"} -->\n'
        b'<figure><img src="https://example.com/a.jpg?x=1&amp;y=2"/></figure>\n'
        b"<!-- /wp:image -->"
    )
    out = rewrite(
        post, [("https://example.com/a.jpg?x=1&y=2", "https://cdn.example.com/a.jpg?x=1&y=2")]
    )
    assert b'"url":"https://cdn.example.com/a.jpg?x=1\\u0026y=2"' in out
    # "&amp;" is HTML, not one of the named encodings: left alone and left as it was.
    assert b'src="https://example.com/a.jpg?x=1&amp;y=2"' in out


def test_base64_of_serialized_data_is_rewritten_only_when_enabled() -> None:
    inner = b'a:1:{s:3:"url";s:19:"https://example.com";}'
    value = (
        b"s:" + str(len(base64.b64encode(inner))).encode() + b':"' + base64.b64encode(inner) + b'";'
    )
    pairs = [("https://example.com", "https://staging.example.com")]
    assert Rewriter(pairs).rewrite(value) is value
    rewriter = Rewriter(pairs, base64=True)
    out = rewriter.rewrite(value)
    payload = out[out.index(b'"') + 1 : -2]
    assert base64.b64decode(payload) == b'a:1:{s:3:"url";s:27:"https://staging.example.com";}'
    assert out.startswith(f"s:{len(payload)}:".encode())
    assert rewriter.report.by_encoding == {"base64/raw": 1}


def test_json_escaped_url_inside_a_json_document_keeps_the_documents_escaping() -> None:
    value = b'{"home":"https:\\/\\/example.com\\/\\u00e9","raw":"https://example.com"}'
    out = rewrite(value, [("https://example.com", "https://new.example.com")])
    assert (
        out == b'{"home":"https:\\/\\/new.example.com\\/\\u00e9","raw":"https://new.example.com"}'
    )


def test_a_raw_replacement_with_a_quote_is_escaped_inside_a_json_string() -> None:
    out = rewrite(b'{"a":"x example.com y"}', [("example.com", 'say "hi"')])
    assert out == b'{"a":"x say \\"hi\\" y"}'


def test_needles_never_match_half_of_a_json_escape_sequence() -> None:
    value = b'{"price":"\\u20ac 5 ac"}'
    assert rewrite(value, [("ac", "AC")]) == b'{"price":"\\u20ac 5 AC"}'


def test_json_structure_outside_string_literals_is_never_rewritten() -> None:
    value = b'{"a":null,"b":[true,1.5],"c":"null true 1.5"}'
    out = rewrite(value, [("null", "nil"), ("true", "yes"), ("1.5", "2.5")])
    assert out == b'{"a":null,"b":[true,1.5],"c":"nil yes 2.5"}'


def test_a_json_literal_holding_serialized_data_is_decoded_not_matched_as_text() -> None:
    value = b'{"x":"a:1:{i:0;i:1;}","y":"i:1"}'
    assert rewrite(value, [("i:1", "i:22")]) == b'{"x":"a:1:{i:0;i:1;}","y":"i:22"}'


def test_a_search_string_ending_in_an_escape_is_not_matched_half_way() -> None:
    value = b'{"a":"x\\u00e9y","b":"x"}'
    assert rewrite(value, [("x", "z")]) == b'{"a":"z\\u00e9y","b":"z"}'


def test_bracketed_text_that_is_not_json_is_rewritten_as_text() -> None:
    pairs = [("https://example.com", "https://staging.example.com")]
    inside = b'[gallery link="https://example.com/x"]'
    assert rewrite(inside, pairs) == b'[gallery link="https://staging.example.com/x"]'
    outside = b'[embed]https://example.com/v "x"[/embed]'
    assert rewrite(outside, pairs) == b'[embed]https://staging.example.com/v "x"[/embed]'


def test_a_replacement_needing_json_escapes_is_escaped_only_inside_real_json() -> None:
    pairs = [("example.com", 'a"b')]
    assert rewrite(b'{"u":"example.com"}', pairs) == b'{"u":"a\\"b"}'
    assert rewrite(b'[x u="example.com"]', pairs) == b'[x u="a"b"]'
