"""The refresh's records in the state store: runs, checkpoints, rollback points."""

from __future__ import annotations

from datetime import UTC, datetime

from parity.refresh import checkpoints as cp
from parity.store import Store


def _run(run_id: str, status: str = "running") -> cp.RunRecord:
    return cp.RunRecord(
        id=run_id,
        source="production",
        target="staging",
        target_key="k",
        owner="host:1:" + run_id,
        fingerprint="f",
        token="ab12",
        status=status,
        stage="cleanup",
        started_at=datetime.now(UTC),
    )


def test_unfinished_runs_are_running_or_stopped_ones_of_the_same_target(store: Store) -> None:
    cp.start_run(store, _run("a"))
    cp.start_run(store, _run("b"))
    cp.finish_run(store, "b", "completed", summary={"rows": 3}, stage="done")
    cp.start_run(store, _run("c"))
    cp.finish_run(store, "c", "stopped", error="lost connection")
    assert {r.id for r in cp.unfinished_runs(store, "k")} == {"a", "c"}
    assert cp.unfinished_runs(store, "other") == []
    done = next(r for r in cp.list_runs(store) if r.id == "b")
    assert done.summary == {"rows": 3} and done.stage == "done" and done.finished_at


def test_checkpoints_keep_binary_keys_and_stats(store: Store) -> None:
    cp.save_checkpoint(
        store, "a", "wp_posts", status="copying", last_key=(b"\x00\xff", b"7"), stats={"rows": 5}
    )
    cp.save_checkpoint(store, "a", "wp_posts", status="copied", last_key=(b"9",), stats={"rows": 9})
    found = cp.load_checkpoints(store, "a")
    assert found["wp_posts"].status == "copied"
    assert found["wp_posts"].last_key == (b"9",)
    cp.save_checkpoint(store, "a", "wp_x", status="copying", last_key=(b"\x00\xff", b"7"), stats={})
    assert cp.load_checkpoints(store, "a")["wp_x"].last_key == (b"\x00\xff", b"7")
    cp.delete_checkpoints(store, "a")
    assert cp.load_checkpoints(store, "a") == {}


def test_rollback_points_are_listed_newest_first_by_status(store: Store) -> None:
    first = cp.add_rollback_point(
        store,
        run_id="a",
        target="staging",
        target_key="k",
        token="aaaa",
        tables=[("wp_posts", "_poaaaa_wp_posts")],
    )
    second = cp.add_rollback_point(
        store, run_id="b", target="staging", target_key="k", token="bbbb", tables=[("wp_new", None)]
    )
    cp.set_rollback_status(store, first, "active")
    cp.set_rollback_status(store, second, "active")
    points = cp.list_rollback_points(store, target_key="k", statuses=["active"])
    assert [p.token for p in points] == ["bbbb", "aaaa"]
    assert points[0].tables == (("wp_new", None),)
    assert points[1].as_dict()["tables"] == [
        {"table": "wp_posts", "rollback_table": "_poaaaa_wp_posts"}
    ]
    cp.set_rollback_status(store, first, "dropped")
    assert [
        p.token for p in cp.list_rollback_points(store, target="staging", statuses=["active"])
    ] == ["bbbb"]
