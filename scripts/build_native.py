"""Build parity's compiled rewrite engine in place: src/parity/rewrite/_native*.so.

    .venv/bin/python scripts/build_native.py [--force]

Run by scripts/bootstrap (so a fresh clone builds it); quick and silent when the
extension is newer than its source. It needs only a C compiler and Python's headers
(build-essential and python3-dev, which the bootstrap installs). If it cannot build,
parity still works on the pure-Python engine; `parity doctor` says which one is active.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src/parity/rewrite/_native.c"


def target() -> Path:
    """Where the extension goes: beside its source, named for this Python."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return SOURCE.with_name("_native" + suffix)


def build(force: bool = False) -> Path:
    """Compile the extension if it is missing or older than its source; its path."""
    out = target()
    if not force and out.exists() and out.stat().st_mtime >= SOURCE.stat().st_mtime:
        return out
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    include = sysconfig.get_paths()["include"]
    command = [
        *compiler,
        "-shared",
        "-fPIC",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-std=c11",
        f"-I{include}",
        str(SOURCE),
        "-o",
        str(out.with_suffix(".tmp")),
    ]
    subprocess.run(command, check=True)
    out.with_suffix(".tmp").replace(out)  # atomic: a running parity never loads half a file
    return out


def main() -> int:
    """Build, and say where (or why not)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()
    try:
        out = build(force=args.force)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"could not build the native rewrite engine: {error}", file=sys.stderr)
        return 1
    print(f"native rewrite engine: {out.relative_to(SOURCE.parents[3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
