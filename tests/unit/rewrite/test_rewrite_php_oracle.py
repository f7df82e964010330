"""Rewritten values are what PHP gets by unserialize -> replace everywhere -> serialize."""

from __future__ import annotations

from php_oracle import (
    BOX,
    JSON,
    NULL,
    REF,
    SAME,
    SER,
    A,
    B,
    F,
    I,
    O,
    Php,
    S,
)

from parity.rewrite import Rewriter

PAIRS = [
    ("https://example.com", "https://staging.example.com"),
    ("example.com", "staging.example.com"),
    ("/var/www/prod", "/srv/staging"),
]
URL = "https://example.com"


def _rewrite_all(values: list[bytes], pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    rewriter = Rewriter(pairs)
    return [(value, rewriter.rewrite(value)) for value in values]


def test_plain_arrays_match_php_byte_for_byte(php: Php) -> None:
    nodes = [
        A([("home", S(URL)), ("path", S("/var/www/prod/wp-content")), ("n", I(3))]),
        A([(0, S(f"see {URL}/a and {URL}/b")), (1, A([("deep", A([("x", S(URL))]))]))]),
        A([(f"{URL}/key", S("value")), ("f", F("0.1")), ("t", B(True)), ("z", NULL)]),
        A([("é€😀", S(f"é {URL}/é € 😀")), ("empty", S(""))]),
        S(URL),
        A([]),
    ]
    originals = php.build(nodes)
    cases = _rewrite_all(originals, PAIRS)
    assert all(ours != orig for orig, ours in cases[:5])
    php.assert_rewrites_like_php(cases, PAIRS, exact=True)


def test_objects_with_private_and_protected_properties_match_php(php: Php) -> None:
    widget = O(
        "My_Widget",
        [
            ("url", "public", S(URL)),
            ("home", "protected", S(f"{URL}/home")),
            ("secret", "private", S(f"{URL}/secret")),
            ("count", "public", I(2)),
        ],
    )
    nodes = [
        widget,
        A([("widgets", A([(0, widget), (1, widget)]))]),
        O("Ns\\Settings", [("nested", "public", O("Inner", [("u", "private", S(URL))]))]),
    ]
    originals = php.build(nodes)
    cases = _rewrite_all(originals, PAIRS)
    assert all(b"staging.example.com" in ours for _orig, ours in cases)
    assert all(b"\0My_Widget\0secret" in ours for _orig, ours in cases[:2])
    php.assert_rewrites_like_php(cases, PAIRS)


def test_references_and_object_handles_are_kept(php: Php) -> None:
    obj = O("Post", [("guid", "public", S(URL))])
    nodes = [REF(S(URL)), SAME(obj), A([("a", REF(A([("u", S(URL))]))), ("b", SAME(obj))])]
    originals = php.build(nodes)
    assert b"R:2;" in originals[0] and b"r:2;" in originals[1]
    cases = _rewrite_all(originals, PAIRS)
    assert b"R:2;" in cases[0][1] and b"r:2;" in cases[1][1]
    php.assert_rewrites_like_php(cases, PAIRS)


def test_floats_keep_their_exact_bytes(php: Php) -> None:
    nodes = [A([("a", F("0.1")), ("b", F("1e100")), ("c", F("-0.0")), ("u", S(URL))])]
    original = php.build(nodes)[0]
    ours = Rewriter(PAIRS).rewrite(original)
    assert b"d:0.1;" in ours and b"d:1.0E+100;" in ours and b"d:-0;" in ours
    php.assert_rewrites_like_php([(original, ours)], PAIRS, exact=True)


def test_double_serialized_strings_are_rewritten_at_every_level(php: Php) -> None:
    inner = A([("url", S(URL)), ("n", I(1))])
    nodes = [
        A([("option", SER(inner))]),
        SER(SER(inner)),
        A([("twice", SER(A([("again", SER(A([("u", S(URL))])))])))]),
    ]
    originals = php.build(nodes)
    cases = _rewrite_all(originals, PAIRS)
    assert all(ours.count(b"staging.example.com") >= 1 for _orig, ours in cases)
    php.assert_rewrites_like_php(cases, PAIRS)


def test_json_inside_serialized_strings_is_rewritten_in_its_own_escaping(php: Php) -> None:
    data = A([("url", S(f"{URL}/é")), ("list", A([(0, S(URL))]))])
    nodes = [
        A([("json", JSON(data))]),  # PHP default: \/ and \u00e9
        A([("json", JSON(data, 320))]),  # unescaped slashes and unicode
        A([("json", JSON(A([("ser", SER(A([("u", S(URL))])))])))]),  # serialized inside JSON
    ]
    originals = php.build(nodes)
    cases = _rewrite_all(originals, PAIRS)
    assert b"https:\\/\\/staging.example.com\\/\\u00e9" in cases[0][1]
    assert b"https://staging.example.com/\xc3\xa9" in cases[1][1]
    php.assert_rewrites_like_php(cases, PAIRS)


def test_custom_serializable_payloads_are_rewritten_and_their_length_fixed(php: Php) -> None:
    nodes = [BOX(A([("u", S(URL))])), A([("box", BOX(A([("deep", BOX(S(URL)))])))])]
    originals = php.build(nodes)
    assert all(orig.count(b"C:4:") >= 1 for orig in originals)
    cases = _rewrite_all(originals, PAIRS)
    php.assert_rewrites_like_php(cases, PAIRS)


def test_values_without_a_match_come_back_as_the_same_object(php: Php) -> None:
    originals = php.build([A([("a", S("nothing here")), ("f", F("0.1"))])])
    rewriter = Rewriter(PAIRS)
    assert rewriter.rewrite(originals[0]) is originals[0]
    assert rewriter.report.values_changed == 0


def test_the_oracle_rejects_a_naive_replace_that_breaks_lengths(php: Php) -> None:
    original = php.build([A([("u", S(URL))])])[0]
    naive = original.replace(b"example.com", b"staging.example.com")
    verdict = php.check([(original, naive)], PAIRS)[0]
    assert verdict["unserializes"] is False
