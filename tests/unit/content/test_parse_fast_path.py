"""The parser's fast path gives exactly what the full parser gives, or leaves the text to it.

``parse_article`` first tries ``_fast_parse`` (one pass, models built without validating
them again) and falls back to the full parser on anything it is not sure of. These tests
hold the two to the same result: on the samples, on synthesized articles and on many
malformed or unusual variants, the fast path either returns None or an article equal to
the full parser's in every respect (types, field values and their order, the set of
fields given, no extra or private data), and it never accepts a text the full parser
rejects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from parity.content import Article, render_article, synthesize
from parity.content.parse import _fast_parse, _Parser, parse_article
from parity.errors import MalformedArticle

SAMPLES = sorted(
    {
        *Path("/work/shared/samples").glob("*.txt"),
        *(Path(__file__).with_name("data")).glob("*.txt"),
    }
)
SAMPLE_TEXT = (Path(__file__).with_name("data") / "alphanode-021452.txt").read_text("utf-8")
LINES = SAMPLE_TEXT.split("\n")


def assert_same(fast: object, full: object, where: str = "article") -> None:
    """Equal models, down to how each instance was built."""
    assert type(fast) is type(full), where
    if isinstance(full, BaseModel):
        assert isinstance(fast, BaseModel)
        assert list(fast.__dict__) == list(full.__dict__), where
        assert fast.model_fields_set == full.model_fields_set, where
        assert fast.__pydantic_extra__ == full.__pydantic_extra__, where
        assert fast.__pydantic_private__ == full.__pydantic_private__, where
        for name, value in full.__dict__.items():
            assert_same(fast.__dict__[name], value, f"{where}.{name}")
    elif isinstance(full, list):
        assert isinstance(fast, list)
        assert len(fast) == len(full), where
        for number, (a, b) in enumerate(zip(fast, full, strict=True)):
            assert_same(a, b, f"{where}[{number}]")
    else:
        assert fast == full, where


def full_parse(text: str) -> Article | None:
    try:
        return _Parser("<test>").parse(text)
    except MalformedArticle:
        return None


def check(text: str, *, must_be_fast: bool = False) -> None:
    """The fast path agrees with the full parser on ``text``."""
    full = full_parse(text)
    fast = _fast_parse(text)
    if full is None:
        assert fast is None, "the fast path accepted a text the full parser rejects"
        return
    if fast is None:
        assert not must_be_fast, "a canonical article fell back to the full parser"
        return
    assert_same(fast, full)
    assert fast == full
    assert parse_article(text) == full


def replaced(number: int, new: str) -> str:
    lines = LINES.copy()
    lines[number - 1] = new
    return "\n".join(lines)


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_the_samples_take_the_fast_path_with_the_full_parsers_result(path: Path) -> None:
    text = path.read_text("utf-8")
    check(text, must_be_fast=True)
    check(text + "\n", must_be_fast=True)


@pytest.mark.parametrize("seed", [1, 2026, 77])
def test_synthesized_articles_take_the_fast_path_with_the_full_parsers_result(
    seed: int,
) -> None:
    for article in synthesize(150, seed=seed):
        text = render_article(article)
        check(text, must_be_fast=True)
        check(text.removesuffix("\n") if article.final_newline else text + "\n")


def test_the_fast_path_builds_models_as_validation_does() -> None:
    fast = _fast_parse(SAMPLE_TEXT)
    assert fast is not None
    # Validating the fast path's result again changes nothing, and it dumps alike.
    assert Article.model_validate(fast.model_dump()) == fast
    full = full_parse(SAMPLE_TEXT)
    assert full is not None
    assert fast.model_dump(exclude_unset=True) == full.model_dump(exclude_unset=True)
    assert fast.model_dump_json() == full.model_dump_json()
    assert hash(fast.meta.score) == hash(full.meta.score)  # frozen models hash alike


# Lines of the sample (1-based) the cases below edit: see test_article_malformed.py.
_UNUSUAL = [
    ("nbsp after the title", lambda: replaced(1, LINES[0] + "\u00a0")),
    ("em space before the title", lambda: replaced(1, "\u2003" + LINES[0])),
    ("byte order mark", lambda: "\ufeff" + SAMPLE_TEXT),
    ("carriage return", lambda: SAMPLE_TEXT.replace("\n", "\r\n", 1)),
    ("title of two lines", lambda: replaced(1, LINES[0] + "\nmore")),
    ("heading ends like a sentence", lambda: replaced(8, LINES[7] + ":")),
    ("paragraph starting with a bullet", lambda: replaced(10, "•" + LINES[9])),
    ("indented paragraph", lambda: replaced(10, "\u3000" + LINES[9])),
    ("empty caption", lambda: replaced(6, ". image source: unsplash")),
    ("caption ends in a space", lambda: replaced(6, "a caption . image source: x")),
    ("source starts with a space", lambda: replaced(6, "a caption. image source:  x")),
    ("empty source", lambda: replaced(6, "a caption. image source: ")),
    ("bullet caption", lambda: replaced(6, "• a caption. image source: x")),
    ("three-line image block", lambda: replaced(6, LINES[5] + "\nmore")),
    ("glued label without value", lambda: replaced(38, "topic")),
    ("glued label, nbsp value", lambda: replaced(38, "topic\u00a0x")),
    ("fullwidth digits", lambda: replaced(59, "reading time\uff17")),
    ("superscript digit", lambda: replaced(59, "reading time\u00b2")),
    ("leading zero", lambda: replaced(59, "reading time07")),
    ("zero", lambda: replaced(59, "reading time0")),
    ("negative", lambda: replaced(59, "reading time-7")),
    ("empty list item", lambda: replaced(47, "  • ")),
    ("list item with two spaces", lambda: replaced(47, "  •  python")),
    ("list item with a tab", lambda: replaced(47, "\t• python")),
    ("list item without space", lambda: replaced(47, "  •python")),
    ("list item, nbsp indent", lambda: replaced(47, "\u00a0 • python")),
    ("record value with a space", lambda: replaced(63, "  • freshness:  50")),
    ("record text empty", lambda: replaced(41, "  • context: ")),
    ("record int with sign", lambda: replaced(63, "  • freshness: +50")),
    ("flag 2", lambda: replaced(74, "  • has images: 2")),
    ("impossible date", lambda: replaced(69, "  • last reviewed: 2022-02-30")),
    ("date with fullwidth digits", lambda: replaced(69, "  • last reviewed: 2022-08-\uff10\uff19")),
    ("nested record with two spaces", lambda: replaced(84, "  • name: python services")),
    ("nested record with a tab", lambda: replaced(84, "\t  • name: python services")),
    ("site with a trailing space", lambda: replaced(36, "alphanode  post meta")),
    ("site empty", lambda: replaced(36, " post meta")),
    ("no site heading suffix", lambda: replaced(36, "alphanode post data")),
    ("no entities", lambda: "\n".join(LINES[:83] + LINES[89:])),
    ("no image sources", lambda: "\n".join(LINES[:90] + LINES[93:])),
    ("no checklist items", lambda: "\n".join(LINES[:77] + LINES[82:])),
    ("no body", lambda: "\n".join(LINES[:2] + LINES[35:])),
    ("only a heading in the body", lambda: "\n".join([*LINES[:2], "intro", *LINES[34:]])),
    ("similar posts twice", lambda: SAMPLE_TEXT + "\n\nSimilar Posts"),
    ("meta box twice", lambda: "\n".join(LINES[:-2] + LINES[35:])),
    ("two blank lines", lambda: replaced(9, "\n")),
    ("blank line at the end", lambda: SAMPLE_TEXT + "\n\n"),
    ("lone surrogate", lambda: replaced(10, "a \ud800 b.")),
]


@pytest.mark.parametrize("make", [case[1] for case in _UNUSUAL], ids=[c[0] for c in _UNUSUAL])
def test_unusual_texts_get_the_full_parsers_answer(make: object) -> None:
    assert callable(make)
    check(make())


def test_the_sample_lines_edited_above_are_the_expected_ones() -> None:
    assert LINES[36 - 1] == "alphanode post meta"
    assert LINES[38 - 1].startswith("topic")
    assert LINES[47 - 1] == "  • python services"
    assert LINES[84 - 1] == "    • name: python services"
    assert LINES[90 - 1] == "image sources"


_ODD = st.sampled_from([" ", "\t", "\u00a0", "\u2003", "•", "  • ", "    • ", ": ", ".", "0"])
_LINE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(LINES),
    st.builds(lambda text: "  • " + text, st.text(max_size=10)),
    st.builds(lambda text: "    • " + text, st.text(max_size=10)),
    st.builds(lambda line, odd: line + odd, st.sampled_from(LINES), _ODD),
    st.builds(lambda line, odd: odd + line, st.sampled_from(LINES), _ODD),
)
_NUMBERS = st.integers(min_value=1, max_value=len(LINES))


@settings(max_examples=500, deadline=None)
@given(number=_NUMBERS, line=_LINE)
def test_an_edited_line_gets_the_same_answer_on_both_paths(number: int, line: str) -> None:
    check(replaced(number, line))


@settings(max_examples=300, deadline=None)
@given(number=_NUMBERS, other=_NUMBERS, action=st.sampled_from(["delete", "copy", "move"]))
def test_moved_or_missing_lines_get_the_same_answer_on_both_paths(
    number: int, other: int, action: str
) -> None:
    lines = LINES.copy()
    line = lines[number - 1]
    if action in ("delete", "move"):
        del lines[number - 1]
    if action in ("copy", "move"):
        lines.insert(min(other, len(lines)) - 1, line)
    check("\n".join(lines))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_gets_the_same_answer_on_both_paths(text: str) -> None:
    check(text)
