"""The status report kept in memory by the web app, rebuilt when something changed.

Building the four answers reads the states, the sparklines, the markers, the drift, the
job ledger and the windows: about 10-15 ms of queries over a month of history. Nothing
in it changes between two probes, so ``/api/status`` and the dashboard serve the report
built last (its ``generated_at`` says when) and rebuild it:

* when the running service says it stored something (:meth:`StatusCache.changed`: a
  probe landed, drift or WordPress cron was read), at most once per ``settle_s``;
* at once after a write through the app (:meth:`StatusCache.invalidate`);
* when the report is ``max_age_s`` old (what other processes write: ``parity deploy
  mark``, job runs), or when a maintenance window it shows has ended.

Example::

    cache = StatusCache(lambda: build_status(settings, store), max_age_s=30.0)
    body = cache.json()  # bytes of the JSON report, built once per change
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from parity.monitor.status import StatusReport

__all__ = ["StatusCache"]


class StatusCache:
    """The last :class:`StatusReport` and its JSON, rebuilt only when stale."""

    def __init__(
        self,
        build: Callable[[], StatusReport],
        *,
        max_age_s: float,
        settle_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._build = build
        self.max_age_s = max_age_s
        self.settle_s = settle_s
        self._clock = clock
        self._lock = threading.Lock()
        self._report: StatusReport | None = None
        self._json: dict[str | None, bytes] = {}
        self._built_at = 0.0
        self._expires_at = 0.0
        self._changed = False

    def changed(self) -> None:
        """Something the report shows was stored: rebuild once ``settle_s`` has passed
        since the last build (many probes landing make one rebuild, not one each)."""
        self._changed = True

    def invalidate(self) -> None:
        """Rebuild at the next read."""
        self._expires_at = 0.0

    def _stale(self, now: float) -> bool:
        if self._report is None or now >= self._expires_at:
            return True
        return self._changed and now - self._built_at >= self.settle_s

    def report(self) -> StatusReport:
        """The current report (built now if the kept one is stale)."""
        with self._lock:
            now = self._clock()
            if not self._stale(now) and self._report is not None:
                return self._report
            self._changed = False
            report = self._build()
            expires = now + self.max_age_s
            for env in report.environments:
                if env.maintenance_until is not None:
                    left = (env.maintenance_until - report.generated_at).total_seconds()
                    expires = min(expires, now + max(left, 0.0))
            self._report, self._json = report, {}
            self._built_at, self._expires_at = now, expires
            return report

    def json(self, environment: str | None = None) -> bytes:
        """The report as ``/api/status`` sends it (of one environment, or all)."""
        report = self.report()
        with self._lock:
            found = self._json.get(environment) if report is self._report else None
        if found is not None:
            return found
        if environment is not None:
            mine = [e for e in report.environments if e.environment == environment]
            report = StatusReport(report.generated_at, mine)
        # Encoded as Starlette's JSONResponse does.
        body = json.dumps(
            report.as_dict(), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
        with self._lock:
            if self._report is not None and self._report.generated_at == report.generated_at:
                self._json[environment] = body
        return body
