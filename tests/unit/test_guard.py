"""The write guard refuses every write path to a protected environment."""

from __future__ import annotations

import httpx
import pytest

from parity.config import EnvironmentSettings
from parity.errors import ProtectedEnvironment
from parity.targets.guard import ensure_writable
from parity.targets.site import Site


def make_env(*, protected: bool) -> EnvironmentSettings:
    return EnvironmentSettings.model_validate(
        {
            "name": "production" if protected else "staging",
            "url": "http://127.0.0.1:1",
            "db": "mysql://u:p@127.0.0.1:1/wp",
            "protected": protected,
        }
    )


def test_guard_refuses_protected_environment_and_names_it() -> None:
    with pytest.raises(ProtectedEnvironment) as info:
        ensure_writable(make_env(protected=True), "rewrite wp_options")
    assert "production" in info.value.one_line()
    assert "rewrite wp_options" in info.value.one_line()
    assert info.value.exit_code == 2


def test_guard_allows_unprotected_environment() -> None:
    assert ensure_writable(make_env(protected=False), "rewrite wp_options") is None


def test_site_write_to_protected_environment_sends_no_request() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201)

    with (
        Site(make_env(protected=True), transport=httpx.MockTransport(handler)) as site,
        pytest.raises(ProtectedEnvironment),
    ):
        site.write("POST", "/wp-json/wp/v2/posts", action="create a post")
    assert sent == []


def test_site_write_to_unprotected_environment_goes_through() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(201)

    with Site(make_env(protected=False), transport=httpx.MockTransport(handler)) as site:
        response = site.write("POST", "/wp-json/wp/v2/posts", action="create a post")
    assert response.status_code == 201
    assert [r.method for r in sent] == ["POST"]
