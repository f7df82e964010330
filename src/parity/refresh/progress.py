"""Where a refresh reports its progress: stages, and rows per table."""

from __future__ import annotations

from typing import Protocol

from parity.refresh.copy import CopyProgress

__all__ = ["RefreshProgress", "Silent"]


class RefreshProgress(CopyProgress, Protocol):
    """Progress of a whole refresh: stages, plus the per-table copy progress."""

    def stage(self, name: str, detail: str = "") -> None:
        """A stage starts (``cleanup``, ``copy``, ``verify``, ``swap``, ``prune``...)."""


class Silent:
    """Progress that goes nowhere (the default)."""

    def stage(self, name: str, detail: str = "") -> None:
        pass

    def table_started(self, table: str, total: int, done: int) -> None:
        pass

    def rows_done(self, table: str, rows: int) -> None:
        pass

    def table_finished(self, table: str) -> None:
        pass
