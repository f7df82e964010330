"""A test hook: make a refresh stop at a named stage, so a test can kill it there.

``PARITY_REFRESH_PAUSE_AT=<stage>`` makes the process, on reaching that stage, write the
stage's name to ``$PARITY_REFRESH_PAUSE_FILE`` (when set) and to stderr, then wait until
it is killed, or until the test deletes that file (the refresh then goes on: how a test
breaks something else, such as the database server, at a known stage). The integration
tests use it to ``kill -9`` a refresh at each stage and prove staging is unharmed. Stages, in order:

* ``cleanup``: while leftovers of a dead run are being dropped (before anything else)
* ``copy``: after the first chunk of the first table was written and checkpointed
* ``rewrite``: after a chunk with rewritten values was transformed, before it is written
* ``verify``: after the row counts were checked, before the checksums
* ``swap``: just before the one ``RENAME TABLE`` (rollback point recorded as pending)
* ``prune``: after the swap, while older rollback points are being dropped

A content import (which holds the same lease) has one stage of its own:

* ``import``: after its first batch was written and recorded, before the next is planned

Not for production use; it does nothing unless the variable is set.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

__all__ = ["PAUSE_ENV", "PAUSE_FILE_ENV", "STAGES", "armed", "pause_point"]

PAUSE_ENV = "PARITY_REFRESH_PAUSE_AT"
PAUSE_FILE_ENV = "PARITY_REFRESH_PAUSE_FILE"
STAGES: tuple[str, ...] = ("cleanup", "copy", "rewrite", "verify", "swap", "prune", "import")


def armed(stage: str, *, variable: str = PAUSE_ENV) -> bool:
    """True when the test hook will pause at ``stage``."""
    return os.environ.get(variable) == stage


def pause_point(
    stage: str, *, variable: str = PAUSE_ENV, file_variable: str = PAUSE_FILE_ENV
) -> None:
    """Wait forever here when the test hook asks for ``stage``; otherwise return at once.

    ``variable`` and ``file_variable`` name the hook's environment variables (another
    command's kill points, such as ``parity media sync``'s, use their own).
    """
    if not armed(stage, variable=variable):
        return
    marker = os.environ.get(file_variable)
    if marker:
        Path(marker).write_text(stage, encoding="utf-8")
    sys.stderr.write(f"parity: paused at {stage} ({variable} test hook)\n")
    sys.stderr.flush()
    while True:  # until killed, or until the test removes the marker file
        time.sleep(0.05)
        if marker and not Path(marker).exists():
            return
