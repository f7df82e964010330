"""A test hook: make ``parity media sync`` stop at a named point, so a test can kill it there.

``PARITY_MEDIA_PAUSE_AT=<point>`` makes the process, on reaching that point, write the
point's name to ``$PARITY_MEDIA_PAUSE_FILE`` (when set) and to stderr, then wait until it
is killed (or until the test deletes that file). The same mechanism as the refresh's kill
points (:mod:`parity.refresh.hooks`). Points:

* ``copy``: the first file's first bytes are written to its partial file, not yet renamed
  onto the real name

Not for production use; it does nothing unless the variable is set.
"""

from __future__ import annotations

from parity.refresh.hooks import armed, pause_point

__all__ = ["PAUSE_ENV", "PAUSE_FILE_ENV", "POINTS", "media_armed", "media_pause"]

PAUSE_ENV = "PARITY_MEDIA_PAUSE_AT"
PAUSE_FILE_ENV = "PARITY_MEDIA_PAUSE_FILE"
POINTS: tuple[str, ...] = ("copy",)


def media_armed(point: str) -> bool:
    """True when the test hook will pause at ``point``."""
    return armed(point, variable=PAUSE_ENV)


def media_pause(point: str) -> None:
    """Wait here when the test hook asks for ``point``; otherwise return at once."""
    pause_point(point, variable=PAUSE_ENV, file_variable=PAUSE_FILE_ENV)
