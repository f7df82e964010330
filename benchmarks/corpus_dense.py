"""A match-dense corpus: values shaped like the rows of a site that mentions itself often.

Used by ``bench_rewrite.py --corpus dense``. Real sites with page builders, attachment
metadata and SEO plugins mention their own URL in most rows, in several encodings at
once. Each value here is one of:

* deeply nested serialized arrays (page-builder and plugin settings) whose strings hold
  the URL raw, URL-encoded (``https%3A%2F%2F...``) and JSON-escaped (``https:\\/\\/...``);
* JSON inside a serialized string (a plugin storing ``json_encode`` output in an option);
* serialized inside serialized (double-serialized widget and theme settings);
* serialized objects with ``r:`` and ``R:`` references;
* Gutenberg posts: block comments with JSON attributes (``\\u0026`` escapes) and HTML;
* JSON documents (Elementor-style data, ``\\/`` escapes).

``share`` is the share of values that mention the site (1.0: every one); the others hold
another host in the same places, so both kinds cost the same to build and to read.

    python benchmarks/corpus_dense.py --mb 1 --match-share 1.0   # prints a summary
"""

from __future__ import annotations

import argparse
import json
import random
import urllib.parse
from collections.abc import Callable

__all__ = ["DenseCorpus", "php_serialize"]

HOME = "https://example.com"
OTHER = "https://cdn.other-host.net"


def php_serialize(value: object) -> bytes:
    """PHP serialize() for str/bytes/int/float/bool/None/list/dict and :class:`Raw`."""
    if isinstance(value, Raw):
        return value.data
    if value is None:
        return b"N;"
    if isinstance(value, bool):
        return b"b:%d;" % value
    if isinstance(value, int):
        return b"i:%d;" % value
    if isinstance(value, float):
        return b"d:%r;" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b's:%d:"%s";' % (len(value), value)
    items = value.items() if isinstance(value, dict) else enumerate(value)  # type: ignore[attr-defined]
    body = b"".join(php_serialize(k) + php_serialize(v) for k, v in items)
    return b"a:%d:{%s}" % (len(value), body)  # type: ignore[arg-type]


class Raw:
    """Bytes written as they are inside :func:`php_serialize` output (objects, refs)."""

    def __init__(self, data: bytes) -> None:
        self.data = data


class DenseCorpus:
    """Values of which ``share`` mention the site, most in several encodings."""

    def __init__(self, seed: int, share: float) -> None:
        self.rnd = random.Random(seed)
        self.share = share
        self.host = HOME

    def words(self, n: int) -> str:
        vocab = ["the", "site", "team", "post", "page", "theme", "plugin", "cache", "café"]
        return " ".join(self.rnd.choice(vocab) for _ in range(n))

    def url(self, path: str = "") -> str:
        return (
            f"{self.host}/{path or 'wp-content/uploads/2024/05/i' + str(self.rnd.randint(1, 999))}"
        )

    def encoded_url(self) -> str:
        """The site's URL in one of the encodings plugins store it in."""
        kind = self.rnd.random()
        url = self.url() + "?a=1&b=2"
        if kind < 0.4:
            return url
        if kind < 0.7:
            return "https://share.test/?u=" + urllib.parse.quote(url, safe="")
        return json.dumps({"src": url})[9:-2]  # JSON-escaped: https:\/\/... ("/" -> "\/")

    def settings(self, depth: int) -> object:
        """A page-builder style settings tree ``depth`` levels deep."""
        if depth == 0:
            return {
                "url": self.encoded_url(),
                "title": self.words(4),
                "link": {"url": self.url("contact/"), "is_external": "", "nofollow": ""},
                "size": self.rnd.randint(1, 100),
                "ratio": 0.5,
                "on": True,
            }
        return {f"section_{i}": self.settings(depth - 1) for i in range(self.rnd.randint(1, 3))} | {
            "_id": f"{self.rnd.getrandbits(32):08x}",
            "html": f'<a href="{self.url()}">x</a>',
        }

    def nested_serialized(self) -> bytes:
        return php_serialize(self.settings(self.rnd.randint(2, 4)))

    def json_in_serialized(self) -> bytes:
        blocks = [
            {"id": i, "settings": {"url": self.url(f"p/{i}"), "text": self.words(6)}}
            for i in range(self.rnd.randint(2, 8))
        ]
        return php_serialize(
            {"version": "3.1", "data": json.dumps(blocks), "home": self.url(""), "count": 3}
        )

    def serialized_in_serialized(self) -> bytes:
        widget = {i: {"title": self.words(3), "url": self.url()} for i in range(2, 5)}
        mods = {"header_image": self.url(), "widgets": php_serialize(widget), "n": 1}
        return php_serialize({"theme_mods": php_serialize(mods), "home": self.url("")})

    def with_references(self) -> bytes:
        url = php_serialize(self.url())
        post = b'O:7:"WP_Post":3:{s:2:"ID";i:%d;s:4:"guid";%ss:7:"content";%s}' % (
            self.rnd.randint(1, 99_999),
            url,
            php_serialize(f'<p><a href="{self.url()}">{self.words(8)}</a></p>'),
        )
        # 1: the array, 2: the post object, 3-5: its properties' values, 6: "again" (r:2)
        return php_serialize(
            {"post": Raw(post), "again": Raw(b"r:2;"), "guid": Raw(b"R:4;"), "u": self.url()}
        )

    def block_post(self) -> bytes:
        parts = []
        for i in range(self.rnd.randint(3, 10)):
            src = self.url()
            if self.rnd.random() < 0.5:
                attrs = json.dumps({"id": i, "url": src + "?x=1&y=2"}, separators=(",", ":"))
                attrs = attrs.replace("&", "\\u0026")
                parts.append(
                    f'<!-- wp:image {attrs} -->\n<figure><img src="{src}" alt=""/></figure>'
                    "\n<!-- /wp:image -->"
                )
            else:
                parts.append(
                    f'<!-- wp:paragraph -->\n<p>{self.words(30)} <a href="{self.url("about/")}">'
                    f"about</a></p>\n<!-- /wp:paragraph -->"
                )
        return "\n\n".join(parts).encode()

    def json_document(self) -> bytes:
        elements = [
            {
                "id": f"{self.rnd.getrandbits(24):06x}",
                "settings": {"image": {"url": self.url(), "id": i}, "link": self.url("x/")},
                "elements": [],
            }
            for i in range(self.rnd.randint(2, 10))
        ]
        return json.dumps(elements).replace("/", "\\/").encode()

    def values(self, total: int) -> list[bytes]:
        """Values until ``total`` bytes."""
        makers: list[Callable[[], bytes]] = [
            self.nested_serialized,
            self.json_in_serialized,
            self.serialized_in_serialized,
            self.with_references,
            self.block_post,
            self.json_document,
        ]
        out: list[bytes] = []
        size = 0
        while size < total:
            self.host = HOME if self.rnd.random() < self.share else OTHER
            value = self.rnd.choice(makers)()
            out.append(value)
            size += len(value)
        return out


def main() -> None:
    """Print a summary of a generated corpus (sizes, share with a match)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--match-share", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    values = DenseCorpus(args.seed, args.match_share).values(int(args.mb * 1024 * 1024))
    hits = sum(1 for v in values if b"example.com" in v)
    print(f"{len(values)} values, {sum(map(len, values)) / 1e6:.1f} MB, {hits} mention the site")


if __name__ == "__main__":
    main()
