"""The sync's work on real folders and a real SQLite ledger: files land whole under their
name with the source's time, a rerun copies nothing, a differing file is compared by
hash, a file the source lost is not a failure, and the write guard refuses a folder of
a protected environment however it is spelled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parity.environments import EnvironmentSettings
from parity.errors import ProtectedEnvironment
from parity.jobs.runner import InProcessRunner
from parity.media.referenced import Reference
from parity.media.sources import LocalSource
from parity.media.sync import FileState, SyncPlan, SyncWork, decide, media_sync_job
from parity.store import Store
from parity.targets.uploads import PARTIAL_DIR, Uploads


def _env(name: str, uploads: Path, *, protected: bool = False) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": name,
            "url": f"http://{name}.test",
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "uploads_path": str(uploads),
            "protected": protected,
        }
    )


def _sync(store: Store, source: Path, target: Path, paths: list[str]) -> SyncWork:
    origin = LocalSource(Uploads(_env("production", source), source))
    into = Uploads(_env("staging", target), target)
    plan = SyncPlan()
    facts = origin.facts(paths)
    for path in paths:
        here = into.facts(path)
        plan.files.append(
            FileState(
                Reference(path, "attached", "test"), facts[path], here, decide(facts[path], here)
            )
        )
    work = SyncWork(plan, origin, into, source_name="production", concurrency=3)
    record = InProcessRunner(store).run(
        media_sync_job("me", "production", "staging"), work, recheck=True
    )
    assert record.error is None and record.ok, record
    return work


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    source, target = tmp_path / "production", tmp_path / "staging"
    for number in range(12):
        path = source / "2024" / f"{number % 3 + 1:02d}" / f"p{number}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(100 + number * 37))
    target.mkdir()
    return source, target


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_referenced_files_land_whole_with_the_source_time_and_a_rerun_copies_nothing(
    store: Store, folders: tuple[Path, Path]
) -> None:
    source, target = folders
    paths = _files(source)[:8]
    work = _sync(store, source, target, [*paths, "2024/09/gone.png"])
    assert sorted(path for path, _ in work.outcome.copied) == paths
    assert _files(target) == paths  # only the referenced ones; no partial folder left
    for path in paths:
        assert (target / path).read_bytes() == (source / path).read_bytes()
        assert (target / path).stat().st_mtime_ns == (source / path).stat().st_mtime_ns
    again = _sync(store, source, target, paths)
    assert again.outcome.copied == []


def test_a_file_of_the_same_size_and_another_time_is_compared_by_hash(
    store: Store, folders: tuple[Path, Path]
) -> None:
    source, target = folders
    path = _files(source)[0]
    _sync(store, source, target, [path])
    os.utime(target / path, ns=(1, 1))  # same bytes, another time: compared, not copied
    same = _sync(store, source, target, [path])
    assert same.outcome.same == [path] and same.outcome.copied == []
    data = bytearray((target / path).read_bytes())
    data[0] ^= 0xFF
    (target / path).write_bytes(bytes(data))
    os.utime(target / path, ns=(1, 1))
    changed = _sync(store, source, target, [path])
    assert [p for p, _ in changed.outcome.copied] == [path]
    assert (target / path).read_bytes() == (source / path).read_bytes()


def test_partial_files_of_a_killed_run_are_removed_by_the_next(
    store: Store, folders: tuple[Path, Path]
) -> None:
    source, target = folders
    (target / PARTIAL_DIR).mkdir()
    (target / PARTIAL_DIR / "abc-p1.png").write_bytes(b"half")
    work = _sync(store, source, target, _files(source)[:2])
    assert work.outcome.cleaned_partials == 1
    assert not (target / PARTIAL_DIR).exists()


def test_the_guard_refuses_a_folder_inside_or_aliasing_a_protected_one(tmp_path: Path) -> None:
    production = tmp_path / "prod" / "uploads"
    production.mkdir(parents=True)
    alias = tmp_path / "alias"
    alias.symlink_to(production)
    settings_prod = _env("production", production, protected=True)
    for where in (alias, production / "2024", tmp_path / "prod"):
        staging = _env("staging", where)
        staging._protected_peers = (settings_prod,)
        with pytest.raises(ProtectedEnvironment, match="production"):
            Uploads(staging, where).check_writable("copy uploads from production")
    elsewhere = _env("staging", tmp_path / "stage")
    elsewhere._protected_peers = (settings_prod,)
    Uploads(elsewhere, tmp_path / "stage").check_writable("copy uploads from production")
