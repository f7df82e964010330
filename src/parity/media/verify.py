"""``parity media verify``: crawl a site's pages anonymously and check every image on them.

From the home page, pages of the same site are visited breadth first (not the
dashboard, login, feeds, REST API, search or files) until ``pages`` HTML pages were
read. On each, every ``<img src>``, ``srcset`` entry (``<img>`` and ``<picture><source>``)
and link to an uploads file is collected; each distinct one is asked for once
(``HEAD``, or ``GET`` when the server refuses ``HEAD``), ``concurrency`` at a time. It
is broken unless it answers 200 with an ``image/*`` content type (a linked upload that
is not an image, a PDF, only needs the 200). Each broken one is reported with the first
page it was found on. Images on other hosts are counted per host, not fetched.

    report = verify_media(settings.environment("staging"), pages=20, concurrency=8)
    report.ok, [b.url for b in report.broken]
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from parity.environments import EnvironmentSettings
from parity.errors import ParityError
from parity.media.pages import Asset, parse_page
from parity.media.report import BrokenAsset, VerifyReport
from parity.targets.site import Site

__all__ = ["SKIPPED_PATHS", "verify_media"]

#: Paths a crawl never follows (they are not pages a visitor reads, or they are endless).
SKIPPED_PATHS = ("/wp-admin", "/wp-login.php", "/wp-json", "/xmlrpc.php", "/wp-cron.php")
_SKIPPED_QUERIES = ("replytocom=", "s=", "preview=", "feed=", "rest_route=")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".bmp", ".ico")
_FILE_SUFFIX = (".xml", ".txt", ".pdf", ".zip", ".css", ".js", *_IMAGE_SUFFIXES)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _crawlable(url: str, origin: str, root: str) -> bool:
    parts = urlsplit(url)
    if _origin(url) != origin or parts.scheme not in ("http", "https"):
        return False
    path = parts.path or "/"
    if not path.startswith(root):
        return False
    rest = path[len(root.rstrip("/")) :]
    if rest.startswith(SKIPPED_PATHS) or "/wp-content/" in rest or "/wp-includes/" in rest:
        return False
    if "/feed" in rest or rest.lower().endswith(_FILE_SUFFIX):
        return False
    return not any(
        item.startswith(_SKIPPED_QUERIES) for item in parts.query.split("&") if parts.query
    )


def _problem(asset: Asset, status: int | None, content_type: str) -> str | None:
    if status != 200:
        return f"HTTP {status}" if status is not None else "no answer"
    must_be_image = asset.kind != "link" or urlsplit(asset.url).path.lower().endswith(
        _IMAGE_SUFFIXES
    )
    if must_be_image and not content_type.lower().startswith("image/"):
        return f"not an image ({content_type or 'no content type'})"
    return None


def _check(site: Site, asset: Asset) -> tuple[int | None, str, str | None]:
    """(status, content type, problem or None) of one asset."""
    try:
        response = site.request("HEAD", asset.url)
        if response.status_code in (405, 501):
            response = site.request("GET", asset.url)
    except ParityError as exc:
        return None, "", exc.one_line()
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return response.status_code, content_type, _problem(asset, response.status_code, content_type)


def verify_media(
    env: EnvironmentSettings,
    *,
    pages: int,
    concurrency: int = 8,
    site: Site | None = None,
) -> VerifyReport:
    """Crawl up to ``pages`` pages of ``env``'s site and check their images (see the
    module docstring). ``site`` may be given (tests); it is closed only if made here."""
    started = time.monotonic()
    own = site is None
    site = site or Site(env)
    report = VerifyReport(environment=env.name)
    try:
        assets = _crawl(site, env, pages, report)
        _check_all(site, assets, report, concurrency)
    finally:
        if own:
            site.close()
    report.seconds = time.monotonic() - started
    return report


def _crawl(
    site: Site, env: EnvironmentSettings, pages: int, report: VerifyReport
) -> dict[Asset, str]:
    """Visit pages; every asset found, with the first page it was on."""
    origin = _origin(env.url)
    root = (urlsplit(env.url).path.rstrip("/") or "") + "/"
    home = env.url.rstrip("/") + "/"
    queue: deque[str] = deque([home])
    seen = {home}
    found: dict[Asset, str] = {}
    elsewhere: Counter[str] = Counter()
    while queue and len(report.pages) < pages:
        url = queue.popleft()
        try:
            response = site.request("GET", url, follow_redirects=True)
        except ParityError as exc:
            if url == home:
                raise  # the site itself does not answer: could not run
            report.page_errors.append({"page": url, "status": None, "error": exc.one_line()})
            continue
        content_type = response.headers.get("Content-Type", "")
        if response.status_code != 200 or "html" not in content_type:
            if response.status_code != 200:
                report.page_errors.append(
                    {"page": url, "status": response.status_code, "error": "not 200"}
                )
            continue
        final = str(response.url)
        if _origin(final) != origin:
            continue
        report.pages.append(final)
        page = parse_page(final, response.text)
        for asset in page.assets:
            if _origin(asset.url) != origin:
                elsewhere[urlsplit(asset.url).netloc] += 1
                continue
            found.setdefault(asset, final)
        for link in _links(page.links, origin, root):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    report.elsewhere = dict(elsewhere)
    return found


def _links(links: Iterable[str], origin: str, root: str) -> list[str]:
    return [link for link in links if _crawlable(link, origin, root)]


def _check_all(
    site: Site, assets: dict[Asset, str], report: VerifyReport, concurrency: int
) -> None:
    """Ask for each distinct URL once; report every broken asset with its page."""
    urls: dict[str, Asset] = {}
    for asset in assets:
        urls.setdefault(asset.url, asset)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        answers = dict(zip(urls, pool.map(lambda a: _check(site, a), urls.values()), strict=True))
    report.checked = len(urls)
    report.by_kind = dict(Counter(asset.kind for asset in urls.values()))
    for url, asset in urls.items():
        status, content_type, problem = answers[url]
        if problem is None:
            continue
        report.broken.append(
            BrokenAsset(
                url=url,
                page=assets[asset],
                kind=asset.kind,
                status=status,
                content_type=content_type,
                problem=problem,
            )
        )
