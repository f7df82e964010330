"""Fitting tables into the terminal: shorten cells instead of wrapping them.

A table row is one line, whatever the width: long keys and URLs lose their middle
(``siteurl[a]…[z]``), long notes lose their end, and the columns share what is left of
the width by weight. The width is the console's at print time (``COLUMNS``, the
terminal, or :data:`parity.cli.output.PIPED_WIDTH` when printing to a file).

>>> shorten_middle("https://staging.example.com/wp-content/uploads/photo.jpg", 24)
'https://stagin…photo.jpg'
>>> share([30, 4, 50], [1, 1, 1], 40)
[18, 4, 18]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table

__all__ = [
    "ELLIPSIS",
    "FitToWidth",
    "one_line_table",
    "share",
    "shorten_end",
    "shorten_middle",
    "table_overhead",
]

ELLIPSIS = "…"
#: A column is never given fewer characters than this (or its own width, if smaller).
MIN_CELL = 6


def _flat(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\t" in text else text


def shorten_middle(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters, its middle replaced by ``…``.

    More of the start is kept than of the end (what a key or URL is, then its leaf).
    """
    text = _flat(text)
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    keep = width - 1
    tail = keep * 2 // 5
    head = keep - tail
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def shorten_end(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters, its end replaced by ``…``."""
    text = _flat(text)
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS if width > 0 else ""


def share(natural: Sequence[int], weights: Sequence[int], room: int) -> list[int]:
    """Widths for columns that want ``natural`` characters, given ``room`` in all.

    Columns that fit keep their width; the others share what is left by ``weights``,
    never below :data:`MIN_CELL` (so the sum may exceed ``room`` when it is tiny).
    """
    widths = [0] * len(natural)
    open_ = list(range(len(natural)))
    left = room
    while open_:
        total = sum(weights[i] for i in open_) or 1
        fits = [i for i in open_ if natural[i] <= left * weights[i] // total]
        if not fits:
            for i in open_:
                widths[i] = min(natural[i], max(MIN_CELL, left * weights[i] // total))
            break
        for i in fits:
            widths[i] = natural[i]
            left -= natural[i]
            open_.remove(i)
    return widths


def one_line_table(columns: Sequence[str], **kwargs: object) -> Table:
    """A table whose cells never wrap: too long is cut with ``…`` (after :func:`share`)."""
    table = Table(**kwargs)  # type: ignore[arg-type]
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    return table


def table_overhead(n: int) -> int:
    """Borders (``n + 1``) and one space each side of every cell (``2 n``)."""
    return 3 * n + 1


@dataclass(frozen=True)
class FitToWidth:
    """A renderable built for the width it is printed at (``build(width)``)."""

    build: Callable[[int], RenderableType]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build(options.max_width)
