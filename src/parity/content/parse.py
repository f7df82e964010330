"""Parse the article text format into an ``Article`` (no I/O).

The parser accepts exactly the canonical form of the format (LF line endings, no
trailing whitespace, one blank line between blocks, whole numbers without leading
zeros), which is what makes ``render_article(parse_article(text)) == text`` hold for
every text it accepts. Anything else raises ``MalformedArticle`` naming the source, the
line, what was expected there and how to fix it.

The file is read as blocks separated by single blank lines. Counting from the end, the
last block is "Similar Posts", the one before it the meta box (no blank lines inside)
and the one before that its heading ("<site> post meta"). The first block is the title;
everything between the title and the meta heading is the body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from parity.content.article import (
    IMAGE_SOURCE_MARK,
    Article,
    BulletList,
    ImageRef,
    Paragraph,
    PostMeta,
    Section,
    ends_like_sentence,
)
from parity.content.layout import (
    ISO_DATE,
    ITEM_PREFIX,
    KEY_SEPARATOR,
    META_FIELDS,
    META_HEADING_SUFFIX,
    NESTED_ITEM_PREFIX,
    SIMILAR_POSTS,
    WHOLE_NUMBER,
    MetaField,
    RecordField,
)
from parity.errors import MalformedArticle

__all__ = ["parse_article"]

_M = TypeVar("_M", bound=BaseModel)
_BodyBlock = Paragraph | ImageRef | BulletList
_FIRST_META_LABEL = META_FIELDS[0].label
_LAST_META_LABEL = META_FIELDS[-1].label
_KIND_HINTS = {"text": "<text>", "int": "<whole number>", "bool": "1 or 0", "date": "YYYY-MM-DD"}


def parse_article(text: str, *, source: str = "<string>") -> Article:
    """Parse one article file's text.

    ``source`` names the text in error messages (usually the file's path).

    >>> article = parse_article(text, source="alphanode-021452.txt")  # doctest: +SKIP
    >>> article.meta.payload.source_id                                  # doctest: +SKIP
    'alphanode-021452'

    Raises ``MalformedArticle`` ("<source> line <n>: expected ..., found ...; fix: ...").
    """
    # Almost every file has the canonical shape, which _fast_parse reads in one pass;
    # anything it is not sure of (every error included) goes to the full parser.
    article = _fast_parse(text)
    if article is not None:
        return article
    return _Parser(source).parse(text)


@dataclass(frozen=True, slots=True)
class _Block:
    """Consecutive non-blank lines; ``start`` is the 1-based number of the first."""

    start: int
    lines: list[str]

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1


def _show(line: str) -> str:
    """A line as quoted in an error message, shortened when long."""
    return repr(line if len(line) <= 60 else line[:57] + "...")


def _is_item_like(line: str) -> bool:
    """A line that is meant as a list item, whatever its indentation."""
    return line.lstrip(" \t").startswith("•")


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int, expected: str, found: str, fix: str) -> NoReturn:
        raise MalformedArticle(
            f"{self.source} line {line}: expected {expected}, found {found}; fix: {fix}"
        )

    def build(self, model: type[_M], line: int, what: str, **data: Any) -> _M:
        """Construct a model, reporting any rule it breaks at ``line``."""
        try:
            return model(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            problem = first["msg"].removeprefix("Value error, ")
            self.fail(line, what, f"{where} that {problem}", "correct that line")

    # --- lines and blocks ----------------------------------------------------------------

    def parse(self, text: str) -> Article:
        lines, final_newline = self.split_lines(text)
        blocks = self.split_blocks(lines)
        meta_at = self.find_meta(blocks)
        title = self.parse_title(blocks[0])
        intro, sections = self.parse_body(blocks[1:meta_at])
        site = self.parse_meta_heading(blocks[meta_at])
        meta = self.parse_meta(blocks[meta_at + 1])
        return self.build(
            Article,
            1,
            "an article",
            title=title,
            intro=intro,
            sections=sections,
            site=site,
            meta=meta,
            final_newline=final_newline,
        )

    def split_lines(self, text: str) -> tuple[list[str], bool]:
        if not text:
            self.fail(1, "the title line", "an empty file", "give the article its content")
        if text.startswith("\ufeff"):
            self.fail(
                1,
                "the title line",
                "a byte order mark (U+FEFF)",
                "save the file as UTF-8 without a BOM",
            )
        lines = text.split("\n")
        final_newline = lines[-1] == ""
        if final_newline:
            lines.pop()
        for number, line in enumerate(lines, start=1):
            if "\r" in line:
                self.fail(
                    number,
                    "a line ending in LF",
                    "a carriage return (CRLF line endings?)",
                    "save the file with LF line endings",
                )
            if line != line.rstrip():
                self.fail(
                    number,
                    "no whitespace at the end of the line",
                    _show(line),
                    "remove the trailing spaces or tabs",
                )
        return lines, final_newline

    def split_blocks(self, lines: list[str]) -> list[_Block]:
        blocks: list[_Block] = []
        current: list[str] = []
        start = 1
        for number, line in enumerate(lines, start=1):
            if line:
                if not current:
                    start = number
                current.append(line)
            elif current:
                blocks.append(_Block(start, current))
                current = []
            elif number == 1:
                self.fail(
                    1, "the title line", "a blank line", "remove blank lines before the title"
                )
            else:
                self.fail(
                    number,
                    "one blank line between blocks",
                    "a second blank line",
                    "remove the extra blank line",
                )
        if not current:
            self.fail(
                len(lines),
                f"{SIMILAR_POSTS!r} as the last line",
                "a blank line at the end of the file",
                "remove the blank lines at the end (one final newline is fine)",
            )
        blocks.append(_Block(start, current))
        return blocks

    def find_meta(self, blocks: list[_Block]) -> int:
        """The index of the meta heading block, after checking the end of the file."""
        last = blocks[-1]
        if last.lines[-1] != SIMILAR_POSTS:
            fix = (
                f"nothing may follow {SIMILAR_POSTS!r}"
                if SIMILAR_POSTS in last.lines
                else "the file may be cut short: restore the post meta box and the closing "
                f"{SIMILAR_POSTS!r} line"
            )
            self.fail(last.end, f"{SIMILAR_POSTS!r} as the last line", _show(last.lines[-1]), fix)
        if len(last.lines) > 1:
            self.fail(
                last.end,
                f"a blank line before {SIMILAR_POSTS!r}",
                f"{SIMILAR_POSTS!r} right under {_show(last.lines[-2])}",
                f"put one blank line between the post meta box and {SIMILAR_POSTS!r}",
            )
        for index in range(len(blocks) - 3, -1, -1):
            heading, box = blocks[index].lines, blocks[index + 1].lines
            if (
                len(heading) == 1
                and heading[0].endswith(META_HEADING_SUFFIX)
                and box[0].startswith(_FIRST_META_LABEL)
            ):
                break
        else:
            near = blocks[-2] if len(blocks) > 1 else last
            self.fail(
                near.start,
                f"the post meta box: a '<site>{META_HEADING_SUFFIX}' heading, a blank line, "
                f"then its lines from {_FIRST_META_LABEL!r} to {_LAST_META_LABEL!r}",
                _show(near.lines[0]),
                f"restore the post meta box before {SIMILAR_POSTS!r}",
            )
        if index == 0:
            self.fail(1, "the title line", _show(blocks[0].lines[0]), "put the title first")
        if index + 2 != len(blocks) - 1:
            self.fail(
                blocks[index + 2].start - 1,
                "the next line of the post meta box",
                "a blank line",
                "remove blank lines inside the post meta box",
            )
        return index

    # --- title and body ------------------------------------------------------------------

    def parse_title(self, block: _Block) -> str:
        title = block.lines[0]
        if title[0].isspace():
            self.fail(1, "the title line", _show(title), "remove the leading whitespace")
        if len(block.lines) > 1:
            self.fail(
                2,
                "a blank line after the title",
                _show(block.lines[1]),
                "put one blank line between the title and the intro",
            )
        return title

    def parse_body(self, blocks: list[_Block]) -> tuple[list[_BodyBlock], list[Section]]:
        intro: list[_BodyBlock] = []
        sections: list[Section] = []
        heading: tuple[int, str] | None = None
        current: list[_BodyBlock] = intro
        for block in blocks:
            parsed = self.parse_block(block)
            if isinstance(parsed, str):
                if heading is not None:
                    sections.append(self.section(heading, current))
                heading, current = (block.start, parsed), []
            else:
                current.append(parsed)
        if heading is not None:
            sections.append(self.section(heading, current))
        return intro, sections

    def section(self, heading: tuple[int, str], blocks: list[_BodyBlock]) -> Section:
        return self.build(Section, heading[0], "a heading", heading=heading[1], blocks=blocks)

    def parse_block(self, block: _Block) -> _BodyBlock | str:
        """One body block: a heading (returned as its text), paragraph, image or list."""
        lines = block.lines
        if _is_item_like(lines[0]):
            return self.parse_bullets(block)
        for offset, line in enumerate(lines):
            if line[0].isspace():
                self.fail(
                    block.start + offset,
                    "text at the start of the line (only list items are indented)",
                    _show(line),
                    "remove the leading whitespace",
                )
        if len(lines) == 1:
            if ends_like_sentence(lines[0]):
                return self.build(Paragraph, block.start, "a paragraph", text=lines[0])
            return lines[0]
        caption, mark, image_source = lines[1].rpartition(IMAGE_SOURCE_MARK)
        if len(lines) > 2 or not mark:
            self.fail(
                block.start + 1,
                "a blank line (headings and paragraphs are one line each) or an image "
                f"caption line '<caption>{IMAGE_SOURCE_MARK}<source>'",
                _show(lines[1]),
                "put one blank line between blocks",
            )
        return self.build(
            ImageRef,
            block.start,
            "an image reference: its alt text, then "
            f"'<caption>{IMAGE_SOURCE_MARK}<source>' on the next line",
            alt=lines[0],
            caption=caption,
            source=image_source,
        )

    def parse_bullets(self, block: _Block) -> BulletList:
        items = [
            self.item(block.start + offset, line, ITEM_PREFIX, "a list item")
            for offset, line in enumerate(block.lines)
        ]
        return self.build(BulletList, block.start, "a list", items=items)

    def item(self, number: int, line: str, prefix: str, what: str) -> str:
        """The text of a ``<prefix><text>`` line."""
        text = line[len(prefix) :]
        if not line.startswith(prefix) or not text or text[0].isspace():
            self.fail(
                number,
                f"{what}: {prefix!r} then the text",
                _show(line),
                f"indent with exactly {len(prefix) - 2} spaces, then '•', one space and the text",
            )
        return text

    # --- the post meta box ---------------------------------------------------------------

    def parse_meta_heading(self, block: _Block) -> str:
        site = block.lines[0].removesuffix(META_HEADING_SUFFIX)
        if not site or site[0].isspace():
            self.fail(
                block.start,
                f"the meta box heading '<site>{META_HEADING_SUFFIX}'",
                _show(block.lines[0]),
                "name the site at the start of the line, e.g. 'alphanode post meta'",
            )
        return site

    def parse_meta(self, block: _Block) -> PostMeta:
        cursor = _Cursor(self, block)
        values: dict[str, Any] = {}
        for field in META_FIELDS:
            values[field.name] = self.meta_field(cursor, field)
        if cursor.remaining:
            number, line = cursor.take(f"a blank line, then {SIMILAR_POSTS!r}")
            self.fail(
                number,
                f"a blank line, then {SIMILAR_POSTS!r} ({_LAST_META_LABEL!r} is the last "
                "field of the post meta box)",
                _show(line),
                "remove the extra line or move it into the right field",
            )
        return self.build(PostMeta, block.start, "the post meta box", **values)

    def meta_field(self, cursor: _Cursor, field: MetaField) -> object:
        label = field.label
        if field.kind in ("text", "int"):
            shape = f"{label!r} with its value glued to it"
            number, line = cursor.take(shape)
            if not line.startswith(label):
                self.fail(number, shape, _show(line), f"restore the {label!r} line")
            raw = line[len(label) :]
            if raw[:1].isspace():
                self.fail(number, shape + " (no space between)", _show(line), "remove the space")
            if field.kind == "text":
                return raw
            if not WHOLE_NUMBER.fullmatch(raw):
                self.fail(
                    number,
                    f"a whole number right after {label!r}",
                    _show(line),
                    "write digits only, without sign, separators or leading zeros",
                )
            return int(raw)
        shape = f"{label!r} alone on its line, then its items"
        number, line = cursor.take(shape)
        if line != label:
            self.fail(number, shape, _show(line), f"restore the {label!r} line")
        if field.kind == "list":
            return [
                self.item(item_number, item_line, ITEM_PREFIX, f"an item of {label!r}")
                for item_number, item_line in cursor.take_items(ITEM_PREFIX)
            ]
        if field.kind == "record":
            return self.record(cursor, field, ITEM_PREFIX)
        records = []
        while cursor.peek_item_like():
            records.append(self.record(cursor, field, NESTED_ITEM_PREFIX))
        return records

    def record(self, cursor: _Cursor, field: MetaField, prefix: str) -> BaseModel:
        assert field.record is not None
        values: dict[str, object] = {}
        first = 0
        for record_field in field.fields:
            head = f"{prefix}{record_field.label}{KEY_SEPARATOR}"
            shape = f"{head + _KIND_HINTS[record_field.kind]!r} (in {field.label!r})"
            number, line = cursor.take(shape)
            first = first or number
            if not line.startswith(head):
                self.fail(number, shape, _show(line), "restore that line, keeping the order")
            values[record_field.name] = self.value(number, line[len(head) :], record_field, shape)
        return self.build(field.record, first, f"a record of {field.label!r}", **values)

    def value(self, number: int, raw: str, field: RecordField, shape: str) -> object:
        if field.kind == "text":
            if not raw or raw[0].isspace():
                self.fail(number, shape, _show(raw), "write the value right after ': '")
            return raw
        if field.kind == "int" and WHOLE_NUMBER.fullmatch(raw):
            return int(raw)
        if field.kind == "bool" and raw in ("0", "1"):
            return raw == "1"
        if field.kind == "date" and ISO_DATE.fullmatch(raw):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                self.fail(number, "a real calendar date", _show(raw), "correct the date")
        self.fail(number, shape, _show(raw), f"write the value as {_KIND_HINTS[field.kind]}")


class _Cursor:
    """Reads the meta box line by line, knowing each line's number."""

    def __init__(self, parser: _Parser, block: _Block) -> None:
        self.parser = parser
        self.block = block
        self.position = 0

    @property
    def remaining(self) -> bool:
        return self.position < len(self.block.lines)

    def take(self, expected: str) -> tuple[int, str]:
        """The next line and its number; the box ending here is an error."""
        number = self.block.start + self.position
        if not self.remaining:
            self.parser.fail(
                number,
                expected,
                "the end of the post meta box (a blank line)",
                "restore the missing lines of the post meta box",
            )
        self.position += 1
        return number, self.block.lines[number - self.block.start]

    def peek_item_like(self) -> bool:
        return self.remaining and _is_item_like(self.block.lines[self.position])

    def take_items(self, prefix: str) -> list[tuple[int, str]]:
        """The list item lines that follow (any indentation; the caller checks it)."""
        items = []
        while self.peek_item_like():
            items.append(self.take(prefix))
        return items


# --- the fast path -----------------------------------------------------------------------
# The common case, a file in the canonical shape, read in one pass with no error
# reporting: every rule the full parser and the model check is checked here too, and the
# models are then built without validating them again. Any doubt returns None and the
# full parser reads the file (and reports its error); tests/unit/content/
# test_parse_fast_path.py holds the two to giving equal results.

_new_instance = object.__setattr__
_ITEM_AT = len(ITEM_PREFIX)
_NESTED_AT = len(NESTED_ITEM_PREFIX)
_SENTENCE_LIKE = ends_like_sentence
# Lines that are, or could be read as, list items (the full parser decides those).
_ITEM_LIKE_START = (" ", "\t", "•")


def _model(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """An instance of ``cls`` holding ``values`` (already checked), as validation makes it."""
    instance = cls.__new__(cls)
    _new_instance(instance, "__dict__", values)
    _new_instance(instance, "__pydantic_fields_set__", fields_set)
    _new_instance(instance, "__pydantic_extra__", None)
    _new_instance(instance, "__pydantic_private__", None)
    return instance


@dataclass(frozen=True, slots=True)
class _FastRecord:
    """How to read one record model: its class and ``(name, head, kind)`` per line."""

    model: type[BaseModel]
    lines: tuple[tuple[str, str, str], ...]
    names: frozenset[str]


def _fast_record(field: MetaField, prefix: str) -> _FastRecord:
    assert field.record is not None
    return _FastRecord(
        field.record,
        tuple((f.name, f"{prefix}{f.label}{KEY_SEPARATOR}", f.kind) for f in field.fields),
        frozenset(f.name for f in field.fields),
    )


_FAST_META = tuple(
    (
        field.name,
        field.label,
        field.kind,
        _fast_record(field, NESTED_ITEM_PREFIX if field.kind == "records" else ITEM_PREFIX)
        if field.record is not None
        else None,
    )
    for field in META_FIELDS
)
_META_NAMES = frozenset(field.name for field in META_FIELDS)
_ARTICLE_NAMES = frozenset(Article.model_fields)


def _whole_number(raw: str) -> int | None:
    if raw.isdigit() and raw.isascii() and (raw[0] != "0" or raw == "0"):
        return int(raw)
    return None


def _fast_parse(text: str) -> Article | None:
    """The article, if ``text`` has the canonical shape and breaks no rule; else None."""
    if not text or "\r" in text or text[0] == "\ufeff":
        return None
    final_newline = text[-1] == "\n"
    body = text[:-1] if final_newline else text
    if not body or body[0] == "\n" or body[-1] == "\n" or "\n\n\n" in body:
        return None  # blank lines at either end, or two in a row
    blocks = [block.split("\n") for block in body.split("\n\n")]
    for lines in blocks:
        for line in lines:
            if line[-1].isspace():
                return None  # trailing whitespace
    if len(blocks) < 4 or blocks[-1] != [SIMILAR_POSTS]:
        return None
    title_lines, heading_lines = blocks[0], blocks[-3]
    if len(title_lines) != 1 or len(heading_lines) != 1:
        return None
    title = title_lines[0]
    site = heading_lines[0]
    if title[0].isspace() or not site.endswith(META_HEADING_SUFFIX):
        return None
    site = site[: -len(META_HEADING_SUFFIX)]
    if not site or site[0].isspace() or site[-1].isspace():
        return None
    body_parts = _fast_body(blocks[1:-3])
    meta = _fast_meta(blocks[-2])
    if body_parts is None or meta is None:
        return None
    values = {
        "title": title,
        "intro": body_parts[0],
        "sections": body_parts[1],
        "site": site,
        "meta": meta,
        "final_newline": final_newline,
    }
    return _model(Article, values, set(_ARTICLE_NAMES))


def _fast_body(blocks: list[list[str]]) -> tuple[list[_BodyBlock], list[Section]] | None:
    intro: list[_BodyBlock] = []
    sections: list[Section] = []
    current = intro
    for lines in blocks:
        first = lines[0]
        block: _BodyBlock
        if first.lstrip(" \t").startswith("•"):
            items = []
            for line in lines:
                if not line.startswith(ITEM_PREFIX) or len(line) == _ITEM_AT:
                    return None
                item = line[_ITEM_AT:]
                if item[0].isspace():
                    return None
                items.append(item)
            block = _model(BulletList, {"kind": "bullets", "items": items}, {"items"})
        elif first[0].isspace():
            return None
        elif len(lines) == 1:
            if not _SENTENCE_LIKE(first):
                current = []
                values = {"heading": first, "blocks": current}
                sections.append(_model(Section, values, {"heading", "blocks"}))
                continue
            block = _model(Paragraph, {"kind": "paragraph", "text": first}, {"text"})
        elif len(lines) == 2:
            caption_line = lines[1]
            caption, mark, source = caption_line.rpartition(IMAGE_SOURCE_MARK)
            if (
                not mark
                or not caption
                or not source
                or caption_line[0].isspace()
                or caption[-1].isspace()
                or source[0].isspace()
            ):
                return None
            values = {"kind": "image", "alt": first, "caption": caption, "source": source}
            block = _model(ImageRef, values, {"alt", "caption", "source"})
        else:
            return None
        current.append(block)
    return intro, sections


def _fast_meta(lines: list[str]) -> PostMeta | None:
    count = len(lines)
    at = 0
    values: dict[str, Any] = {}
    for name, label, kind, record in _FAST_META:
        if at >= count:
            return None
        line = lines[at]
        at += 1
        if kind == "text" or kind == "int":
            if not line.startswith(label):
                return None
            raw = line[len(label) :]
            if kind == "text":
                if raw and raw[0].isspace():
                    return None
                values[name] = raw
            else:
                number = _whole_number(raw)
                if number is None:
                    return None
                values[name] = number
            continue
        if line != label:
            return None
        if kind == "list":
            items = []
            while at < count:
                line = lines[at]
                if not line.startswith(ITEM_PREFIX):
                    if line.startswith(_ITEM_LIKE_START):
                        return None
                    break
                if len(line) == _ITEM_AT or line[_ITEM_AT].isspace():
                    return None
                items.append(line[_ITEM_AT:])
                at += 1
            values[name] = items
            continue
        assert record is not None
        if kind == "record":
            found = _fast_record_at(lines, at, record)
            if found is None:
                return None
            values[name] = found
            at += len(record.lines)
            continue
        records = []
        while at < count:
            line = lines[at]
            if not line.startswith(NESTED_ITEM_PREFIX):
                if line.startswith(_ITEM_LIKE_START):
                    return None
                break
            found = _fast_record_at(lines, at, record)
            if found is None:
                return None
            records.append(found)
            at += len(record.lines)
        values[name] = records
    if at != count:
        return None
    return _model(PostMeta, values, set(_META_NAMES))


def _fast_record_at(lines: list[str], at: int, record: _FastRecord) -> BaseModel | None:
    if at + len(record.lines) > len(lines):
        return None
    values: dict[str, object] = {}
    for name, head, kind in record.lines:
        line = lines[at]
        at += 1
        if not line.startswith(head):
            return None
        raw = line[len(head) :]
        value: object
        if kind == "text":
            if not raw or raw[0].isspace():
                return None
            value = raw
        elif kind == "int":
            value = _whole_number(raw)
            if value is None:
                return None
        elif kind == "bool":
            if raw != "0" and raw != "1":
                return None
            value = raw == "1"
        else:
            if not ISO_DATE.fullmatch(raw):
                return None
            try:
                value = dt.date.fromisoformat(raw)
            except ValueError:
                return None
        values[name] = value
    return _model(record.model, values, set(record.names))
