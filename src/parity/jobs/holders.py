"""Who holds a job's lease, and whether that holder is still alive.

A lease expires by itself, but a run killed with ``kill -9`` should not block the next
run for the rest of its time-to-live. The holder is written as
``<host>:<pid>:<token>``; when it names this host and a process that no longer exists
(or is a zombie), the lease is dead and may be taken over at once.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

__all__ = ["holder_is_dead", "new_holder"]


def new_holder() -> str:
    """A holder name for this process: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("ascii", "replace")
    except OSError:
        return False
    # The state letter follows the command name in parentheses; Z is a zombie.
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def holder_is_dead(holder: str) -> bool:
    """Whether ``holder`` names a process on this host that no longer runs.

    A holder on another host, or one not in ``host:pid:token`` form, is never judged
    dead here (its lease simply expires).
    """
    parts = holder.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    return _process_gone(pid)
