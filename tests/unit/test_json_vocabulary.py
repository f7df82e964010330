"""One JSON vocabulary: every document has schema_version and ok, and speaks the same words.

The live check of every command's output is tests/integration/test_json_output.py; these
tests pin the helper every command prints through, the checker, and the documented
examples.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from parity.cli.output import OutputFormat, emit
from parity.vocabulary import SCHEMA_VERSION, json_document, vocabulary_problems

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "json-output.md"


def _examples() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_a_document_starts_with_schema_version_and_ok_and_replaces_a_reports_own_ok() -> None:
    document = json_document({"ok": True, "runs": []}, ok=False)
    assert list(document) == ["schema_version", "ok", "runs"]
    assert document["schema_version"] == SCHEMA_VERSION and document["ok"] is False


def test_emit_prints_json_with_ok_true_exactly_when_the_exit_code_is_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit(OutputFormat.json, {"runs": []}, lambda: print("table"))
    assert json.loads(capsys.readouterr().out) == {"schema_version": 1, "ok": True, "runs": []}
    with pytest.raises(typer.Exit) as exited:
        emit(OutputFormat.json, {"drift": True}, lambda: print("table"), code=1)
    assert exited.value.exit_code == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_emit_shows_the_table_instead_of_json_and_still_sets_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit) as exited:
        emit(OutputFormat.table, {"drift": True}, lambda: print("the table"), code=1)
    assert exited.value.exit_code == 1
    assert capsys.readouterr().out == "the table\n"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"ok": True}, "schema_version"),
        ({"schema_version": 1}, "ok: missing"),
        ({"schema_version": 1, "ok": True, "seconds": 1.0}, "retired key, say 'duration_s'"),
        ({"schema_version": 1, "ok": True, "x": [{"severity": "fail"}]}, "not one of"),
        ({"schema_version": 1, "ok": True, "taken_at": "2026-11-26T13:35:24Z"}, "+00:00"),
        ({"schema_version": 1, "ok": True, "pairs": [["a", "b"]]}, "{search, replace}"),
        ({"schema_version": 1, "ok": True, "by_pair": []}, "a rewrite report without"),
        ({"schema_version": 1, "ok": True, "environments": [{"name": "x"}]}, "'environment'"),
    ],
)
def test_the_checker_names_each_word_outside_the_vocabulary(
    document: dict[str, object], problem: str
) -> None:
    problems = vocabulary_problems(document)
    assert any(problem in p for p in problems), problems


def test_every_example_in_the_json_page_is_a_document_in_the_vocabulary() -> None:
    examples = _examples()
    assert len(examples) >= 20
    for text in examples:
        data = json.loads(text)
        assert vocabulary_problems(data) == [], text[:80]


def test_every_command_prints_its_json_through_emit() -> None:
    """The table-or-JSON branch is written once (cli/output.py), not in each command."""
    for path in sorted((ROOT / "src" / "parity" / "cli").glob("*.py")):
        if path.name == "output.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "print_json(" not in text, f"{path.name} prints JSON itself: use emit()"
        assert "store.close()" not in text, f"{path.name} closes a store by hand: use `with`"
