"""Who holds a lease, and whether that holder is still alive: one format for every run.

A lease expires by itself, but a run killed with ``kill -9`` should not block the next
one for the rest of its time-to-live. Every holder (a job run, a refresh, a content
import, a rollback) is written ``<host>:<pid>:<what>``, where ``<what>`` says what the
run is (``refresh-9c1d2e4f5a6b``, ``content-import-0f3a…``) and ends in a random token.
When a holder names this host and a process that no longer exists, or is a zombie, its
lease is dead and may be taken over at once; this very process is never judged dead.

>>> host, pid, what = new_holder("refresh").split(":")
>>> int(pid) == os.getpid(), what.startswith("refresh-"), len(what)
(True, True, 20)
>>> holder_is_dead(new_holder()), holder_is_dead("elsewhere:1:x"), holder_is_dead("run-1")
(False, False, False)
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

__all__ = ["holder_is_dead", "holder_label", "new_holder"]


def new_holder(label: str = "") -> str:
    """A holder name for this process: ``host:pid:<label>-<token>`` (or ``host:pid:<token>``).

    ``label`` says what the run is (a job name, ``refresh``); it must not hold ``:``.
    """
    if ":" in label:
        raise ValueError(f"a holder label has no ':' ({label!r})")
    token = uuid.uuid4().hex[:12]
    what = f"{label}-{token}" if label else token
    return f"{socket.gethostname()}:{os.getpid()}:{what}"


def holder_label(holder: str) -> str:
    """What the holder says its run is: the part after ``host:pid:``.

    >>> holder_label("web1:42:content-import-0f3a9c1d2e4f")
    'content-import-0f3a9c1d2e4f'
    >>> holder_label("run-1")
    'run-1'
    """
    return holder.split(":", 2)[-1]


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
    """Whether ``holder`` names a process on this host that no longer runs (or a zombie).

    A holder on another host, this process itself, or a name not in ``host:pid:what``
    form, is never judged dead here (its lease simply expires).
    """
    parts = holder.split(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    return _process_gone(pid)
