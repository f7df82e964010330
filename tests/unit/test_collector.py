"""The collector held back during bulk work, and put back as it was afterwards."""

from __future__ import annotations

import gc
import threading

from parity.collector import collector_paused, fewer_collections


def test_fewer_collections_raises_the_threshold_and_puts_it_back() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= 10_000
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_pause_nested_in_fewer_collections_turns_the_collector_back_on_when_it_ends() -> None:
    with fewer_collections():
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
    assert gc.isenabled()


def test_pauses_on_two_threads_end_with_the_collector_on() -> None:
    inside = threading.Barrier(2)
    leave = threading.Event()

    def sync() -> None:
        with collector_paused():
            inside.wait()
            leave.wait()

    other = threading.Thread(target=sync)
    other.start()
    with collector_paused():
        inside.wait()
        leave.set()
        other.join()
        assert not gc.isenabled()  # this thread's block still runs
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
