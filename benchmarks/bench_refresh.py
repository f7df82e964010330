"""parity refresh vs. a raw ``mysqldump --single-transaction | mysql`` of the same tables.

Starts a throwaway MariaDB (mariadb-install-db in a temporary directory), generates a
production database shaped like a real WordPress site (default about 1.1 GB: 100,000
posts with Gutenberg content, 1,000,000 postmeta rows with serialized values, users,
usermeta, comments, terms, options) with ``LOAD DATA INFILE``, then measures, in the same
run and on the same server:

(a) the baseline: ``mysqldump --single-transaction`` of production's tables piped into
    ``mariadb`` loading a scratch database;
(b) ``parity refresh --from production --to staging`` (its own process), which also
    rewrites URLs, scrubs personal data, verifies, swaps and keeps a rollback point.

It prints both wall times and their ratio, the CPU seconds of each (parity's process and
its workers apart from the server's) and their ratio, and parity's peak RSS, and writes
``benchmarks/results_refresh.md``. Goals (issue 16): wall time at most 1.15x the raw
copy on this corpus, at most 1.3x on the URL-dense one, parity's CPU at most 1.6x the
raw copy's, peak RSS under 500 MB::

    .venv/bin/python benchmarks/bench_refresh.py                 # about 1.1 GB
    .venv/bin/python benchmarks/bench_refresh.py --size-mb 100   # quicker
    .venv/bin/python benchmarks/bench_refresh.py --dense --size-mb 500 --breakdown

``--dense`` generates a URL-dense production instead (``_dense_rows``): every post body
is Gutenberg blocks whose JSON attributes, links and share links hold the production URL
raw, JSON-escaped (``https:\\/\\/...``) and URL-encoded (``https%3A%2F%2F...``); every
post has serialized meta (nested arrays, JSON inside serialized strings) and JSON
documents holding it; options, usermeta, comments and terms too. Results go to
``benchmarks/results_refresh_dense.md``.

``--breakdown`` adds one refresh (not counted) whose workers clock their CPU time
(``PARITY_REFRESH_TIMES``): the rewrite engine's share, the rest of the row transform,
building INSERTs, the workers' start and chunk transfer, and parity's own process.

``--keep DIR`` keeps the server's data directory (and reuses generated data next time);
the port is 3997 + ``PARITY_BENCH_PORT_OFFSET`` unless ``--port`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from corpus_dense import php_serialize

ROOT = Path(__file__).resolve().parent.parent
PROD, STAGE, DUMP = "bench_production", "bench_staging", "bench_dump"
PROD_URL, STAGE_URL = "https://www.shop-example.com", "https://staging.shop-example.com"
WORDS = (
    "stack",
    "layer",
    "cache",
    "query",
    "index",
    "shard",
    "replica",
    "commit",
    "rollback",
    "schema",
    "table",
    "column",
    "value",
    "option",
    "theme",
    "plugin",
    "block",
    "editor",
    "gallery",
    "image",
    "caption",
    "author",
    "comment",
    "garden",
    "river",
    "mountain",
    "coffee",
    "morning",
    "evening",
    "autumn",
    "winter",
    "summer",
    "spring",
    "market",
    "review",
    "guide",
    "tutorial",
    "release",
    "update",
    "security",
    "performance",
    "measure",
)


# -- the server ------------------------------------------------------------------------


class Server:
    """A MariaDB of our own on a temporary data directory."""

    def __init__(self, datadir: Path, port: int) -> None:
        self.datadir = datadir
        self.port = port
        # Named after the data directory: two benchmarks kept side by side in one folder
        # must not share a socket.
        self.socket = datadir.parent / f"{datadir.name}.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not (self.datadir / "mysql").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    "--user=root",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                ],
                check=True,
                capture_output=True,
            )
        self.proc = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                "--user=root",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                f"--log-error={self.datadir.parent / f'{self.datadir.name}.err'}",
                "--innodb-buffer-pool-size=2G",
                "--innodb-log-file-size=512M",
                "--innodb-flush-log-at-trx-commit=2",
                "--skip-log-bin",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_520_ci",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            if self.socket.exists() and self.sql("SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit(
            f"MariaDB did not start: see {self.datadir.parent / f'{self.datadir.name}.err'}"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)

    def sql(self, statement: str, *, database: str = "", check: bool = True) -> Any:
        args = ["mariadb", f"--socket={self.socket}", "-u", "root", "-N", "-B", "-e", statement]
        if database:
            args.append(database)
        return subprocess.run(args, check=check, capture_output=True, text=True)


# -- the data ------------------------------------------------------------------------


def _tsv(value: object) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _ser(text: str) -> str:
    return f's:{len(text.encode())}:"{text}";'


def _words(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def _content(rnd: random.Random, post_id: int) -> str:
    url = PROD_URL if post_id % 3 else PROD_URL.replace("https://www.", "http://")
    parts = []
    for block in range(8):
        if block % 4 == 1:
            image = (
                f"{url}/wp-content/uploads/2026/{post_id % 12 + 1:02d}/photo-{post_id}-{block}.jpg"
            )
            attrs = json.dumps({"id": post_id * 10 + block, "sizeSlug": "large"})
            parts.append(
                f'<!-- wp:image {attrs} -->\n<figure class="wp-block-image size-large">'
                f'<img src="{image}" alt="{_words(rnd, 3)}"/></figure>\n<!-- /wp:image -->'
            )
        elif block % 4 == 3:
            attrs = json.dumps({"url": f"{url}/related-{post_id}/", "title": _words(rnd, 4)})
            attrs = attrs.replace("/", "\\/")
            parts.append(f"<!-- wp:embed {attrs} /-->")
        else:
            link = (
                f'<a href="{url}/{rnd.choice(WORDS)}-{rnd.randrange(99999)}/">{_words(rnd, 2)}</a>'
            )
            parts.append(
                f"<!-- wp:paragraph -->\n<p>{_words(rnd, 95)} {link} {_words(rnd, 65)}</p>"
                "\n<!-- /wp:paragraph -->"
            )
    return "\n\n".join(parts)


def _rows(scale: float, seed: int = 7) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
    """(table, rows) batches of the whole production database."""
    rnd = random.Random(seed)
    posts = max(100, int(100_000 * scale))
    users = max(10, int(5_000 * scale))
    comments = max(20, int(100_000 * scale))
    yield (
        "wp_options",
        [
            (i, name, value, "yes" if i < 300 else "no")
            for i, (name, value) in enumerate(
                [
                    ("siteurl", PROD_URL),
                    ("home", PROD_URL),
                    ("blogname", "Shop"),
                    ("admin_email", "owner@shop-example.com"),
                    ("blog_public", "1"),
                    ("permalink_structure", "/%postname%/"),
                    (
                        "wp_user_roles",
                        'a:1:{s:13:"administrator";a:2:{s:4:"name";s:13:"Administrator";s:12:"capabilities";a:0:{}}}',
                    ),
                    *(
                        (
                            f"widget_custom_{i}",
                            f'a:1:{{i:{i};a:2:{{s:5:"title";{_ser(_words(rnd, 3))}s:4:"text";'
                            f"{_ser('See ' + PROD_URL + f'/page-{i}/ ' + _words(rnd, 30))}}}}}",
                        )
                        for i in range(1500)
                    ),
                    *((f"_transient_cache_{i}", _words(rnd, 50)) for i in range(500)),
                ],
                start=1,
            )
        ],
    )
    batch: list[tuple[object, ...]] = []
    for uid in range(1, users + 1):
        batch.append(
            (
                uid,
                f"user{uid}",
                "$P$Bproductionhashedpasswordxxxxx",
                f"user{uid}",
                f"customer{uid}@mail-example.com",
                "",
                "2026-01-01 00:00:00",
                "",
                0,
                f"User {uid}",
            )
        )
    yield "wp_users", batch
    batch = []
    umeta = 1
    for uid in range(1, users + 1):
        for key, value in (
            ("wp_capabilities", 'a:1:{s:8:"customer";b:1;}'),
            ("wp_user_level", "0"),
            ("nickname", f"user{uid}"),
            ("billing_email", f"customer{uid}@mail-example.com"),
            ("billing_city", rnd.choice(WORDS).title()),
            ("billing_phone", f"+33 1 {uid:08d}"),
            ("session_tokens", 'a:1:{s:64:"' + "f" * 64 + '";a:1:{s:10:"expiration";i:1;}}'),
            ("dashboard_links", f'a:1:{{s:4:"home";{_ser(PROD_URL + "/my-account/")}}}'),
            ("description", _words(rnd, 20)),
            ("rich_editing", "true"),
        ):
            batch.append((umeta, uid, key, value))
            umeta += 1
    yield "wp_usermeta", batch
    meta = 1
    for start in range(1, posts + 1, 5000):
        post_batch: list[tuple[object, ...]] = []
        meta_batch: list[tuple[object, ...]] = []
        for pid in range(start, min(start + 5000, posts + 1)):
            day = f"2026-{pid % 12 + 1:02d}-{pid % 28 + 1:02d} 10:00:00"
            post_batch.append(
                (
                    pid,
                    1 + pid % users,
                    day,
                    day,
                    _content(rnd, pid),
                    f"{_words(rnd, 5)} {pid}",
                    _words(rnd, 20),
                    "publish",
                    "open",
                    "open",
                    "",
                    f"post-{pid}",
                    "",
                    "",
                    day,
                    day,
                    "",
                    0,
                    f"{PROD_URL}/?p={pid}",
                    0,
                    "post",
                    "",
                    0,
                )
            )
            for key, value in (
                ("_edit_lock", f"17000{pid:05d}:1"),
                ("_edit_last", "1"),
                ("_thumbnail_id", str(pid + 1_000_000)),
                ("_wp_page_template", "default"),
                ("_yoast_wpseo_title", _words(rnd, 6)),
                ("_yoast_wpseo_metadesc", _words(rnd, 18)),
                (
                    "_wp_attachment_metadata",
                    'a:4:{s:5:"width";i:1200;s:6:"height";i:800;s:4:"file";'
                    f'{_ser(f"2026/11/photo-{pid}.jpg")}s:5:"sizes";a:1:{{s:5:"large";a:2:{{s:4:"file";'
                    f'{_ser(f"photo-{pid}-1024x683.jpg")}s:3:"url";{_ser(f"{PROD_URL}/wp-content/uploads/2026/11/photo-{pid}-1024x683.jpg")}}}}}}}',
                ),
                (
                    "_links",
                    f'a:2:{{s:4:"self";{_ser(f"{PROD_URL}/?p={pid}")}s:7:"related";{_ser(f"{PROD_URL}/tag/{rnd.choice(WORDS)}/")}}}',
                ),
                ("_views", str(rnd.randrange(100000))),
                (
                    "_settings",
                    json.dumps({"layout": "wide", "share": f"{PROD_URL}/post-{pid}/"}).replace(
                        "/", "\\/"
                    ),
                ),
            ):
                meta_batch.append((meta, pid, key, value))
                meta += 1
        yield "wp_posts", post_batch
        yield "wp_postmeta", meta_batch
    batch = []
    for cid in range(1, comments + 1):
        day = f"2026-{cid % 12 + 1:02d}-{cid % 28 + 1:02d} 12:00:00"
        batch.append(
            (
                cid,
                1 + cid % posts,
                f"Reader {cid}",
                f"reader{cid}@mail-example.com",
                "",
                f"10.{cid % 250}.{cid % 200}.{cid % 100}",
                day,
                day,
                _words(rnd, 30),
                0,
                "spam" if cid % 50 == 0 else "1",
                "Mozilla/5.0",
                "comment",
                0,
                0,
            )
        )
    yield "wp_comments", batch
    terms = max(10, int(1000 * scale))
    yield "wp_terms", [(t, f"{rnd.choice(WORDS)} {t}", f"term-{t}", 0) for t in range(1, terms + 1)]
    yield (
        "wp_term_taxonomy",
        [(t, t, "category" if t % 5 else "post_tag", "", 0, 0) for t in range(1, terms + 1)],
    )
    yield (
        "wp_term_relationships",
        [(pid, 1 + (pid * k) % terms, 0) for pid in range(1, posts + 1) for k in (1, 7, 13)],
    )


# -- the URL-dense production (--dense) ----------------------------------------------
#
# Every post body holds Gutenberg blocks whose JSON attributes carry the production URL
# (WordPress's own form: raw slashes, ``\u0026``; and older ``\/``-escaped embeds), links
# with the URL raw, and share links with it URL-encoded; every post has several meta rows
# that are nested serialized arrays and JSON documents holding the URL; options and
# usermeta likewise. ``--size-mb`` sizes it (data + indexes, as the server counts it).

_DENSE_HTTP = PROD_URL.replace("https://", "http://")
#: The size (data + indexes) that ``_dense_rows(1.0)`` makes.
DENSE_MB = 600


def _jesc(text: str) -> str:
    """``text`` as json_encode writes it inside a string (slashes escaped)."""
    return json.dumps(text)[1:-1].replace("/", "\\/")


def _uenc(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _dense_url(rnd: random.Random, kind: str = "") -> str:
    base = _DENSE_HTTP if rnd.random() < 0.1 else PROD_URL
    if kind == "upload":
        month = rnd.randrange(1, 13)
        return f"{base}/wp-content/uploads/2026/{month:02d}/img-{rnd.randrange(99999)}.jpg"
    return f"{base}/{rnd.choice(WORDS)}/{rnd.choice(WORDS)}-{rnd.randrange(99999)}/"


def _dense_content(rnd: random.Random, post_id: int) -> str:
    parts = []
    for block in range(10):
        kind = block % 5
        if kind == 0:
            image = _dense_url(rnd, "upload")
            attrs = json.dumps(
                {
                    "id": post_id * 10 + block,
                    "sizeSlug": "large",
                    "linkDestination": "custom",
                    "href": _dense_url(rnd) + "?ref=block&utm=1",
                },
                separators=(",", ":"),
            ).replace("&", "\\u0026")
            parts.append(
                f'<!-- wp:image {attrs} -->\n<figure class="wp-block-image size-large">'
                f'<a href="{_dense_url(rnd)}"><img src="{image}" alt="{_words(rnd, 3)}"'
                f' srcset="{image} 1024w, {image.replace(".jpg", "-300x200.jpg")} 300w"/></a>'
                "</figure>\n<!-- /wp:image -->"
            )
        elif kind == 1:
            # an older embed: json_encode with escaped slashes
            attrs = json.dumps(
                {"url": _dense_url(rnd), "type": "wp-embed", "providerNameSlug": "shop"}
            ).replace("/", "\\/")
            parts.append(
                f'<!-- wp:embed {attrs} -->\n<figure class="wp-block-embed"><div>'
                f"{_dense_url(rnd)}</div></figure>\n<!-- /wp:embed -->"
            )
        elif kind == 2:
            url = _dense_url(rnd)
            parts.append(
                f'<!-- wp:paragraph -->\n<p>{_words(rnd, 40)} <a href="{url}">{_words(rnd, 2)}</a>'
                f' {_words(rnd, 30)} <a href="https://twitter.com/intent/tweet?url={_uenc(url)}'
                f'&amp;text={_uenc(_words(rnd, 3))}">share</a>'
                f' <a href="https://www.facebook.com/sharer.php?u={_uenc(_dense_url(rnd))}">fb</a>'
                "</p>\n<!-- /wp:paragraph -->"
            )
        elif kind == 3:
            attrs = json.dumps(
                {
                    "buttons": [
                        {"text": _words(rnd, 2), "url": _dense_url(rnd)},
                        {"text": _words(rnd, 2), "url": _dense_url(rnd) + "?a=1&b=2"},
                    ],
                    "redirect": _uenc(_dense_url(rnd)),
                },
                separators=(",", ":"),
            ).replace("&", "\\u0026")
            parts.append(
                f"<!-- wp:shop/buttons {attrs} /-->\n"
                f'<!-- wp:paragraph -->\n<p>{_words(rnd, 25)} <a href="{_dense_url(rnd)}">'
                f"{_words(rnd, 2)}</a></p>\n<!-- /wp:paragraph -->"
            )
        else:
            gallery = [_dense_url(rnd, "upload") for _ in range(3)]
            attrs = json.dumps(
                {"ids": [post_id, post_id + 1, post_id + 2], "images": gallery},
                separators=(",", ":"),
            )
            figures = "".join(f'<figure><img src="{g}" alt=""/></figure>' for g in gallery)
            parts.append(
                f'<!-- wp:gallery {attrs} -->\n<figure class="wp-block-gallery">{figures}'
                "</figure>\n<!-- /wp:gallery -->"
            )
    return "\n\n".join(parts)


def _dense_settings(rnd: random.Random, depth: int) -> object:
    """A page-builder style settings tree holding the URL raw, URL-encoded, JSON-escaped."""
    if depth == 0:
        url = _dense_url(rnd)
        return {
            "url": url,
            "share": "https://share.example.net/?u=" + _uenc(url),
            "json": json.dumps({"src": _dense_url(rnd, "upload")}),
            "title": _words(rnd, 3),
            "size": rnd.randrange(100),
            "on": True,
        }
    return {f"section_{i}": _dense_settings(rnd, depth - 1) for i in range(rnd.randint(2, 3))} | {
        "_id": f"{rnd.getrandbits(32):08x}",
        "html": f'<a href="{_dense_url(rnd)}">x</a>',
    }


def _dense_elementor(rnd: random.Random) -> str:
    elements = [
        {
            "id": f"{rnd.getrandbits(24):06x}",
            "elType": "widget",
            "settings": {
                "image": {"url": _dense_url(rnd, "upload"), "id": i},
                "link": {"url": _dense_url(rnd), "is_external": ""},
                "title": _words(rnd, 4),
            },
            "elements": [],
        }
        for i in range(rnd.randint(3, 6))
    ]
    return json.dumps(elements).replace("/", "\\/")


def _dense_post_meta(rnd: random.Random, pid: int) -> list[tuple[str, str]]:
    upload = _dense_url(rnd, "upload")
    return [
        ("_edit_last", "1"),
        ("_thumbnail_id", str(pid + 1_000_000)),
        (
            "_wp_attachment_metadata",
            php_serialize(
                {
                    "width": 1200,
                    "height": 800,
                    "file": upload,
                    "sizes": {
                        size: {"file": upload.replace(".jpg", f"-{size}.jpg"), "url": upload}
                        for size in ("thumbnail", "medium", "large")
                    },
                }
            ).decode(),
        ),
        ("_page_builder_settings", php_serialize(_dense_settings(rnd, 2)).decode()),
        ("_elementor_data", _dense_elementor(rnd)),
        (
            "_schema_json",
            json.dumps(
                {
                    "@context": "https://schema.org",
                    "@type": "Article",
                    "url": _dense_url(rnd),
                    "image": [_dense_url(rnd, "upload")],
                    "publisher": {"url": PROD_URL, "logo": _dense_url(rnd, "upload")},
                }
            ).replace("/", "\\/"),
        ),
        (
            "_links",
            php_serialize(
                {
                    "self": f"{PROD_URL}/?p={pid}",
                    "related": [_dense_url(rnd) for _ in range(3)],
                    "encoded": _uenc(_dense_url(rnd)),
                }
            ).decode(),
        ),
        ("_yoast_wpseo_opengraph-image", upload),
        ("_yoast_wpseo_metadesc", _words(rnd, 18)),
    ]


def _dense_rows(scale: float, seed: int = 11) -> Iterator[tuple[str, list[tuple[object, ...]]]]:
    """(table, rows) batches of a URL-dense production database."""
    rnd = random.Random(seed)
    posts = max(100, int(45_000 * scale))
    users = max(10, int(4_000 * scale))
    comments = max(20, int(40_000 * scale))
    options: list[tuple[str, str]] = [
        ("siteurl", PROD_URL),
        ("home", PROD_URL),
        ("blogname", "Shop"),
        ("admin_email", "owner@shop-example.com"),
        ("blog_public", "1"),
        ("permalink_structure", "/%postname%/"),
    ]
    for i in range(max(50, int(3000 * scale))):
        if i % 3 == 0:
            value = php_serialize({"theme_mods": php_serialize(_dense_settings(rnd, 1))}).decode()
        elif i % 3 == 1:
            value = php_serialize(
                {j: {"title": _words(rnd, 3), "text": f"See {_dense_url(rnd)}"} for j in range(4)}
            ).decode()
        else:
            value = _dense_elementor(rnd)
        options.append((f"dense_option_{i}", value))
    yield (
        "wp_options",
        [(i, n, v, "yes" if i < 300 else "no") for i, (n, v) in enumerate(options, start=1)],
    )
    yield (
        "wp_users",
        [
            (
                uid,
                f"user{uid}",
                "$P$Bproductionhashedpasswordxxxxx",
                f"user{uid}",
                f"customer{uid}@mail-example.com",
                f"{PROD_URL}/author/user{uid}/",
                "2026-01-01 00:00:00",
                "",
                0,
                f"User {uid}",
            )
            for uid in range(1, users + 1)
        ],
    )
    batch: list[tuple[object, ...]] = []
    umeta = 1
    for uid in range(1, users + 1):
        for key, value in (
            ("wp_capabilities", 'a:1:{s:8:"customer";b:1;}'),
            ("nickname", f"user{uid}"),
            ("billing_email", f"customer{uid}@mail-example.com"),
            ("billing_city", rnd.choice(WORDS).title()),
            ("session_tokens", 'a:1:{s:64:"' + "f" * 64 + '";a:1:{s:10:"expiration";i:1;}}'),
            (
                "dashboard_links",
                php_serialize(
                    {"home": f"{PROD_URL}/my-account/", "orders": [_dense_url(rnd)] * 2}
                ).decode(),
            ),
            (
                "preferences_json",
                json.dumps({"last": _dense_url(rnd), "avatar": _dense_url(rnd, "upload")}).replace(
                    "/", "\\/"
                ),
            ),
            ("description", f"{_words(rnd, 20)} {_dense_url(rnd)}"),
        ):
            batch.append((umeta, uid, key, value))
            umeta += 1
    yield "wp_usermeta", batch
    meta = 1
    for start in range(1, posts + 1, 2000):
        post_batch: list[tuple[object, ...]] = []
        meta_batch: list[tuple[object, ...]] = []
        for pid in range(start, min(start + 2000, posts + 1)):
            day = f"2026-{pid % 12 + 1:02d}-{pid % 28 + 1:02d} 10:00:00"
            post_batch.append(
                (
                    pid,
                    1 + pid % users,
                    day,
                    day,
                    _dense_content(rnd, pid),
                    f"{_words(rnd, 5)} {pid}",
                    f"{_words(rnd, 20)} {_dense_url(rnd)}",
                    "publish",
                    "open",
                    "open",
                    "",
                    f"post-{pid}",
                    "",
                    "",
                    day,
                    day,
                    "",
                    0,
                    f"{PROD_URL}/?p={pid}",
                    0,
                    "post",
                    "",
                    0,
                )
            )
            for key, value in _dense_post_meta(rnd, pid):
                meta_batch.append((meta, pid, key, value))
                meta += 1
        yield "wp_posts", post_batch
        yield "wp_postmeta", meta_batch
    batch = []
    for cid in range(1, comments + 1):
        day = f"2026-{cid % 12 + 1:02d}-{cid % 28 + 1:02d} 12:00:00"
        batch.append(
            (
                cid,
                1 + cid % posts,
                f"Reader {cid}",
                f"reader{cid}@mail-example.com",
                _dense_url(rnd),
                f"10.{cid % 250}.{cid % 200}.{cid % 100}",
                day,
                day,
                f'{_words(rnd, 25)} <a href="{_dense_url(rnd)}">{_words(rnd, 2)}</a>',
                0,
                "spam" if cid % 50 == 0 else "1",
                "Mozilla/5.0",
                "comment",
                0,
                0,
            )
        )
    yield "wp_comments", batch
    terms = max(10, int(1000 * scale))
    yield "wp_terms", [(t, f"{rnd.choice(WORDS)} {t}", f"term-{t}", 0) for t in range(1, terms + 1)]
    yield (
        "wp_term_taxonomy",
        [
            (t, t, "category" if t % 5 else "post_tag", f"See {_dense_url(rnd)}", 0, 0)
            for t in range(1, terms + 1)
        ],
    )
    yield (
        "wp_term_relationships",
        [(pid, 1 + (pid * k) % terms, 0) for pid in range(1, posts + 1) for k in (1, 7, 13)],
    )


def generate(server: Server, scale: float, workdir: Path, *, dense: bool = False) -> None:
    """Create production's tables with WordPress's own schema and load the rows."""
    schema = subprocess.run(
        ["php", "-r", _SCHEMA_PHP], check=True, capture_output=True, text=True
    ).stdout
    server.sql(f"DROP DATABASE IF EXISTS {PROD}; CREATE DATABASE {PROD}")
    server.sql(schema, database=PROD)
    files: dict[str, Any] = {}
    try:
        for table, rows in (_dense_rows if dense else _rows)(scale):
            if table not in files:
                files[table] = open(workdir / f"{table}.tsv", "w", encoding="utf-8")  # noqa: SIM115
            handle = files[table]
            for row in rows:
                handle.write("\t".join(_tsv(v) for v in row) + "\n")
    finally:
        for handle in files.values():
            handle.close()
    for table in files:
        path = workdir / f"{table}.tsv"
        server.sql(
            f"SET unique_checks=0; LOAD DATA INFILE '{path}' IGNORE INTO TABLE {table}"
            " CHARACTER SET utf8mb4",
            database=PROD,
        )
        path.unlink()


_SCHEMA_PHP = r"""
define('ABSPATH', '/usr/share/wordpress/'); define('WPINC', 'wp-includes');
class BenchDB { public $prefix = 'wp_'; public $base_prefix = 'wp_';
  function get_charset_collate() {
    return 'DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci'; }
  function get_blog_prefix($id = null) { return 'wp_'; }
  function __get($name) { return 'wp_' . $name; } }
function is_multisite() { return false; }
$GLOBALS['wpdb'] = new BenchDB();
require ABSPATH . 'wp-admin/includes/schema.php';
echo wp_get_db_schema('all');
"""


def database_mb(server: Server, database: str) -> float:
    out = server.sql(
        "SELECT SUM(data_length + index_length) FROM information_schema.tables"
        f" WHERE table_schema = '{database}'"
    ).stdout.strip()
    return float(out or 0) / 1e6


# -- the two measurements ------------------------------------------------------------


def baseline(server: Server) -> float:
    """mysqldump --single-transaction | mariadb into a scratch database; wall seconds."""
    server.sql(f"DROP DATABASE IF EXISTS {DUMP}; CREATE DATABASE {DUMP}")
    started = time.monotonic()
    dump = subprocess.Popen(
        [
            "mysqldump",
            f"--socket={server.socket}",
            "-u",
            "root",
            "--single-transaction",
            "--skip-lock-tables",
            PROD,
        ],
        stdout=subprocess.PIPE,
    )
    load = subprocess.run(
        ["mariadb", f"--socket={server.socket}", "-u", "root", DUMP], stdin=dump.stdout
    )
    if dump.stdout is not None:
        dump.stdout.close()
    if dump.wait() != 0 or load.returncode != 0:
        raise SystemExit("mysqldump | mariadb failed")
    return time.monotonic() - started


def refresh(
    server: Server, workdir: Path, *, times: Path | None = None
) -> tuple[float, float, dict[str, Any]]:
    """parity refresh in its own process: (wall seconds, peak RSS in MB of the process and
    its workers together, its JSON report). ``times``: a folder where the workers write
    where their CPU time went (``PARITY_REFRESH_TIMES``)."""
    server.sql(f"DROP DATABASE IF EXISTS {STAGE}; CREATE DATABASE {STAGE}")
    server.sql(
        "CREATE USER IF NOT EXISTS 'bench_prod'@'127.0.0.1' IDENTIFIED BY 'bench-prod-pw';"
        "CREATE USER IF NOT EXISTS 'bench_stage'@'127.0.0.1' IDENTIFIED BY 'bench-stage-pw';"
        f"GRANT SELECT ON {PROD}.* TO 'bench_prod'@'127.0.0.1';"
        f"GRANT ALL ON {STAGE}.* TO 'bench_stage'@'127.0.0.1';"
    )
    config = workdir / "parity.toml"
    config.write_text(
        "[environments.production]\n"
        f'url = "{PROD_URL}"\n'
        f'db = "mysql://bench_prod:bench-prod-pw@127.0.0.1:{server.port}/{PROD}"\n'
        "protected = true\n\n"
        "[environments.staging]\n"
        f'url = "{STAGE_URL}"\n'
        f'db = "mysql://bench_stage:bench-stage-pw@127.0.0.1:{server.port}/{STAGE}"\n'
        'login = { user = "user1", password = "bench-staging-login" }\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PARITY_CONFIG": str(config)}
    if times is not None:
        env["PARITY_REFRESH_TIMES"] = str(times)
    out = workdir / "refresh.json"
    started = time.monotonic()
    with open(out, "w", encoding="utf-8") as handle:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "parity.cli.main",
                "refresh",
                "--from",
                "production",
                "--to",
                "staging",
                "--yes",
                "--format",
                "json",
            ],
            env=env,
            stdout=handle,
            cwd=workdir,
        )
        peak = 0
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            rss, seen = _tree_usage(proc.pid)
            peak = max(peak, rss)
            cpu.update(seen)
            time.sleep(0.1)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"parity refresh failed (exit {proc.returncode})")
    report = json.loads(out.read_text("utf-8"))
    main_cpu = cpu.pop(proc.pid, 0.0)
    report["_bench_cpu"] = {"main": main_cpu, "workers": sum(cpu.values())}
    return seconds, peak / 1e6, report


def breakdown(server: Server, workdir: Path) -> None:
    """One more refresh whose workers clock their CPU time: how much is the rewrite
    engine, the rest of the row transform, building statements, and everything else
    (starting, pickling chunks, the parity process itself). The clocks cost about a
    microsecond per value, so this round is not one of the measured ones."""
    folder = workdir / "times"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    print("breakdown: one more parity refresh with clocks in its workers ...", flush=True)
    took, _peak, report = refresh(server, workdir, times=folder)
    parts = {"rewrite": 0.0, "transform": 0.0, "statements": 0.0}
    for path in folder.glob("refresh-times-*.json"):
        data = json.loads(path.read_text("utf-8"))
        for key in parts:
            parts[key] += float(data[key])
    cpu = report["_bench_cpu"]
    total = cpu["main"] + cpu["workers"]
    engine = parts["rewrite"]
    rest = parts["transform"] - engine
    other = cpu["workers"] - parts["transform"] - parts["statements"]
    print(
        f"    {took:.1f} s; parity CPU {total:.1f} s = rewrite engine {engine:.1f} s"
        f" ({engine / total:.0%}), rest of the row transform (scrub, tallies, loop)"
        f" {rest:.1f} s ({rest / total:.0%}), INSERT building {parts['statements']:.1f} s"
        f" ({parts['statements'] / total:.0%}), workers' start and chunk transfer"
        f" {other:.1f} s ({other / total:.0%}), parity's own process (read, send)"
        f" {cpu['main']:.1f} s ({cpu['main'] / total:.0%})",
        flush=True,
    )


def cpu_seconds(server: Server) -> tuple[float, float]:
    """(CPU seconds of this benchmark's finished child processes, of the server) so far.

    On a shared machine wall times move with the load; CPU seconds do not.
    """
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return children.ru_utime + children.ru_stime, (int(fields[11]) + int(fields[12])) / ticks


def _tree_usage(pid: int) -> tuple[int, dict[int, float]]:
    """Resident bytes of ``pid`` and all its descendants (worker processes included),
    and the CPU seconds each of them has used so far."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * resource.getpagesize()
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo, seen = 0, [pid], {}
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        if current in cpu:
            seen[current] = cpu[current]
        todo.extend(children.get(current, []))
    return total, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1100, help="approximate production size")
    parser.add_argument(
        "--dense",
        action="store_true",
        help="a URL-dense production: every post and most meta rows hold the URL",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="then one more refresh (not counted) that clocks the rewrite engine's share",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=3997 + int(os.environ.get("PARITY_BENCH_PORT_OFFSET", "0")),
        help="TCP port of the bench server (3997 + PARITY_BENCH_PORT_OFFSET)",
    )
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the data directory here")
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds of (a) then (b); the best of each counts"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the results (markdown; default benchmarks/results_refresh.md,"
        " results_refresh_dense.md with --dense)",
    )
    args = parser.parse_args()
    if args.output is None:
        name = "results_refresh_dense.md" if args.dense else "results_refresh.md"
        args.output = ROOT / "benchmarks" / name
    for tool in ("mariadb-install-db", "mariadbd", "mysqldump", "mariadb", "php"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="parity-bench-refresh-"))
    datadir = args.keep or workdir / "data"
    server = Server(datadir, args.port)
    server.start()
    try:
        scale = args.size_mb / (DENSE_MB if args.dense else 1100)
        marker = datadir / f".generated-{'dense-' if args.dense else ''}{args.size_mb}"
        if not marker.exists():
            for old in datadir.glob(".generated-*"):
                old.unlink()
            kind = "URL-dense " if args.dense else ""
            print(f"generating about {args.size_mb} MB of {kind}production data...", flush=True)
            started = time.monotonic()
            generate(server, scale, workdir, dense=args.dense)
            marker.touch()
            print(f"  generated in {time.monotonic() - started:.0f} s", flush=True)
        size = database_mb(server, PROD)
        rows = server.sql(
            f"SELECT SUM(table_rows) FROM information_schema.tables WHERE table_schema='{PROD}'"
        ).stdout.strip()
        print(f"production: {size:,.0f} MB (data + indexes), about {int(rows):,} rows", flush=True)
        load = os.getloadavg()[0]
        bases: list[float] = []
        tooks: list[float] = []
        rss = 0.0
        cpus: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
        for round_ in range(1, args.repeat + 1):
            print(f"round {round_}: (a) mysqldump --single-transaction | mariadb ...", flush=True)
            before = cpu_seconds(server)
            bases.append(baseline(server))
            after = cpu_seconds(server)
            cpus["a"].append((after[0] - before[0], after[1] - before[1]))
            print(
                f"    {bases[-1]:.1f} s; CPU: clients {cpus['a'][-1][0]:.1f} s,"
                f" server {cpus['a'][-1][1]:.1f} s",
                flush=True,
            )
            print(f"round {round_}: (b) parity refresh ...", flush=True)
            before = cpu_seconds(server)
            took, peak, report = refresh(server, workdir)
            after = cpu_seconds(server)
            cpus["b"].append((after[0] - before[0], after[1] - before[1]))
            tooks.append(took)
            rss = max(rss, peak)
            split = report["_bench_cpu"]
            print(
                f"    {took:.1f} s, peak RSS {peak:.0f} MB; CPU: parity {cpus['b'][-1][0]:.1f} s"
                f" (its process {split['main']:.1f} s, workers {split['workers']:.1f} s),"
                f" server {cpus['b'][-1][1]:.1f} s",
                flush=True,
            )
        base, took = min(bases), min(tooks)
        if args.breakdown:
            breakdown(server, workdir)
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    ratio = took / base
    cpu_ratio = min(sum(p) for p in cpus["b"]) / min(sum(p) for p in cpus["a"])
    parity_ratio = min(p[0] for p in cpus["b"]) / min(sum(p) for p in cpus["a"])
    print(f"ratio refresh / raw copy: {ratio:.2f}x (goal <= {1.3 if args.dense else 1.15}x)")
    print(
        f"CPU ratio (parity + server) / (raw copy's clients + server): {cpu_ratio:.2f}x;"
        f" parity's own CPU / the raw copy's: {parity_ratio:.2f}x (goal <= 1.6x)"
    )
    print(f"parity peak RSS: {rss:.0f} MB (goal < 500 MB)")
    write_results(args, size, int(rows), (bases, tooks, load), cpus, rss, ratio, report)


def write_results(
    args: argparse.Namespace,
    size: float,
    rows: int,
    times: tuple[list[float], list[float], float],
    cpus: dict[str, list[tuple[float, float]]],
    rss: float,
    ratio: float,
    report: dict[str, Any],
) -> None:
    bases, tooks, load = times
    base, took = min(bases), min(tooks)
    command = "python benchmarks/bench_refresh.py"
    if args.dense:
        command += " --dense"
    if args.size_mb != 1100 or args.dense:
        command += f" --size-mb {args.size_mb}"
    if args.repeat != 2:
        command += f" --repeat {args.repeat}"
    rewrite = report["rewrite"]
    scrubbed = sum(report["scrub"].values())
    encodings = ", ".join(f"{k} {v:,}" for k, v in sorted(rewrite["by_encoding"].items()))
    first, last = report["tables"][0]["source"], report["tables"][-1]["source"]
    rounds = ", ".join(f"{a:.1f} s / {b:.1f} s" for a, b in zip(bases, tooks, strict=True))
    cpu_a = min(sum(pair) for pair in cpus["a"])
    cpu_b = min(sum(pair) for pair in cpus["b"])
    split_a = min(cpus["a"], key=sum)
    split_b = min(cpus["b"], key=sum)
    goal = 1.3 if args.dense else 1.15
    corpus = "URL-dense production (--dense)" if args.dense else "production"
    text = f"""# Benchmark: parity refresh vs. mysqldump | mysql ({date.today().isoformat()})

Machine: Debian 12, 2 cores, {_memory_gb()} GiB RAM, shared with other work (load
average {load:.1f} when the run started); MariaDB {_server_version()} (one server for
both, buffer pool 2 GB, `innodb_flush_log_at_trx_commit=2`); Python {sys.version.split()[0]}.

```
{command}
```

{corpus.capitalize()}: {size:,.0f} MB (data + indexes), about {rows:,} rows, WordPress's own schema
({first} ... {last}, {len(report["tables"])} tables).

| | wall time (best of {len(bases)}) | ratio | peak RSS |
| --- | ---: | ---: | ---: |
| (a) `mysqldump --single-transaction \\| mariadb` (baseline) | {base:.1f} s | 1.00x | |
| (b) `parity refresh --from production --to staging` | {took:.1f} s | {ratio:.2f}x | {rss:.0f} MB |

Rounds, (a) / (b): {rounds}.
Peak RSS is parity's process and its worker processes together.
Goals: at most {goal}x the raw copy, under 500 MB whatever the size; parity's CPU at
most 1.6x the raw copy's.

CPU seconds (least of the rounds), which the machine's other load does not move:
(a) {cpu_a:.1f} s (mysqldump and mariadb {split_a[0]:.1f} s, server {split_a[1]:.1f} s);
(b) {cpu_b:.1f} s (parity and its workers {split_b[0]:.1f} s, server {split_b[1]:.1f} s):
{cpu_b / cpu_a:.2f}x; parity's alone / the raw copy's: {split_b[0] / cpu_a:.2f}x.

What (b) did on top of the copy: {rewrite["occurrences"]:,} URL occurrences rewritten
({encodings}) in {rewrite["values_changed"]:,} values, {scrubbed:,} values scrubbed,
transients and session tokens left out, every table verified (row counts, definitions;
checksums of the tables it did not change), one `RENAME TABLE`, a rollback point kept.
"""
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


def _memory_gb() -> int:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return round(pages / 2**30)


def _server_version() -> str:
    out = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True).stdout
    return out.split("Ver", 1)[-1].split()[0] if "Ver" in out else "?"


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    main()
