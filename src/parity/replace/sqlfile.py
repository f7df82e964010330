"""`parity replace --sql-file`: rewrite a mysqldump file, streamed, never half-written.

The rewritten dump goes to ``out`` (written beside it, then renamed, so a failure never
leaves half a file), to ``stdout`` when ``out`` is None, or nowhere in a dry run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from parity.errors import InputError
from parity.rewrite import Rewriter
from parity.rewrite.sqldump import SqlDumpStats, rewrite_sql_stream

__all__ = ["rewrite_sql_file"]


def _lines(src: BinaryIO, on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
    for line in src:
        if on_bytes is not None:
            on_bytes(len(line))
        yield line


def rewrite_sql_file(
    sql_file: Path,
    out: Path | None,
    rewriter: Rewriter,
    *,
    dry_run: bool = False,
    stdout: BinaryIO | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> SqlDumpStats:
    """Rewrite ``sql_file`` into ``out`` (or ``stdout``); counts land in ``rewriter.report``.

    Bad input (a missing file, ``out`` naming the input) is refused before anything is
    written.
    """
    if not sql_file.is_file():
        raise InputError(f"{sql_file}: no such file", hint="give the path of a mysqldump file")
    if out is not None and out.resolve() == sql_file.resolve():
        raise InputError("--out must differ from --sql-file (the input is read while written)")
    with sql_file.open("rb") as src:
        reader: Any = _lines(src, on_bytes)
        if dry_run:
            return rewrite_sql_stream(reader, None, rewriter)
        if out is None:
            if stdout is None:
                raise InputError("give --out FILE, or let the dump go to stdout")
            stats = rewrite_sql_stream(reader, stdout, rewriter)
            stdout.flush()
            return stats
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.resolve().parent)
        try:
            with os.fdopen(fd, "wb") as dst:
                stats = rewrite_sql_stream(reader, dst, rewriter)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return stats
