"""The articles an import reads: ``.txt`` files, folders of them, and ``.jsonl`` files.

``ArticleSource.raw()`` yields each article's raw text (or why it could not be read),
in a stable order (folders sorted by path); ``parity.content.importer.prepare`` turns
texts into posts, possibly in worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from parity.errors import InputError

__all__ = ["ArticleSource", "RawArticle"]


@dataclass(frozen=True)
class RawArticle:
    """One article's text as read: a whole ``.txt`` file, or one JSON line."""

    label: str  # the file (and line, for JSON lines)
    kind: Literal["txt", "jsonl"]
    data: bytes | None
    error: str | None = None
    known: tuple[str, str] | None = None  # (key, hash) when already done: not parsed


def _parts(path: Path) -> tuple[str, ...]:
    return path.parts


class ArticleSource:
    """Articles from files and folders."""

    def __init__(self, paths: Sequence[Path]) -> None:
        if not paths:
            raise InputError("no article files given", hint="pass files or folders of .txt")
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                # Sorted by parts: the order Path comparison gives (on POSIX), without
                # its cost per comparison (noticeable for tens of thousands of files).
                found = sorted(
                    (p for p in path.rglob("*") if p.suffix in (".txt", ".jsonl")),
                    key=_parts,
                )
                files.extend(p for p in found if p.is_file())
            elif path.is_file():
                files.append(path)
            else:
                raise InputError(f"{path}: no such file or folder")
        self.paths = list(paths)
        self.files = files

    def count(self) -> int:
        """How many articles the source holds (JSON lines files are counted by line)."""
        total = 0
        for path in self.files:
            if path.suffix == ".jsonl":
                with path.open("rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            else:
                total += 1
        return total

    def raw_slice(self, start: int, count: int) -> Iterator[RawArticle]:
        """The articles at positions ``start`` to ``start + count`` of :meth:`raw` (a
        worker's batch), reading no ``.txt`` file before them."""
        position = 0
        for number, path in enumerate(self.files):
            if position >= start + count:
                return
            if path.suffix == ".jsonl" or position >= start:
                # Count article by article from here: a .jsonl file holds several.
                for raw in self._raw(self.files[number:]):
                    if position >= start + count:
                        return
                    if position >= start:
                        yield raw
                    position += 1
                return
            position += 1  # a .txt file before the batch: not read

    def raw(self) -> Iterator[RawArticle]:
        """Each article's raw text, in order."""
        return self._raw(self.files)

    def _raw(self, files: Sequence[Path]) -> Iterator[RawArticle]:
        for path in files:
            if path.suffix == ".jsonl":
                with path.open("rb") as lines:
                    for number, line in enumerate(lines, start=1):
                        if line.strip():
                            yield RawArticle(f"{path}:{number}", "jsonl", line)
                continue
            try:
                yield RawArticle(str(path), "txt", path.read_bytes())
            except OSError as exc:
                yield RawArticle(str(path), "txt", None, f"{path}: cannot read ({exc.strerror})")
