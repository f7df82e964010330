"""`replace --sql-file --out`, attacked through the real command line.

What ``--out`` names decides how it is written: a device or a pipe directly (never
renamed over: as root that replaced ``/dev/null`` with a regular file), a symlink
through to its target, a regular file by temporary file and rename. Compressed input is
read (gzip) or refused (the rest), never "rewritten" with 0 values. Every failure is one
``error:`` line and exit 2.

The devices are private nodes made with ``mknod`` (same driver, major and minor as
``/dev/null`` and ``/dev/full``) so that a regression replaces the test's node, not the
machine's; where ``mknod`` is not allowed (not root), the real ones are used, which a
non-root process could not replace anyway.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

DUMP = (
    b"-- MariaDB dump\n"
    b"INSERT INTO `wp_options` VALUES (1,'siteurl','http://example.com','yes'),"
    b"(2,'widget','a:1:{s:3:\\\"url\\\";s:18:\\\"http://example.com\\\";}','yes');\n"
)
REWRITTEN = DUMP.replace(b"http://example.com", b"https://example.org").replace(b"s:18:", b"s:19:")
ARGS = ("replace", "http://example.com", "https://example.org")


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        return Path("/dev") / name
    return node


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    path = tmp_path / "in.sql"
    path.write_bytes(DUMP)
    return path


def _one_error_line(result: Any) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0])


def test_out_to_a_null_device_writes_through_and_it_stays_a_character_device(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    null = _device(tmp_path, "null", 3)
    result = run_parity(*ARGS, "--sql-file", str(dump), "--out", str(null))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert os.major(os.lstat(null).st_rdev) == 1 and os.minor(os.lstat(null).st_rdev) == 3
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".null.")]


def test_out_to_a_full_device_is_one_error_line_and_it_stays_a_character_device(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    full = _device(tmp_path, "full", 7)
    result = run_parity(*ARGS, "--sql-file", str(dump), "--out", str(full))
    line = _one_error_line(result)
    assert "No space left on device" in line and str(full) in line
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".full.")]


def test_out_to_a_fifo_writes_into_the_pipe_and_it_stays_a_fifo(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = io.BytesIO()

    def read() -> None:
        with fifo.open("rb") as pipe:
            received.write(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = run_parity(*ARGS, "--sql-file", str(dump), "--out", str(fifo), timeout=60)
    if reader.is_alive():  # the writer never opened the pipe: unblock the reader
        with fifo.open("wb"):
            pass
    reader.join(timeout=10)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received.getvalue() == REWRITTEN


def test_out_to_a_symlink_rewrites_its_target_and_keeps_the_link(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.sql"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    link = tmp_path / "link.sql"
    link.symlink_to(target)
    result = run_parity(*ARGS, "--sql-file", str(dump), "--out", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == REWRITTEN
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file keeps its mode
    assert sorted(p.name for p in elsewhere.iterdir()) == ["real.sql"]


def test_out_to_a_symlink_of_a_device_writes_through_to_the_device(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    null = _device(tmp_path, "null", 3)
    link = tmp_path / "to-null.sql"
    link.symlink_to(null)
    result = run_parity(*ARGS, "--sql-file", str(dump), "--out", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(null).st_mode)


def test_a_new_out_file_is_private_and_an_existing_one_keeps_its_mode(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    new = tmp_path / "new.sql"
    assert run_parity(*ARGS, "--sql-file", str(dump), "--out", str(new)).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert new.read_bytes() == REWRITTEN
    old = tmp_path / "old.sql"
    old.write_bytes(b"x")
    old.chmod(0o644)
    assert run_parity(*ARGS, "--sql-file", str(dump), "--out", str(old)).returncode == 0
    assert stat.S_IMODE(old.stat().st_mode) == 0o644
    assert old.read_bytes() == REWRITTEN


def test_out_in_a_missing_folder_is_one_error_line_naming_the_folder(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    out = tmp_path / "missing" / "out.sql"
    line = _one_error_line(run_parity(*ARGS, "--sql-file", str(dump), "--out", str(out)))
    assert str(out.parent) in line and "does not exist" in line
    assert not out.parent.exists()


def test_gzip_input_is_read_whatever_its_name(tmp_path: Path, run_parity: Any) -> None:
    packed = tmp_path / "dump.sql"  # gzip inside, a plain name outside
    packed.write_bytes(gzip.compress(DUMP))
    out = tmp_path / "out.sql"
    result = run_parity(*ARGS, "--sql-file", str(packed), "--out", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == REWRITTEN
    assert '"literals_changed": 2' in result.stdout


def test_out_ending_in_gz_is_written_gzip_compressed(
    tmp_path: Path, dump: Path, run_parity: Any
) -> None:
    out = tmp_path / "out.sql.gz"
    assert run_parity(*ARGS, "--sql-file", str(dump), "--out", str(out)).returncode == 0
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(out.read_bytes()) == REWRITTEN


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("dump.sql", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("bzip2", bz2.compress(DUMP)),
        ("xz", lzma.compress(DUMP)),
        ("zstd", b"\x28\xb5\x2f\xfd" + b"\x00" * 32),
        ("zip", _zip(DUMP)),
        ("NUL byte", DUMP + b"\x00\x01\x02binary"),
        ("NUL byte", gzip.compress(b"\x00\x00\x00\x00binary inside gzip")),
    ],
    ids=["bzip2", "xz", "zstd", "zip", "binary", "binary-in-gzip"],
)
def test_other_compressed_or_binary_input_is_refused_and_nothing_is_written(
    tmp_path: Path, run_parity: Any, kind: str, content: bytes
) -> None:
    src = tmp_path / "dump.sql"
    src.write_bytes(content)
    out = tmp_path / "out.sql"
    line = _one_error_line(run_parity(*ARGS, "--sql-file", str(src), "--out", str(out)))
    assert kind in line
    assert not out.exists()


def test_truncated_gzip_input_is_one_error_line_and_nothing_is_written(
    tmp_path: Path, run_parity: Any
) -> None:
    src = tmp_path / "dump.sql.gz"
    src.write_bytes(gzip.compress(DUMP * 2000)[:-40])
    out = tmp_path / "out.sql"
    line = _one_error_line(run_parity(*ARGS, "--sql-file", str(src), "--out", str(out)))
    assert "truncated" in line or "corrupt" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.sql.gz"]
