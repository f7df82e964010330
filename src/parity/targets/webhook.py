"""A webhook: one JSON POST with a total deadline, its failure said in words.

Only targets/ talks to httpx; the monitor's alert sender posts through here. The
transport is swappable (``httpx.MockTransport`` in unit tests, a real local receiver in
integration tests). The URL is never put in the returned reason (it may carry a token).

>>> post_json("http://127.0.0.1:9/hook", {"a": 1}, timeout_s=0.5) is not None
True
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["post_json"]


def post_json(
    url: str,
    body: dict[str, Any],
    *,
    timeout_s: float,
    transport: httpx.BaseTransport | None = None,
) -> str | None:
    """POST ``body`` as JSON to ``url``; None when it was taken (2xx), else why not."""
    try:
        with httpx.Client(transport=transport, timeout=httpx.Timeout(timeout_s)) as client:
            response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        return f"no answer ({exc.__class__.__name__})"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"
