"""A replacement that contains its search text: a second pass changes nothing more."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.rewrite import Rewriter, rerun_warnings, rewrite
from parity.rewrite.matcher import Matcher

OLD, NEW = "http://a.test", "http://a.test/sub"
PAIRS = [(OLD, NEW)]


def _ser(text: str) -> bytes:
    return f's:{len(text.encode())}:"{text}";'.encode()


def test_a_second_pass_changes_nothing_in_any_encoding() -> None:
    values = [
        f"see {OLD}/x and {OLD}".encode(),
        _ser(f"{OLD}/page/"),
        json.dumps({"u": OLD + "/x"}).replace("/", "\\/").encode(),
        b'<!-- wp:image {"url":"' + OLD.encode() + b'/a.jpg"} /-->',
        b"https%3A%2F%2Fshare%2F%3Fu%3Dhttp%3A%2F%2Fa.test%2Fx",
        b"https%3a%2f%2fshare%2f%3fu%3dhttp%3a%2f%2fa.test%2fx",
    ]
    for value in values:
        once = rewrite(value, PAIRS)
        assert once != value
        assert rewrite(once, PAIRS) == once, value


def test_new_already_written_is_kept_and_not_counted() -> None:
    rewriter = Rewriter(PAIRS)
    value = _ser(f"{NEW}/a {OLD}/b")
    assert rewriter.rewrite(value) == _ser(f"{NEW}/a {NEW}/b")
    assert rewriter.report.occurrences == 1
    assert rewriter.report.by_pair == {PAIRS[0]: 1}


def test_pairs_whose_new_does_not_contain_old_compile_exactly_as_before() -> None:
    matcher = Matcher([(b"https://example.com", b"https://staging.example.org")])
    assert matcher.kept == ()
    assert all(hit.pair == 0 for hit in matcher.table.values())


def test_kept_forms_stand_for_themselves() -> None:
    matcher = Matcher([(OLD.encode(), NEW.encode())])
    assert NEW.encode() in matcher.kept
    assert b"http:\\/\\/a.test\\/sub" in matcher.kept
    assert all(matcher.table[form].replace == form for form in matcher.kept)
    assert matcher.count(f"{NEW} {OLD}".encode()) == 1


def test_the_warning_names_each_pair_whose_new_contains_old() -> None:
    warnings = rerun_warnings([(OLD, NEW), ("http://x.test", "https://y.test")])
    assert len(warnings) == 1
    assert repr(NEW) in warnings[0] and "changes nothing more" in warnings[0]


PIECES = st.sampled_from([OLD, NEW, "/", "x", " ", "a.test", "http://", '"', "sub"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(PIECES, max_size=12), suffix=st.sampled_from(["/sub", "/sub/", "/a.test"]))
def test_rewriting_twice_equals_rewriting_once(parts: list[str], suffix: str) -> None:
    pairs = [(OLD, OLD + suffix)]
    text = "".join(parts).encode()
    for value in (text, _ser(text.decode()), json.dumps({"k": text.decode()}).encode()):
        once = rewrite(value, pairs)
        assert rewrite(once, pairs) == once
