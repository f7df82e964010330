"""What the global options give every command: the config path and the loaded settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from parity.config import Settings, load_settings

__all__ = ["CliState", "settings_from"]


@dataclass
class CliState:
    """Global options, with the settings loaded on first use (not every command needs them)."""

    config: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """The parsed parity.toml (loaded once)."""
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def settings_from(ctx: typer.Context) -> Settings:
    """The settings of the running command."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = CliState()
        ctx.find_root().obj = state
    return state.settings()
