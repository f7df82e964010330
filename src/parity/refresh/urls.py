"""The search/replace pairs of a refresh: the source URL in every form users store.

WordPress and its users store a site's URL as ``https://host``, ``http://host`` (old
links), ``//host`` (scheme-less), with or without ``www.``, with or without a trailing
slash. Each form becomes one pair whose replacement is the target's URL in the same
shape; the rewrite engine then finds each pair in every encoding (JSON, block
attributes, URL-encoded) and inside serialized data. Pure code.

>>> for pair in url_pairs("https://example.com", "https://staging.example.com"):
...     print(pair)
('https://www.example.com', 'https://staging.example.com')
('http://www.example.com', 'https://staging.example.com')
('https://example.com', 'https://staging.example.com')
('http://example.com', 'https://staging.example.com')
('//www.example.com', '//staging.example.com')
('//example.com', '//staging.example.com')
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

__all__ = ["refresh_pairs", "url_pairs", "url_variants"]


def _is_address(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def url_variants(url: str) -> list[str]:
    """The forms of ``url`` people store, without scheme-less ones, longest host first.

    >>> url_variants("http://127.0.0.1:8081")
    ['http://127.0.0.1:8081', 'https://127.0.0.1:8081']
    """
    parts = urlsplit(url.rstrip("/"))
    host = parts.hostname or ""
    netloc = parts.netloc
    path = parts.path
    hosts = [netloc]
    if not _is_address(host):
        if host.startswith("www."):
            hosts.append(netloc.replace("www.", "", 1))
        else:
            hosts.insert(0, "www." + netloc)
    schemes = [parts.scheme] + [s for s in ("https", "http") if s != parts.scheme]
    return [f"{scheme}://{h}{path}" for h in hosts for scheme in schemes]


def url_pairs(source_url: str, target_url: str) -> list[tuple[str, str]]:
    """Pairs mapping every stored form of ``source_url`` to ``target_url``.

    ``http://`` and ``https://`` forms both become the target's URL as configured; the
    scheme-less ``//host`` forms become ``//`` + the target's host and path. A trailing
    slash needs no pair of its own: the pair without it matches and the slash stays.
    """
    target = target_url.rstrip("/")
    target_parts = urlsplit(target)
    schemeless_target = f"//{target_parts.netloc}{target_parts.path}"
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for form in url_variants(source_url):
        if form not in seen and form != target:
            seen.add(form)
            pairs.append((form, target))
    for form in url_variants(source_url):
        schemeless = "//" + form.split("://", 1)[1]
        if schemeless not in seen and schemeless != schemeless_target:
            seen.add(schemeless)
            pairs.append((schemeless, schemeless_target))
    return pairs


def refresh_pairs(
    source_url: str,
    target_url: str,
    *,
    source_content_dir: str | None = None,
    target_content_dir: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """Every pair a refresh applies: URLs, the uploads path, then the policy's extra pairs.

    The absolute wp-content path is replaced when both environments name theirs and they
    differ (``upload_path`` and plugin caches store it). A later pair whose search string
    is already taken is dropped, so the URL pairs always win.
    """
    pairs = url_pairs(source_url, target_url)
    if source_content_dir and target_content_dir:
        src = source_content_dir.rstrip("/")
        dst = target_content_dir.rstrip("/")
        if src != dst:
            pairs.append((src, dst))
    taken = {search for search, _ in pairs}
    for search, replace in extra:
        if search not in taken and search != replace:
            taken.add(search)
            pairs.append((search, replace))
    return pairs
