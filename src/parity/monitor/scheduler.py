"""An in-process scheduler: each task every ``interval_s``, at most one run of a task at a
time, on a small thread pool so a slow probe never delays the others.

A task that overruns its interval is not started twice: its next run is due one interval
after the late one began. ``clock`` and ``wait`` are injectable (tests drive time by hand).

Example::

    scheduler = Scheduler([Task("staging/home", 30.0, run_home)], workers=4)
    scheduler.start()
    ...
    scheduler.stop()
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

__all__ = ["Scheduler", "Task"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """Something to run every ``interval_s`` seconds (the first run at ``delay_s``)."""

    name: str
    interval_s: float
    run: Callable[[], object]
    delay_s: float = 0.0


class Scheduler:
    """Runs tasks on their intervals until stopped."""

    def __init__(
        self,
        tasks: Sequence[Task],
        *,
        workers: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tasks = {t.name: t for t in tasks}
        self.clock = clock
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parity-check")
        self._running: dict[str, Future[object]] = {}
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = {name: 0 for name in self.tasks}
        self.errors: dict[str, int] = {name: 0 for name in self.tasks}

    def start(self) -> None:
        """Start the loop in a background thread."""
        self._thread = threading.Thread(target=self.loop, name="parity-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop starting tasks, and wait up to ``timeout`` seconds for running ones."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, task: Task) -> object:
        try:
            return task.run()
        except Exception:  # a task's failure must never stop the scheduler
            self.errors[task.name] += 1
            log.exception("task %s failed", task.name)
            return None
        finally:
            self.runs[task.name] += 1

    def loop(self) -> None:
        """Run due tasks until :meth:`stop`."""
        start = self.clock()
        due: list[tuple[float, str]] = [(start + t.delay_s, t.name) for t in self.tasks.values()]
        heapq.heapify(due)
        while not self._stop.is_set() and due:
            when, name = due[0]
            now = self.clock()
            if when > now:
                self._stop.wait(min(when - now, 1.0))
                continue
            heapq.heappop(due)
            task = self.tasks[name]
            running = self._running.get(name)
            if running is None or running.done():
                self._running[name] = self._pool.submit(self._run, task)
            following = when + task.interval_s
            if following <= now:  # late: one interval after this run, not a burst
                following = now + task.interval_s
            heapq.heappush(due, (following, name))
