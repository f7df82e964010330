"""`parity replace --sql-file`: rewrite a mysqldump file, streamed, never half-written.

The input is read as plain SQL or, when it starts with gzip's magic bytes (whatever its
name), decompressed on the fly. Other compressed or binary input (bzip2, xz, zstd, zip,
7z, or NUL bytes in its first 64 KiB: mysqldump writes a NUL as ``\\0``) is refused
before anything is written, so a wrong file never "succeeds" rewriting 0 values.

The rewritten dump goes to ``out`` through :func:`parity.output_file.open_output` (a
regular file is written beside itself, then renamed; a device or a pipe is written
directly; a symlink is written through to its target), gzip-compressed when ``out`` ends
in ``.gz``; to ``stdout`` when ``out`` is None; or nowhere in a dry run.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from parity.errors import InputError
from parity.output_file import open_output, output_error
from parity.rewrite import Rewriter
from parity.rewrite.sqldump import SqlDumpStats, rewrite_sql_stream

__all__ = ["SNIFF_BYTES", "rewrite_sql_file", "sniff_sql_file"]

#: How much of the (decompressed) input is checked for NUL bytes before starting.
SNIFF_BYTES = 64 * 1024

_GZIP = b"\x1f\x8b"
#: Formats parity cannot read, by their magic bytes.
_REFUSED: tuple[tuple[bytes, str, str], ...] = (
    (b"BZh", "bzip2", "bunzip2 -k FILE"),
    (b"\xfd7zXZ\x00", "xz", "unxz -k FILE"),
    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd FILE"),
    (b"PK\x03\x04", "zip", "unzip FILE"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "7z x FILE"),
)


def sniff_sql_file(sql_file: Path) -> bool:
    """Check that ``sql_file`` is SQL text, plain or gzip; True when it is gzip.

    Raises InputError for a missing file, another compression format or binary content.
    """
    if not sql_file.is_file():
        raise InputError(f"{sql_file}: no such file", hint="give the path of a mysqldump file")
    try:
        with sql_file.open("rb") as raw:
            magic = raw.read(8)
            compressed = magic.startswith(_GZIP)
            for signature, name, fix in _REFUSED:
                if magic.startswith(signature):
                    raise InputError(
                        f"{sql_file} is {name}-compressed; parity reads plain or gzip SQL",
                        hint=f"decompress it first ({fix}) or pipe it through gzip",
                    )
            raw.seek(0)
            if compressed:
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    head = unzipped.read(SNIFF_BYTES)
            else:
                head = raw.read(SNIFF_BYTES)
    except InputError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _read_error(sql_file, exc) from None
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise InputError(
            f"{sql_file} is not a SQL dump: a NUL byte at offset {offset}"
            + (" of its decompressed text" if compressed else ""),
            hint="mysqldump writes SQL text; give the .sql or .sql.gz file it wrote",
        )
    return compressed


def _read_error(sql_file: Path, exc: BaseException) -> InputError:
    if isinstance(exc, EOFError):
        reason = "it ends early (truncated gzip)"
    elif isinstance(exc, gzip.BadGzipFile | zlib.error):
        reason = "its gzip data is corrupt"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = exc.__class__.__name__
    return InputError(f"--sql-file {sql_file}: could not read ({reason})")


def _lines(
    src: BinaryIO, raw: BinaryIO, sql_file: Path, on_bytes: Callable[[int], None] | None
) -> Iterator[bytes]:
    """The input's lines; progress counts bytes of the file on disk (compressed or not)."""
    done = 0
    try:
        for line in src:
            if on_bytes is not None:
                position = raw.tell()
                if position > done:
                    on_bytes(position - done)
                    done = position
            yield line
    except (OSError, EOFError, zlib.error) as exc:
        raise _read_error(sql_file, exc) from None


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

    Bad input (a missing file, compressed or binary content other than gzip, ``out``
    naming the input, ``out`` in a missing folder or naming a folder) is refused before
    anything is written; a failed write is an InputError naming ``out``.
    """
    compressed = sniff_sql_file(sql_file)
    if out is not None and out.resolve() == sql_file.resolve():
        raise InputError("--out must differ from --sql-file (the input is read while written)")
    with sql_file.open("rb") as raw:
        src: Any = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        reader: Any = _lines(src, raw, sql_file, on_bytes)
        if dry_run:
            return rewrite_sql_stream(reader, None, rewriter)
        if out is None:
            if stdout is None:
                raise InputError("give --out FILE, or let the dump go to stdout")
            try:
                stats = rewrite_sql_stream(reader, stdout, rewriter)
                stdout.flush()
            except OSError as exc:
                raise output_error("stdout", exc) from None
            return stats
        with open_output(out, option="--out", private=True) as dst:
            if out.name.endswith(".gz"):
                # mtime=0: the same input gives the same bytes.
                with gzip.GzipFile(filename="", fileobj=dst, mode="wb", mtime=0) as zipped:
                    return rewrite_sql_stream(reader, cast(BinaryIO, zipped), rewriter)
            return rewrite_sql_stream(reader, dst, rewriter)
