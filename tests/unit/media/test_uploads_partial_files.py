"""A file written into uploads is seen whole under its name or not at all: nameless while
it is written (O_TMPFILE), a named partial file when it replaces one or when the file
system has no O_TMPFILE, and nothing left behind by an abort or a ``kill -9``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from parity.environments import EnvironmentSettings
from parity.targets.uploads import PARTIAL_DIR, Uploads


def _uploads(root: Path, *, anonymous: bool = True) -> Uploads:
    env = EnvironmentSettings.model_validate(
        {
            "name": "staging",
            "url": "http://staging.test",
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "uploads_path": str(root),
        }
    )
    uploads = Uploads(env, root)
    uploads.prepare_writes("test")
    uploads._anonymous = anonymous
    return uploads


def _names(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE (Linux)")
def test_a_new_file_has_no_name_until_it_is_committed(tmp_path: Path) -> None:
    uploads = _uploads(tmp_path)
    with uploads.partial("2024/05/photo.jpg") as part:
        part.write(b"x" * 5000)
        assert _names(tmp_path) == []  # neither its name nor a partial file's
        part.commit(mtime_ns=1_700_000_000_000_000_000)
    photo = tmp_path / "2024/05/photo.jpg"
    assert photo.read_bytes() == b"x" * 5000
    assert photo.stat().st_mtime_ns == 1_700_000_000_000_000_000
    assert photo.stat().st_mode & 0o777 == 0o644 & ~_umask()
    assert _names(tmp_path) == ["2024/05/photo.jpg"]


@pytest.mark.parametrize("anonymous", [True, False], ids=["nameless", "named"])
def test_replacing_a_file_swaps_it_whole_and_leaves_no_partial(
    tmp_path: Path, anonymous: bool
) -> None:
    uploads = _uploads(tmp_path, anonymous=anonymous)
    photo = tmp_path / "2024/05/photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"old")
    with uploads.partial("2024/05/photo.jpg") as part:
        part.write(b"new bytes")
        assert photo.read_bytes() == b"old"  # the old file until the commit
        part.commit()
    assert photo.read_bytes() == b"new bytes"
    assert _names(tmp_path) == ["2024/05/photo.jpg"]


def test_without_o_tmpfile_the_file_waits_in_the_partial_folder(tmp_path: Path) -> None:
    uploads = _uploads(tmp_path, anonymous=False)
    with uploads.partial("2024/05/photo.jpg") as part:
        part.write(b"bytes")
        (waiting,) = _names(tmp_path)
        assert waiting.startswith(PARTIAL_DIR + "/")
        part.commit()
    assert _names(tmp_path) == ["2024/05/photo.jpg"]


@pytest.mark.parametrize("anonymous", [True, False], ids=["nameless", "named"])
def test_an_abort_leaves_nothing(tmp_path: Path, anonymous: bool) -> None:
    uploads = _uploads(tmp_path, anonymous=anonymous)
    with pytest.raises(RuntimeError), uploads.partial("2024/05/photo.jpg") as part:
        part.write(b"half")
        raise RuntimeError("stopped")
    assert _names(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="needs O_TMPFILE (Linux)")
def test_a_process_killed_mid_write_leaves_nothing(tmp_path: Path) -> None:
    script = f"""
import os, signal
from pathlib import Path
from parity.environments import EnvironmentSettings
from parity.targets.uploads import Uploads
root = Path({str(tmp_path)!r})
env = EnvironmentSettings.model_validate(
    {{"name": "staging", "url": "http://staging.test", "db": "mysql://u:p@127.0.0.1:1/wp",
      "uploads_path": str(root)}}
)
uploads = Uploads(env, root)
uploads.prepare_writes("test")
part = uploads.partial("2024/05/photo.jpg")
part.write(b"x" * 100000)
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == -9
    assert _names(tmp_path) == []


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@pytest.mark.parametrize(
    "rel",
    ["", "/etc/passwd", "a//b.png", "a/./b.png", "./a.png", "a/../b.png", "..", "a/", "x\0.png",
     PARTIAL_DIR, f"{PARTIAL_DIR}/x.png"],
)  # fmt: skip
def test_a_path_outside_the_uploads_folder_is_refused(tmp_path: Path, rel: str) -> None:
    uploads = _uploads(tmp_path)
    assert uploads.facts(rel) is None
    with pytest.raises(ValueError, match="not a path inside the uploads folder"):
        uploads.partial(rel)


@pytest.mark.parametrize("rel", ["a.png", "2024/05/a.b.png", "...", "a/.../b", ".parity-partialx"])
def test_a_path_inside_the_uploads_folder_is_taken(tmp_path: Path, rel: str) -> None:
    assert _uploads(tmp_path).filename(rel) == f"{tmp_path}/{rel}"


def test_facts_of_many_files_are_each_file_s_facts(tmp_path: Path) -> None:
    uploads = _uploads(tmp_path)
    (tmp_path / "2024/05").mkdir(parents=True)
    (tmp_path / "2024/05/a.jpg").write_bytes(b"abc")
    (tmp_path / "2024/05/folder.jpg").mkdir()
    (tmp_path / "2024/05/link.jpg").symlink_to(tmp_path / "2024/05/a.jpg")
    rels = ["2024/05/a.jpg", "2024/05/folder.jpg", "2024/05/link.jpg", "2024/05/none.jpg",
            "2023/01/none.jpg", "../outside.jpg", "2024//a.jpg"]  # fmt: skip
    many = uploads.facts_many(rels)
    assert many == {rel: uploads.facts(rel) for rel in rels}
    assert many["2024/05/a.jpg"] is not None and many["2024/05/a.jpg"].size == 3
