"""Running a change's own commands: the failing ``--command`` and the ``--rollback``.

Each runs through ``/bin/sh -c`` (they are the commands a person would paste into a
terminal), with a time limit; parity keeps the exit code, the duration and the last lines
of the output, with the configuration's secrets masked out of them.

    result = run_command("wp cron event run --due-now", secrets=["s3cret"])
    result.exit_code, result.output_tail
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.config import Settings

__all__ = ["TAIL_LINES", "CommandResult", "run_command", "secrets_of"]

#: How many lines of a command's output are kept.
TAIL_LINES = 20
#: How many characters of those lines are kept at most.
_TAIL_CHARS = 4000
#: A command taking longer than this (seconds) is stopped and counted as failed.
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class CommandResult:
    """What a command did: its exit code (124 when stopped at the time limit) and output tail."""

    command: str
    exit_code: int
    duration_s: float
    output_tail: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and the state store."""
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "duration_s": self.duration_s,
            "output_tail": self.output_tail,
        }


def secrets_of(settings: Settings) -> list[str]:
    """Every password of the configuration (masked out of any output parity keeps)."""
    found = []
    for env in settings.environments.values():
        found.append(env.db.password.get_secret_value())
        if env.login is not None:
            found.append(env.login.password.get_secret_value())
    return [s for s in found if s]


def _tail(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    lines = text.rstrip("\n").splitlines()[-TAIL_LINES:]
    return "\n".join(lines)[-_TAIL_CHARS:]


def run_command(
    command: str,
    *,
    secrets: Iterable[str] = (),
    cwd: Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> CommandResult:
    """Run ``command`` with ``/bin/sh -c``; its exit code, duration and output tail."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout if isinstance(exc.stdout, str) else ""
        code, output = 124, f"{partial}\nstopped after {timeout_s:g} s"
    return CommandResult(command, code, time.perf_counter() - started, _tail(output, secrets))
