"""The FastAPI app in-process: one error shape, writes need the token, metrics parse,
the OpenAPI document validates, the dashboard answers four questions per environment,
and no secret appears in any page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from parity.config import Settings, settings_from_mapping
from parity.monitor.conditions import ConditionResult
from parity.monitor.records import MonitorRecords, ProbeResult
from parity.monitor.state import CheckState
from parity.store import Store
from parity.web import create_app

DB_SECRET = "db-Secret-123"
WP_SECRET = "wp-Secret-456"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    env = {
        "url": "http://staging.test",
        "db": f"mysql://wp:{DB_SECRET}@127.0.0.1:3307/wp",
        "login": {"user": "bot", "password": WP_SECRET},
        "cache": {"kind": "varnish"},
    }
    data = {"environments": {"staging": env, "production": {**env, "protected": True}}}
    return settings_from_mapping(data, tmp_path / "parity.toml", env={})


def seed(store: Store, *, down: bool = False) -> None:
    records = MonitorRecords(store)
    now = datetime.now(UTC)
    for i in range(5):
        records.add_result(
            ProbeResult(
                "staging/home",
                "staging",
                now - timedelta(seconds=5 - i),
                not down,
                502 if down else 200,
                0.02 + i / 1000,
                "HIT",
                None,
                (ConditionResult("status == 200", not down, "200", "status was 200"),),
            )
        )
    state = CheckState("down", failures=3, reason="status was 502") if down else CheckState("up")
    records.save_state("staging/home", "staging", state, CheckState("up"), None, now)


def client(settings: Settings, store: Store, token: str | None = None) -> TestClient:
    return TestClient(create_app(settings, store=store, token=token))


def test_healthz_says_the_service_runs(settings: Settings, store: Store) -> None:
    with client(settings, store) as c:
        body = c.get("/healthz").json()
    assert body["ok"] is True and body["schema_version"] == 1
    assert body["scheduler"] == "off"
    assert body["checks"] == 12  # six defaults for each of two environments


def test_api_status_answers_four_questions_per_environment(
    settings: Settings, store: Store
) -> None:
    seed(store)
    with client(settings, store) as c:
        body = c.get("/api/status").json()
    assert body["schema_version"] == 1 and body["ok"] is True
    assert [e["environment"] for e in body["environments"]] == ["production", "staging"]
    staging = body["environments"][1]
    assert list(staging["answers"]) == ["up", "slow", "jobs", "deploy"]
    home = next(c for c in staging["checks"] if c["name"] == "home")
    assert home["health"] == "up" and len(home["recent_ms"]) == 5


def test_a_down_check_makes_status_red_and_not_ok(settings: Settings, store: Store) -> None:
    seed(store, down=True)
    with client(settings, store) as c:
        body = c.get("/api/status", params={"environment": "staging"}).json()
    answer = body["environments"][0]["answers"]["up"]
    assert body["ok"] is False
    assert answer["level"] == "red" and "home (status was 502)" in answer["reason"]


def test_every_error_has_the_one_shape(settings: Settings, store: Store) -> None:
    with client(settings, store) as c:
        missing = c.get("/api/checks/staging/nope")
        unknown_env = c.get("/api/status", params={"environment": "qa"})
        bad_query = c.get("/api/alerts", params={"limit": "many"})
        no_route = c.get("/api/nothing")
    for response, status in ((missing, 404), (unknown_env, 404), (bad_query, 422), (no_route, 404)):
        body = response.json()
        assert response.status_code == status
        assert set(body) == {"schema_version", "ok", "error", "status"}
        assert body["ok"] is False and body["status"] == status


def test_writes_need_the_token(settings: Settings, store: Store) -> None:
    window = {"environment": "staging", "duration": "15m", "reason": "test"}
    with client(settings, store) as c:
        assert c.post("/api/maintenance", json=window).status_code == 403
    with client(settings, store, token="t0ken") as c:
        assert c.post("/api/maintenance", json=window).status_code == 401
        wrong = c.post("/api/maintenance", json=window, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401
        done = c.post("/api/maintenance", json=window, headers={"Authorization": "Bearer t0ken"})
        assert done.status_code == 201
        assert done.json()["window"]["environment"] == "staging"
        listed = c.get("/api/maintenance").json()["windows"]
    assert listed[0]["active"] is True
    status = TestClient(create_app(settings, store=store)).get("/api/status").json()
    staging = status["environments"][1]
    assert staging["maintenance_until"] is not None


def test_status_is_served_as_built_until_a_write_through_the_app(
    settings: Settings, store: Store
) -> None:
    seed(store)
    window = {"environment": "staging", "duration": "15m", "reason": "test"}
    with client(settings, store, token="t0ken") as c:
        first = c.get("/api/status").json()
        again = c.get("/api/status").json()
        done = c.post("/api/maintenance", json=window, headers={"Authorization": "Bearer t0ken"})
        after = c.get("/api/status", params={"environment": "staging"}).json()
    assert done.status_code == 201
    assert again["generated_at"] == first["generated_at"]  # the kept report, not rebuilt
    assert first["environments"][1]["maintenance_until"] is None
    assert after["environments"][0]["maintenance_until"] is not None


def test_metrics_parse_with_prometheus_clients_own_parser(settings: Settings, store: Store) -> None:
    seed(store)
    with client(settings, store) as c:
        text = c.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {"probe_success", "probe_duration_seconds", "parity_answer_level"} <= set(families)
    [sample] = [s for s in families["probe_success"].samples if s.labels["check"] == "home"]
    assert sample.labels == {"environment": "staging", "check": "home"}
    assert sample.value == 1.0


def test_the_openapi_document_validates(settings: Settings, store: Store) -> None:
    with client(settings, store) as c:
        document = c.get("/openapi.json").json()
        assert c.get("/docs").status_code == 200
    validate(document)
    assert "/api/status" in document["paths"] and "/api/deploys" in document["paths"]


def test_the_dashboard_shows_four_answers_per_environment_and_links_checks(
    settings: Settings, store: Store
) -> None:
    seed(store)
    with client(settings, store) as c:
        html = c.get("/").text
        page = c.get("/checks/staging/home")
    assert html.count('data-question="up"') == 2 and html.count('data-question="deploy"') == 2
    assert 'href="/checks/staging/home"' in html
    assert "<svg" in html and "<script" not in html
    assert page.status_code == 200 and "status == 200" in page.text


def test_no_secret_in_any_page(settings: Settings, store: Store) -> None:
    seed(store)
    with client(settings, store) as c:
        bodies = [
            c.get(p).text
            for p in (
                "/",
                "/api/status",
                "/metrics",
                "/healthz",
                "/checks/staging/admin",
                "/openapi.json",
            )
        ]
    for body in bodies:
        assert DB_SECRET not in body and WP_SECRET not in body
