"""Observations: the cache status, rule and Age of a response; cookie names, never values."""

from __future__ import annotations

import httpx
import pytest

from parity.cache.observe import cache_status, observe


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Cache": "HIT"}, "HIT"),
        ({"X-Cache": "MISS"}, "MISS"),
        ({"X-Cache": "PASS"}, "PASS"),
        ({"x-cache": "BYPASS"}, "PASS"),
        ({"X-Cache": "EXPIRED"}, "MISS"),
        ({"X-Cache": "STALE"}, "HIT"),
        ({"X-Cache": "HIT from cloudfront"}, "HIT"),
        ({"X-Cache": "MISS", "Age": "40"}, "MISS"),
        ({"Age": "40"}, "HIT"),
        ({"Age": "0"}, None),
        ({}, None),
        ({"X-Cache": "WEIRD"}, None),
    ],
)
def test_cache_status_from_headers(headers: dict[str, str], status: str | None) -> None:
    assert cache_status(headers) == status


def test_observe_keeps_cookie_names_and_drops_their_values() -> None:
    response = httpx.Response(
        200,
        headers=[
            ("X-Cache", "MISS"),
            ("X-Cache-Rule", "everything-else"),
            ("Age", "0"),
            ("Set-Cookie", "sid=secret-value; path=/"),
            ("Set-Cookie", "wp_lang=en_US"),
            ("Cache-Control", "max-age=60"),
        ],
        text="<p>page body</p>",
    )
    obs = observe(response, method="GET", url="/x/", seconds=0.25)
    assert (obs.cache, obs.rule, obs.age, obs.set_cookies) == (
        "MISS",
        "everything-else",
        0,
        ("sid", "wp_lang"),
    )
    data = obs.as_dict()
    assert "secret-value" not in str(data) and "page body" not in str(data)
    assert obs.response_headers["Cache-Control"] == "max-age=60"
    assert "secret-value" not in obs.response_headers["Set-Cookie"]
    assert obs.label() == "MISS age 0"


def test_labels_name_server_errors() -> None:
    response = httpx.Response(502, headers={"X-Cache": "PASS"})
    assert observe(response, method="GET", url="/").label() == "PASS (HTTP 502)"
