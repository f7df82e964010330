"""Fixtures for the drift unit tests: small snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from parity.drift.model import Snapshot

TAKEN = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def make_snapshot() -> Callable[..., Snapshot]:
    """Build a Snapshot from keyword fields (environment and time filled in)."""

    def build(**fields: Any) -> Snapshot:
        data: dict[str, Any] = {
            "environment": "production",
            "url": "https://example.com",
            "taken_at": TAKEN,
        }
        data.update(fields)
        return Snapshot.model_validate(data)

    return build
