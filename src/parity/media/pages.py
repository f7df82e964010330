"""What a page shows and links to, read from its HTML (pure code, no I/O).

``parity media verify`` needs, per page: every ``<img src>``, every ``srcset`` entry (of
``<img>`` and of ``<source>`` in ``<picture>``), every link to an uploads file, and the
links to other pages of the site to crawl next. Relative URLs are resolved against the
page (and its ``<base href>``).

>>> page = parse_page("http://a.test/post/", '<img src="/wp-content/uploads/x.png" '
...     'srcset="/wp-content/uploads/x-300x169.png 300w, x.png 1200w"><a href="/about/">a</a>')
>>> for asset in page.assets:
...     print(asset.kind, asset.url)
img http://a.test/wp-content/uploads/x.png
srcset http://a.test/wp-content/uploads/x-300x169.png
srcset http://a.test/post/x.png
>>> page.links
['http://a.test/about/']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

from parity.media.referenced import UPLOADS_PATH

__all__ = ["Asset", "Page", "parse_page", "srcset_urls"]


@dataclass(frozen=True)
class Asset:
    """One image (or linked upload) of a page: its absolute URL and where it was found."""

    kind: str  # img, srcset, source, link
    url: str


@dataclass
class Page:
    """A page's assets and its links (absolute, without fragments), each once."""

    url: str
    assets: list[Asset] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` value (each candidate is ``URL [descriptor]``).

    >>> srcset_urls("a.png 300w, b.png 2x,c.png")
    ['a.png', 'b.png', 'c.png']
    """
    urls = []
    for candidate in value.split(","):
        words = candidate.split()
        if words:
            urls.append(words[0])
    return urls


class _Reader(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.page = Page(url)
        self._assets: dict[tuple[str, str], None] = {}
        self._links: dict[str, None] = {}

    def _absolute(self, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        text = value.strip()
        if text.startswith(("data:", "javascript:", "mailto:", "tel:", "#")):
            return None
        absolute: str = urldefrag(urljoin(self.base, text))[0]
        return absolute

    def _asset(self, kind: str, value: str | None) -> None:
        url = self._absolute(value)
        if url is not None:
            self._assets.setdefault((kind, url), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "base" and href:
            self.base = urljoin(self.base, href)
        elif tag == "img":
            self._asset("img", values.get("src"))
            for url in srcset_urls(values.get("srcset") or ""):
                self._asset("srcset", url)
        elif tag == "source":
            for url in srcset_urls(values.get("srcset") or ""):
                self._asset("source", url)
        elif tag == "a":
            target = self._absolute(values.get("href"))
            if target is None:
                return
            if UPLOADS_PATH in target:
                self._assets.setdefault(("link", target), None)
            else:
                self._links.setdefault(target, None)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def parse_page(url: str, html: str) -> Page:
    """The assets and links of the page at ``url`` whose HTML is ``html``."""
    reader = _Reader(url)
    reader.feed(html)
    reader.close()
    page = reader.page
    page.assets = [Asset(kind, asset) for kind, asset in reader._assets]
    page.links = list(reader._links)
    return page
