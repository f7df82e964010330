"""Progress bars for long work: one look for every command (rate and ETA on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

__all__ = ["RateColumn", "bytes_progress", "rows_progress"]


class RateColumn(ProgressColumn):
    """Items per second, e.g. ``12,345 rows/s``."""

    def __init__(self, unit: str = "rows") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        """The task's current rate."""
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text(f"- {self.unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {self.unit}/s", style="progress.data.speed")


def rows_progress(console: Console, *, disable: bool = False, unit: str = "rows") -> Progress:
    """A progress display with description, bar, done/total, rate and ETA."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(unit),
        TimeRemainingColumn(),
        console=console,
        disable=disable or not console.is_terminal,
    )


def bytes_progress(console: Console, *, disable: bool = False) -> Progress:
    """A progress display of bytes: description, bar, done/total bytes, rate and ETA."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable or not console.is_terminal,
    )
