"""Every API shape is in docs/json-output.md: the top-level keys of each response are
exactly those on its section's ``Top-level keys:`` line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from parity.config import settings_from_mapping
from parity.store import Store
from parity.web import create_app

DOC = Path(__file__).resolve().parents[3] / "docs" / "json-output.md"
_HEADING = re.compile(r"^#{2,3} (?P<title>.+?)\s*$")
_KEYS = re.compile(r"^Top-level keys: (?P<keys>.+)$")


def documented() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    title = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if heading := _HEADING.match(line):
            title = heading["title"]
        elif (keys := _KEYS.match(line)) and title is not None:
            sections[title] = re.findall(r"`([^`]+)`", keys["keys"])
    return sections


CASES = [
    ("status", "/api/status"),
    ("GET /api/checks/ENV/NAME", "/api/checks/staging/home"),
    ("GET /api/deploys", "/api/deploys"),
    ("GET /api/maintenance", "/api/maintenance"),
    ("GET /api/alerts", "/api/alerts"),
    ("GET /api/workers", "/api/workers"),
    ("GET /healthz", "/healthz"),
]


@pytest.mark.parametrize(("title", "path"), CASES, ids=[t for t, _ in CASES])
def test_api_response_has_the_documented_top_level_keys(
    title: str, path: str, tmp_path: Path, store: Store
) -> None:
    env = {"url": "http://staging.test", "db": "mysql://wp:pw@127.0.0.1:3307/wp"}
    settings = settings_from_mapping({"environments": {"staging": env}}, tmp_path / "p.toml", {})
    with TestClient(create_app(settings, store=store)) as client:
        body = client.get(path).json()
    assert list(body) == documented()[title]
    assert body["schema_version"] == 1 and "ok" in body


def test_a_maintenance_write_has_the_documented_top_level_keys(
    tmp_path: Path, store: Store
) -> None:
    env = {"url": "http://staging.test", "db": "mysql://wp:pw@127.0.0.1:3307/wp"}
    settings = settings_from_mapping({"environments": {"staging": env}}, tmp_path / "p.toml", {})
    with TestClient(create_app(settings, store=store, token="t")) as client:
        body = client.post(
            "/api/maintenance",
            json={"environment": "staging", "duration": 60},
            headers={"Authorization": "Bearer t"},
        ).json()
    assert list(body) == documented()["maintenance"]
