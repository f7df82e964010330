"""A webhook POST says in words why it was not taken, never naming its URL."""

from __future__ import annotations

import json

import httpx

from parity.targets.webhook import post_json

URL = "http://hooks.test/alert?token=s3cret-hook"


def test_a_2xx_answer_is_taken_and_the_body_is_the_json_sent() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(204)

    assert (
        post_json(URL, {"state": "down"}, timeout_s=1, transport=httpx.MockTransport(handler))
        is None
    )
    assert json.loads(seen[0]) == {"state": "down"}


def test_a_refusal_or_no_answer_is_said_without_the_url() -> None:
    refused = post_json(
        URL, {}, timeout_s=1, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )
    assert refused == "HTTP 500"

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    silent = post_json(URL, {}, timeout_s=1, transport=httpx.MockTransport(hang))
    assert silent == "no answer (ConnectTimeout)"
    assert "s3cret" not in f"{refused}{silent}"
