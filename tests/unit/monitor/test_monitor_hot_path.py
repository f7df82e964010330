"""What keeps a probe cheap: anonymous probes keep their connection alive, a probe's
commit leaves the store's settings as they were, the service reads maintenance windows
once (and again after a write) and says when it stored something."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from parity.config import Settings, settings_from_mapping
from parity.monitor.markers import open_maintenance
from parity.monitor.probe import Prober
from parity.monitor.records import MonitorRecords, ProbeResult
from parity.monitor.service import MonitorService
from parity.monitor.state import CheckState
from parity.store import Store, open_store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class CountingServer(http.server.ThreadingHTTPServer):
    connections = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        assert isinstance(self.server, CountingServer)
        self.server.connections += 1

    def do_GET(self) -> None:
        body = b"<p>ok</p>"
        self.send_response(200)
        self.send_header("X-Cache", "HIT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[CountingServer]:
    server = CountingServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def settings_on(tmp_path: Path, url: str) -> Settings:
    home = {"name": "home", "env": "staging", "route": "/", "conditions": ["status == 200"]}
    data = {
        "environments": {"staging": {"url": url, "db": "mysql://wp:pw@127.0.0.1:3307/wp"}},
        "monitor": {"defaults": False, "checks": [home, {**home, "name": "b", "route": "/b/"}]},
    }
    return settings_from_mapping(data, tmp_path / "parity.toml", env={})


def test_anonymous_probes_keep_one_connection_alive(tmp_path: Path, site: CountingServer) -> None:
    settings = settings_on(tmp_path, f"http://127.0.0.1:{site.server_address[1]}")
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    service = MonitorService(settings, store)
    try:
        for _ in range(3):
            for check in service.checks:
                assert service.run_check(check).ok
    finally:
        service.close()
        store.close()
    assert site.connections == 1


def test_a_probes_commit_leaves_the_connections_synchronous_setting(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    records = MonitorRecords(store)
    probe = ProbeResult("staging/home", "staging", T0, True, 200, 0.02, "HIT", None, ())
    try:
        with store.engine.connect() as conn:
            before = conn.execute(text("PRAGMA synchronous")).scalar_one()
        records.record_probe(probe, CheckState("up"), CheckState("up"), None)
        with store.engine.connect() as conn:
            after = conn.execute(text("PRAGMA synchronous")).scalar_one()
        assert records.recent_results("staging/home")[0].http_status == 200
    finally:
        store.close()
    assert after == before


def test_a_window_opened_through_the_app_is_seen_by_the_next_probe(
    tmp_path: Path, store: Store
) -> None:
    settings = settings_on(tmp_path, "http://staging.test")
    site = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
    changes: list[int] = []
    service = MonitorService(
        settings,
        store,
        prober=Prober(settings, transport=site),
        clock=lambda: T0,
        on_change=lambda: changes.append(1),
    )
    service.run_check(service.checks[0])
    assert service.maintenance_until("staging", T0) is None
    open_maintenance(store, "staging", 600, reason="refresh", source="api", now=T0)
    service.invalidate_windows()
    assert service.maintenance_until("staging", T0) == T0 + timedelta(seconds=600)
    assert changes == [1]  # the probe stored said so
