"""The ``[rehearse]`` section of parity.toml: the verdict's thresholds and the write load.

Example::

    [rehearse]
    copy_max_rows = 100000        # COPY on a bigger table fails the verdict
    max_write_stall_s = 1.0       # a write waiting longer fails the verdict
    blocked_write_s = 0.5         # a write waiting longer counts as blocked
    regression_rows_ratio = 2.0   # rows examined growing more than this is a regression
    regression_min_rows = 1000    # ... once the query examines at least this many rows
    write_load = 4                # concurrent writer threads while a DDL runs
    lock_wait_timeout_s = 30      # how long a DDL may wait for a metadata lock

``rehearse_settings(settings)`` is how rehearse code reads it, so it works before and
after ``Settings`` gains its ``rehearse`` field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RehearseSection", "rehearse_settings"]


class RehearseSection(BaseModel):
    """Thresholds of the rehearsal's verdict, and the size of its write load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    copy_max_rows: int = Field(
        100_000, ge=0, description="A DDL needing ALGORITHM=COPY on a table with more rows fails."
    )
    max_write_stall_s: float = Field(
        1.0, gt=0, description="A write of the load waiting longer than this fails the verdict."
    )
    blocked_write_s: float = Field(
        0.5, gt=0, description="A write of the load waiting longer than this counts as blocked."
    )
    regression_rows_ratio: float = Field(
        2.0, ge=1, description="Rows examined growing by more than this factor is a regression."
    )
    regression_min_rows: int = Field(
        1000, ge=0, description="Queries examining fewer rows than this after never regress."
    )
    write_load: int = Field(
        4, ge=0, le=64, description="Concurrent writer threads while each DDL runs."
    )
    lock_wait_timeout_s: int = Field(
        30, ge=1, description="How long a DDL may wait for a metadata lock before it fails."
    )


def rehearse_settings(settings: Any) -> RehearseSection:
    """The ``[rehearse]`` section of ``settings`` (defaults when the field is absent)."""
    section = getattr(settings, "rehearse", None)
    return section if isinstance(section, RehearseSection) else RehearseSection()
