"""Sparklines as inline SVG, rendered on the server (no JavaScript).

>>> sparkline([]).startswith("<svg")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["sparkline"]


def sparkline(
    values: Sequence[float], *, width: int = 160, height: int = 28, label: str = ""
) -> str:
    """A polyline of ``values`` (oldest first) scaled to the box; empty box when none."""
    title = f"<title>{escape(label)}</title>" if label else ""
    head = (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(label or "latency")}">{title}'
    )
    if len(values) < 2:
        return head + "</svg>"
    top = max(values) or 1.0
    step = (width - 2) / (len(values) - 1)
    points = " ".join(
        f"{1 + i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    return (
        head
        + '<polyline fill="none" stroke="currentColor" stroke-width="1.5"'
        + f' points="{points}"/></svg>'
    )
