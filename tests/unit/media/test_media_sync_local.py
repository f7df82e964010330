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
from parity.jobs.model import PendingItem
from parity.jobs.records import JobRecords
from parity.jobs.runner import InProcessRunner
from parity.media.referenced import Reference
from parity.media.sources import LocalSource
from parity.media.sync import FileState, SyncPlan, SyncWork, decide, media_sync_job, plan_files
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


def test_the_ledger_holds_one_item_per_batch_and_a_failed_file_fails_only_its_batch(
    store: Store, folders: tuple[Path, Path]
) -> None:
    source, target = folders
    paths = _files(source)[:8]  # 2024/01 (four files), then 2024/02 (four)
    blocked = "2024/02/p4.png"
    assert blocked in paths[4:]
    (target / blocked).mkdir(parents=True)  # a folder where the file goes: cannot be put
    origin = LocalSource(Uploads(_env("production", source), source))
    into = Uploads(_env("staging", target), target)
    refs = [Reference(path, "attached", "test") for path in paths]
    plan = plan_files(refs, origin.facts(paths), into.facts_many(paths))
    work = SyncWork(plan, origin, into, source_name="production", concurrency=1, batch_size=4)
    record = InProcessRunner(store).run(
        media_sync_job("me", "production", "staging"), work, recheck=True
    )
    assert not record.ok
    items = JobRecords(store).items(record.id)
    assert [(item.key, str(item.status), item.action) for item in items] == [
        ("2024/01/p0.png and 3 more (batch 1)", "done", "copied"),
        ("2024/02/p1.png and 3 more (batch 2)", "failed", "copy"),
    ]
    assert (items[1].error or "").startswith(f"1 of 4 files failed; {blocked}: ")
    assert sorted(path for path, _ in work.outcome.copied) == sorted(set(paths) - {blocked})
    assert [path for path, _ in work.outcome.failed] == [blocked]


def test_a_pending_batch_is_settled_as_not_done_and_a_pending_file_from_the_disk(
    folders: tuple[Path, Path],
) -> None:
    source, target = folders
    path = _files(source)[0]
    (target / path).parent.mkdir(parents=True)
    (target / path).write_bytes((source / path).read_bytes())
    info = (source / path).stat()
    os.utime(target / path, ns=(info.st_mtime_ns, info.st_mtime_ns))
    work = SyncWork(
        SyncPlan(),
        LocalSource(Uploads(_env("production", source), source)),
        Uploads(_env("staging", target), target),
        source_name="production",
        concurrency=1,
    )
    pending = [
        PendingItem(1, 1, path, f"{info.st_size}:{info.st_mtime_ns}", "copy", path, None),
        PendingItem(2, 1, "2024/02/x.png", "5:5", "copy", "2024/02/x.png", None),
        PendingItem(3, 1, f"{path} and 9 more (batch 2)", "files:10:ab12", "copy", None, None),
    ]
    results = work.recover(pending, _NoLog())
    assert [result.ok for result in results] == [True, False, False]
    assert work.outcome.recovered == 1


class _NoLog:
    def info(self, message: str) -> None:
        """Nothing."""

    def warning(self, message: str) -> None:
        """Nothing."""

    def error(self, message: str) -> None:
        """Nothing."""
