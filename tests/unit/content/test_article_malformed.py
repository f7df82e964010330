"""Malformed article files raise MalformedArticle naming the source, the line and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.content import parse_article, render_article
from parity.errors import InputError, MalformedArticle

SAMPLE_TEXT = (Path(__file__).with_name("data") / "alphanode-021452.txt").read_text("utf-8")
LINES = SAMPLE_TEXT.split("\n")


def replaced(number: int, new: str) -> str:
    lines = LINES.copy()
    lines[number - 1] = new
    return "\n".join(lines)


def deleted(*numbers: int) -> str:
    return "\n".join(line for n, line in enumerate(LINES, start=1) if n not in numbers)


def inserted_after(number: int, new: str) -> str:
    lines = LINES.copy()
    lines.insert(number, new)
    return "\n".join(lines)


def test_the_sample_lines_used_below_are_where_these_tests_expect() -> None:
    assert LINES[8 - 1] == "production checks"
    assert LINES[59 - 1] == "reading time7"
    assert LINES[84 - 1] == "    • name: python services"
    assert LINES[105 - 1] == "Similar Posts"


CASES = [
    ("empty file", "", 1, "an empty file"),
    ("byte order mark", "\ufeff" + SAMPLE_TEXT, 1, "byte order mark"),
    ("blank first line", "\n" + SAMPLE_TEXT, 1, "expected the title line"),
    ("crlf line endings", SAMPLE_TEXT.replace("\n", "\r\n"), 1, "carriage return"),
    ("trailing space", replaced(10, LINES[9] + " "), 10, "no whitespace at the end"),
    ("two blank lines", inserted_after(9, ""), 10, "a second blank line"),
    ("no blank after title", deleted(2), 2, "a blank line after the title"),
    ("heading glued to paragraph", deleted(9), 9, "a blank line (headings and paragraphs"),
    ("caption line without source", replaced(6, "just a caption"), 6, "image caption line"),
    ("indented paragraph", replaced(12, " " + LINES[11]), 12, "only list items are indented"),
    ("tab-indented item", replaced(27, "\t• test logged-in traffic"), 27, "a list item"),
    ("item with three spaces", replaced(28, "   • purge"), 28, "a list item"),
    ("space after a glued label", replaced(38, "topic keeping staging"), 38, "no space between"),
    ("list label with a value", replaced(46, "stacks"), 46, "'stack' alone on its line"),
    ("reading time in words", replaced(59, "reading timeseven"), 59, "a whole number"),
    ("leading zero", replaced(59, "reading time07"), 59, "a whole number"),
    ("thousands separator", replaced(60, "view count297,756"), 60, "a whole number"),
    ("renamed record key", replaced(63, "  • fresh: 50"), 63, "freshness"),
    ("score not a number", replaced(64, "  • depth: deep"), 64, "<whole number>"),
    ("impossible date", replaced(69, "  • last reviewed: 2022-02-30"), 69, "calendar date"),
    ("date in another form", replaced(69, "  • last reviewed: 2022/08/09"), 69, "YYYY-MM-DD"),
    ("missing field", deleted(70), 70, "'reference' with its value"),
    ("blank line inside the box", inserted_after(70, ""), 71, "inside the post meta box"),
    ("flag not 0 or 1", replaced(74, "  • has images: yes"), 74, "1 or 0"),
    ("records indented two", replaced(84, "  • name: python services"), 84, "'    • name: "),
    ("record cut short", deleted(89), 89, "'    • type: <text>'"),
    ("extra line after notes", inserted_after(103, "comments"), 104, "last field"),
    ("no blank before the end", deleted(104), 104, "a blank line before 'Similar Posts'"),
    ("truncated file", "\n".join(LINES[:103]), 103, "'Similar Posts' as the last line"),
    ("text after the end", SAMPLE_TEXT + "\nmore", 106, "nothing may follow"),
    ("blank lines at the end", SAMPLE_TEXT + "\n\n", 106, "blank line at the end"),
    ("no meta heading", deleted(36, 37), 36, "the post meta box"),
    ("only the last line", "Similar Posts", 1, "the post meta box"),
]


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_input_names_the_line_and_what_was_expected(
    text: str, line: int, phrase: str
) -> None:
    with pytest.raises(MalformedArticle) as caught:
        parse_article(text, source="article.txt")
    message = str(caught.value)
    assert message.startswith(f"article.txt line {line}: expected "), message
    assert phrase in message
    assert "; fix: " in message


def test_malformed_article_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse_article("")


def test_errors_name_the_default_source() -> None:
    with pytest.raises(MalformedArticle, match=r"^<string> line 1: "):
        parse_article("")


# --- property: parse accepts only canonical text, and never fails any other way ---------

_NUMBERS = st.integers(min_value=1, max_value=len(LINES))
_LINE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(LINES),
    st.builds(lambda text: "  • " + text, st.text(max_size=10)),
    st.builds(lambda text: "    • " + text, st.text(max_size=10)),
)


@settings(max_examples=400, deadline=None)
@given(number=_NUMBERS, line=_LINE)
def test_an_edited_line_is_either_rejected_or_rendered_back_exactly(number: int, line: str) -> None:
    text = replaced(number, line)
    try:
        article = parse_article(text, source="edited.txt")
    except MalformedArticle as error:
        assert re.match(r"edited\.txt line \d+: expected ", str(error))
    else:
        assert render_article(article) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_fails_only_with_malformed_article(text: str) -> None:
    try:
        article = parse_article(text)
    except MalformedArticle:
        return
    assert render_article(article) == text
