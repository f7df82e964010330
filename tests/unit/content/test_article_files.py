"""Articles written to a directory or to JSON lines read back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parity.content import (
    article_file_name,
    parse_article,
    read_article,
    read_jsonl,
    synthesize,
    write_articles_dir,
    write_jsonl,
)
from parity.errors import InputError, MalformedArticle

SAMPLE = Path(__file__).with_name("data") / "alphanode-021452.txt"


def test_the_sample_is_named_after_its_source_id() -> None:
    assert article_file_name(read_article(SAMPLE)) == SAMPLE.name


def test_written_directory_has_one_file_per_article_with_exact_text(tmp_path: Path) -> None:
    articles = list(synthesize(25, seed=4))
    assert write_articles_dir(articles, tmp_path / "out") == 25
    files = sorted((tmp_path / "out").iterdir())
    assert [path.name for path in files] == sorted(f"{a.source_id}.txt" for a in articles)
    for article in articles:
        assert read_article(tmp_path / "out" / article_file_name(article)) == article


def test_writing_the_same_seed_twice_gives_identical_bytes(tmp_path: Path) -> None:
    write_articles_dir(synthesize(10, seed=9), tmp_path / "a")
    write_articles_dir(synthesize(10, seed=9), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_duplicate_source_ids_are_refused(tmp_path: Path) -> None:
    article = read_article(SAMPLE)
    with pytest.raises(InputError, match="not unique"):
        write_articles_dir([article, article], tmp_path)


def test_jsonl_has_one_model_dump_per_line_and_reads_back(tmp_path: Path) -> None:
    articles = list(synthesize(15, seed=2))
    path = tmp_path / "articles.jsonl"
    assert write_jsonl(articles, path) == 15
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 15
    first = json.loads(lines[0])
    assert first["meta"]["payload"]["source_id"] == "alphanode-2-000000"
    assert isinstance(first["meta"]["entities"], list)
    assert list(read_jsonl(path)) == articles


def test_bad_jsonl_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    write_jsonl(synthesize(2, seed=2), path)
    with path.open("a", encoding="utf-8") as out:
        out.write('{"title": "half an article"}\n')
    with pytest.raises(MalformedArticle, match=r"articles\.jsonl line 3: expected one article"):
        list(read_jsonl(path))


def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(SAMPLE.read_bytes().replace(b"pressure", "pr\xe9ssure".encode("latin-1")))
    with pytest.raises(MalformedArticle, match=r"latin1\.txt line 10: expected UTF-8 text"):
        read_article(path)


def test_crlf_files_are_read_as_is_and_rejected(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(SAMPLE.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(MalformedArticle, match=r"crlf\.txt line 1: .*carriage return"):
        read_article(path)


def test_reading_the_sample_file_matches_parsing_its_text() -> None:
    assert read_article(SAMPLE) == parse_article(SAMPLE.read_text("utf-8"))
