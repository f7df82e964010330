"""Write a command's output file without ever replacing what is not a regular file.

Every command that writes a file the user names (``replace --sql-file --out``,
``content synth --jsonl``) goes through :func:`open_output`, which decides by what the
path is *now*:

* a new path, or a regular file: written beside it under a temporary name, then renamed
  over it, so a failure never leaves half a file (an existing file keeps its mode; a new
  one gets 0600 when ``private``, else the usual mode under the umask);
* a symbolic link: written through to the file it points at, by the same temporary file
  and rename *in the target's folder*; the link itself stays as it was. A link to a
  device or a pipe is written through directly, as below;
* a character device (``/dev/null``, ``/dev/stdout``, a terminal) or a FIFO: opened and
  written directly, never renamed over;
* a folder, a block device, a socket: refused.

Any failure to write (a missing folder, no permission, a full disk: ``/dev/full`` gives
``ENOSPC``) becomes an :class:`~parity.errors.InputError` naming the path: one line, exit
2, never a traceback.

Example::

    with open_output(Path("out.sql"), option="--out") as dst:
        dst.write(b"...")
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from parity.errors import InputError

__all__ = ["open_output", "output_error"]


def output_error(path: Path | str, exc: OSError, *, option: str = "") -> InputError:
    """The one-line error for an ``OSError`` met while writing ``path``.

    >>> output_error("/dev/full", OSError(28, "No space left on device"), option="--out")
    InputError('--out /dev/full: could not write (No space left on device)')
    """
    where = f"{option} {path}" if option else str(path)
    reason = exc.strerror or exc.__class__.__name__
    return InputError(f"{where}: could not write ({reason})")


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _refuse(path: Path, what: str, option: str) -> InputError:
    where = f"{option} {path}" if option else str(path)
    return InputError(
        f"{where} is {what}", hint="name a file, a character device (/dev/null) or a pipe"
    )


def _classify(path: Path, option: str) -> tuple[str, Path, int | None]:
    """(``"stream"`` or ``"file"``, the path to write, the existing file's mode)."""
    target = path
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise output_error(path, exc, option=option) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        # Write through to the link's target; the link itself is never replaced.
        try:
            info = os.stat(path)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise output_error(path, exc, option=option) from None
        if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            # Opened through the link: /dev/stdout -> /proc/self/fd/1 -> a pipe works.
            return "stream", path, None
        target = Path(os.path.realpath(path))
    if info is None:
        folder = target.parent
        if not folder.is_dir():
            where = f"{option} {path}" if option else str(path)
            raise InputError(
                f"{where}: the folder {folder} does not exist",
                hint="create it first, or name a file in an existing folder",
            )
        return "file", target, None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return "file", target, stat.S_IMODE(mode)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream", target, None
    if stat.S_ISDIR(mode):
        raise _refuse(path, "a folder", option)
    if stat.S_ISBLK(mode):
        raise _refuse(path, "a block device (parity never writes to a disk directly)", option)
    raise _refuse(path, "neither a file, a character device nor a pipe", option)


@contextmanager
def open_output(path: Path, *, option: str = "", private: bool = False) -> Iterator[BinaryIO]:
    """A binary file object to write ``path`` through, safely (see the module's doc).

    ``option`` names the command-line option in errors (``--out``); ``private`` makes a
    new file 0600 (a dump holds password hashes and e-mail addresses). The write is
    committed (renamed into place) only when the ``with`` body ends without an error.
    """
    kind, target, mode = _classify(path, option)
    if kind == "stream":
        try:
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise output_error(path, exc, option=option) from None
        try:
            with os.fdopen(fd, "wb") as stream:
                yield stream
        except OSError as exc:
            raise output_error(path, exc, option=option) from None
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise output_error(path, exc, option=option) from None
    try:
        with os.fdopen(fd, "wb") as dst:
            yield dst
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, mode if mode is not None else 0o600 if private else _umask_mode())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise output_error(path, exc, option=option) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
