"""`content synth --out/--jsonl` where the output cannot be written: one line, exit 2.

A missing folder, a device, a full disk (``/dev/full`` answers every write with
``ENOSPC``) used to end in a traceback. Devices are private ``mknod`` nodes where
allowed (see tests/unit/replace/test_replace_output_files.py).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from parity.content import article_file_name, synthesize


def _device(tmp_path: Path, name: str, minor: int) -> Path:
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        return Path("/dev") / name
    return node


def _one_error_line(result: Any) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0])


def test_jsonl_to_a_full_device_is_one_error_line_and_it_stays_a_device(
    tmp_path: Path, run_parity: Any
) -> None:
    full = _device(tmp_path, "full", 7)
    line = _one_error_line(run_parity("content", "synth", "-n", "50", "--jsonl", str(full)))
    assert "No space left on device" in line and str(full) in line
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


def test_jsonl_to_a_null_device_succeeds_and_it_stays_a_device(
    tmp_path: Path, run_parity: Any
) -> None:
    null = _device(tmp_path, "null", 3)
    result = run_parity("content", "synth", "-n", "5", "--jsonl", str(null))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_jsonl_in_a_missing_folder_is_one_error_line_naming_the_folder(
    tmp_path: Path, run_parity: Any
) -> None:
    path = tmp_path / "missing" / "a.jsonl"
    line = _one_error_line(run_parity("content", "synth", "-n", "3", "--jsonl", str(path)))
    assert str(path.parent) in line and "does not exist" in line


@pytest.mark.parametrize("where", ["missing/articles", "file.txt"])
def test_out_folder_that_cannot_be_made_is_one_error_line(
    tmp_path: Path, run_parity: Any, where: str
) -> None:
    (tmp_path / "file.txt").write_text("a file, not a folder", encoding="utf-8")
    target = tmp_path / where
    line = _one_error_line(run_parity("content", "synth", "-n", "3", "--out", str(target)))
    assert str(target) in line
    assert not (tmp_path / "missing").exists()


def test_out_folder_on_a_full_disk_is_one_error_line(tmp_path: Path, run_parity: Any) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    # The first article's file is a link to the full device: its write fails with ENOSPC.
    name = article_file_name(next(iter(synthesize(1, 0))))
    (folder / name).symlink_to(_device(tmp_path, "full", 7))
    line = _one_error_line(run_parity("content", "synth", "-n", "3", "--out", str(folder)))
    assert "No space left on device" in line


def test_jsonl_to_dev_stdout_goes_to_the_standard_output(run_parity: Any) -> None:
    result = run_parity("content", "synth", "-n", "2", "--jsonl", "/dev/stdout")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 2 and all(json.loads(line)["title"] for line in lines)


def test_jsonl_written_to_a_regular_file_is_complete(tmp_path: Path, run_parity: Any) -> None:
    path = tmp_path / "a.jsonl"
    assert run_parity("content", "synth", "-n", "7", "--jsonl", str(path)).returncode == 0
    assert len(path.read_text(encoding="utf-8").splitlines()) == 7
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]
