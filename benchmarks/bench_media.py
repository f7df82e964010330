"""`parity media sync` against rsync, in the same run, on generated uploads.

Generates (once, under /tmp) an uploads tree of ``3 x --files`` files in ``YYYY/MM``
folders, sizes drawn from ``--min-kb`` to ``--max-kb``; every third file is referenced
(``--files`` of them). Then, each case run ``--repeat`` times into an empty target
(best time kept; rounds of every case, so the page cache and the machine's state favour
none; each run into a folder of its own, and nothing deleted until the end, because ext4
makes files created just after a mass delete cost several times more):

1. **the referenced set, staging empty**: parity's sync engine (the same work
   ``parity media sync --via local`` runs: decisions, the ``media-sync`` run in a new
   SQLite ledger (one item per batch of files), new files written nameless and linked
   into place, one after the other as from any local folder, the cyclic garbage
   collector paused as ``MediaService.sync`` does) against
   ``rsync -a --files-from=LIST`` of the same files. Goal: parity's wall time at most
   1/0.8 of rsync's (ratio rsync/parity >= 0.8).
2. **only the referenced third needed**: the same parity sync against ``rsync -a`` of the
   whole tree (what people run without a referenced set). Goal: parity >= 5x faster.
3. **a rerun with nothing to copy**: parity against ``rsync -a --files-from`` again.

Also timed: reading the referenced set out of ``--files`` attachments' meta values (pure:
``attachment_files`` with the PHP codec, and the uploads URL matcher on post content),
which ``parity media sync`` does before copying (its database reads are not included).

    .venv/bin/python benchmarks/bench_media.py [--files 10000] [--repeat 3]

On ext4, measure on a fresh file system (files created minutes after a mass delete cost
several times more): everything goes under ``$TMPDIR``, e.g. ``TMPDIR=/mnt/fresh-ext4``.

Prints files/s, MB/s and the ratios. Needs rsync (scripts/bootstrap installs it).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from parity.collector import collector_paused
from parity.environments import EnvironmentSettings
from parity.media.referenced import Reference, UploadsMatcher, attachment_files
from parity.media.sources import LocalSource
from parity.media.sync import SyncWork, media_sync_job, plan_files
from parity.wordpress.phpvalue import php_serialize

ROOT = Path(tempfile.gettempdir()) / "parity-bench-media"


def _env(name: str, uploads: Path) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": name,
            "url": f"http://{name}.bench.invalid",
            "db": "mysql://bench:bench@127.0.0.1:1/bench",
            "uploads_path": str(uploads),
        }
    )


def generate(files: int, min_kb: int, max_kb: int) -> tuple[Path, list[str]]:
    """The source tree (made once per shape) and the referenced paths."""
    source = ROOT / f"src-{files}-{min_kb}-{max_kb}"
    stamp = source / ".complete"
    rng = random.Random(files)
    paths = [f"20{20 + n % 6}/{1 + (n // 7) % 12:02d}/image-{n:06d}.jpg" for n in range(3 * files)]
    if not stamp.exists():
        shutil.rmtree(source, ignore_errors=True)
        blob = os.urandom(max_kb * 1024 * 4)
        for path in paths:
            target = source / path
            target.parent.mkdir(parents=True, exist_ok=True)
            size = rng.randint(min_kb * 1024, max_kb * 1024)
            start = rng.randrange(0, len(blob) - size)
            target.write_bytes(blob[start : start + size])
        stamp.touch()
    return source, paths[::3]


def best(repeat: int, prepare: Callable[[], None], run: Callable[[], None]) -> float:
    """The best wall time of ``repeat`` runs of ``run``, each after ``prepare``."""
    times = []
    for _ in range(repeat):
        prepare()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def parity_sync(source: Path, target: Path, referenced: list[str], concurrency: int) -> int:
    """What ``parity media sync --via local`` does once the referenced set is known."""
    from parity.jobs.runner import InProcessRunner
    from parity.store import open_store
    from parity.targets.uploads import Uploads

    from_env, to_env = _env("production", source), _env("staging", target)
    origin, into = LocalSource(Uploads(from_env, source)), Uploads(to_env, target)
    with collector_paused():  # as MediaService.sync
        refs = [Reference(path, "attached", "bench") for path in referenced]
        plan = plan_files(refs, origin.facts(referenced), into.facts_many(referenced))
        work = SyncWork(plan, origin, into, source_name="production", concurrency=concurrency)
        with open_store(f"sqlite:///{target.parent / (target.name + '.state.db')}") as store:
            InProcessRunner(store).run(
                media_sync_job("bench", "production", "staging"), work, recheck=True
            )
    return sum(size for _path, size in work.outcome.copied)


def rsync(source: Path, target: Path, files_from: Path | None) -> None:
    """rsync -a, of the listed files or of the whole tree."""
    argv = ["rsync", "-a"]
    if files_from is not None:
        argv.append(f"--files-from={files_from}")
    argv += [f"{source}/", f"{target}/"]
    subprocess.run(argv, check=True)


def referenced_set_time(files: int) -> float:
    """Seconds to read the referenced set out of ``files`` attachments' meta (pure)."""
    metas = []
    for n in range(files):
        stem = f"2024/05/image-{n:06d}"
        meta = {
            "file": f"{stem}.jpg",
            "sizes": {
                size: {"file": f"image-{n:06d}-{w}x{h}.jpg", "width": w, "height": h}
                for size, (w, h) in {"medium": (300, 200), "thumbnail": (150, 150)}.items()
            },
        }
        metas.append((f"{stem}.jpg", php_serialize(meta)))
    content = (
        b'<!-- wp:image {"id":1} --><figure><img src="http://staging.bench.invalid'
        b'/wp-content/uploads/2024/05/image-000001.jpg" /></figure><!-- /wp:image -->'
    )
    matcher = UploadsMatcher(["http://staging.bench.invalid", "http://production.bench.invalid"])
    started = time.perf_counter()
    for attached, meta in metas:
        attachment_files(attached, meta)
        matcher.files(content)
    return time.perf_counter() - started


def main() -> None:
    """Run the cases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=10_000, help="referenced files")
    parser.add_argument("--min-kb", type=int, default=4)
    parser.add_argument("--max-kb", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("rsync") is None:
        sys.exit("rsync is not installed: run scripts/bootstrap")
    source, referenced = generate(args.files, args.min_kb, args.max_kb)
    size = sum((source / path).stat().st_size for path in referenced)
    whole = sum(p.stat().st_size for p in source.rglob("*.jpg"))
    work = Path(tempfile.mkdtemp(prefix="parity-bench-media-"))
    listing = work / "files.txt"
    listing.write_text("\n".join(referenced) + "\n", "utf-8")
    made = iter(range(1_000_000))

    def fresh() -> Path:
        # Every run writes into a folder of its own, and nothing is deleted until the end:
        # ext4's inode allocator skips (and reads) every inode freed in the last minutes,
        # so files created just after deleting a previous run's tree cost several times
        # more kernel time, whichever tool runs next.
        target = work / f"target-{next(made)}"
        target.mkdir()
        os.sync()
        return target

    copied = 0

    def run_parity(target: Path) -> None:
        nonlocal copied
        copied = parity_sync(source, target, referenced, 8)  # unused from a local folder

    def run_rsync(files_from: Path | None) -> Callable[[Path], None]:
        return lambda target: rsync(source, target, files_from)

    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs", flush=True)
    print(
        f"tree: {3 * args.files:,} files, {whole / 1e6:,.1f} MB; referenced: {len(referenced):,}"
        f" files, {size / 1e6:,.1f} MB",
        flush=True,
    )
    cases: dict[str, Callable[[Path], None]] = {
        "parity": run_parity,
        "rsync_list": run_rsync(listing),
        "rsync_tree": run_rsync(None),
    }
    runs: dict[str, list[float]] = {name: [] for name in cases}
    filled: dict[str, Path] = {}
    for _ in range(args.repeat):
        # Rounds of every case, so a change of the machine's state touches all of them.
        for name, run in cases.items():
            target = fresh()
            started = time.perf_counter()
            run(target)
            runs[name].append(time.perf_counter() - started)
            filled[name] = target
            if name == "parity":
                assert copied == size, (copied, size)
    times = {name: min(seconds) for name, seconds in runs.items()}
    times["parity_rerun"] = best(args.repeat, os.sync, lambda: run_parity(filled["parity"]))
    assert copied == 0
    times["rsync_rerun"] = best(
        args.repeat, os.sync, lambda: rsync(source, filled["rsync_list"], listing)
    )
    scan = referenced_set_time(args.files)
    shutil.rmtree(work, ignore_errors=True)

    def line(label: str, seconds: float, files: int, mb: float) -> None:
        print(
            f"{label:<44} {seconds:7.2f} s {files / seconds:9,.0f} files/s {mb / seconds:7.1f} MB/s"
        )

    mb = size / 1e6
    line("parity media sync, staging empty", times["parity"], len(referenced), mb)
    line("rsync -a --files-from (same set)", times["rsync_list"], len(referenced), mb)
    line("rsync -a of the whole tree", times["rsync_tree"], 3 * args.files, whole / 1e6)
    print(f"{'parity rerun (nothing to copy)':<44} {times['parity_rerun']:7.2f} s")
    print(f"{'rsync --files-from rerun':<44} {times['rsync_rerun']:7.2f} s")
    print(f"{'referenced set from attachment meta (pure)':<44} {scan:7.2f} s")
    same = times["rsync_list"] / times["parity"]
    third = times["rsync_tree"] / times["parity"]
    print(f"ratio rsync(same set) / parity: {same:.2f}x (goal >= 0.8x)")
    print(f"ratio rsync(whole tree) / parity: {third:.2f}x (goal >= 5x)")


if __name__ == "__main__":
    main()
