"""The referenced set: attachment meta through the PHP codec, URLs through the rewrite
matcher in every encoding WordPress stores, sidecars, and the paths that are refused."""

from __future__ import annotations

import doctest

import pytest

import parity.media.pages
import parity.media.proxy
import parity.media.referenced
import parity.media.sync
from parity.media.referenced import (
    ReferencedSet,
    UploadsMatcher,
    attachment_files,
    clean_path,
    sidecar_names,
)
from parity.rewrite.encodings import block_escape, json_escape, url_encode
from parity.wordpress.phpvalue import php_serialize

STAGING = "http://127.0.0.1:8082"
PRODUCTION = "https://example.com"
FILE = "2022/08/a--b-1.png"


@pytest.fixture(scope="module")
def matcher() -> UploadsMatcher:
    return UploadsMatcher([STAGING, PRODUCTION])


def test_the_media_doctests_pass() -> None:
    for module in (
        parity.media.referenced,
        parity.media.pages,
        parity.media.proxy,
        parity.media.sync,
    ):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.parametrize(
    "stored",
    [
        f'<img src="{STAGING}/wp-content/uploads/{FILE}" alt="">',
        '<!-- wp:image {"url":"'
        + block_escape(f"{PRODUCTION}/wp-content/uploads/{FILE}")
        + '"} /-->',
        json_escape(f"{PRODUCTION}/wp-content/uploads/{FILE}"),
        json_escape(f"{STAGING}/wp-content/uploads/{FILE}", slashes=False),
        url_encode(f"{PRODUCTION}/wp-content/uploads/{FILE}"),
        url_encode(f"{PRODUCTION}/wp-content/uploads/{FILE}", upper=False),
        php_serialize({"og": {"image": f"{STAGING}/wp-content/uploads/{FILE}"}}),
        f"background:url(//127.0.0.1:8082/wp-content/uploads/{FILE})",
        f'<a href="/wp-content/uploads/{FILE}?ver=2#top">x</a>',
        f"http://www.example.com/wp-content/uploads/{FILE}",
    ],
    ids=[
        "raw",
        "block-attribute",
        "json",
        "json-unescaped-slashes",
        "url-encoded",
        "url-encoded-lower",
        "serialized",
        "scheme-less",
        "root-relative",
        "www",
    ],
)
def test_an_uploads_url_is_found_in_every_encoding(matcher: UploadsMatcher, stored: str) -> None:
    assert matcher.files(stored.encode()) == [(FILE, "content")]


def test_every_srcset_candidate_is_a_file(matcher: UploadsMatcher) -> None:
    base = f"{STAGING}/wp-content/uploads/2024/05"
    html = f'<img srcset="{base}/p-300x200.jpg 300w, {base}/p-1024x683.jpg 1024w, {base}/p.jpg">'
    assert [path for path, _ in matcher.files(html.encode())] == [
        "2024/05/p-300x200.jpg",
        "2024/05/p-1024x683.jpg",
        "2024/05/p.jpg",
    ]


def test_other_hosts_folders_and_escapes_are_not_files(matcher: UploadsMatcher) -> None:
    stored = (
        "https://cdn.other.com/wp-content/uploads/2024/05/theirs.jpg"
        f" {STAGING}/wp-content/uploads/2024/05/ {STAGING}/wp-content/uploads/../../etc/passwd"
    )
    assert matcher.files(stored.encode()) == []


def test_a_percent_encoded_name_is_decoded(matcher: UploadsMatcher) -> None:
    stored = f'<img src="{STAGING}/wp-content/uploads/2024/05/caf%C3%A9.jpg">'
    assert matcher.files(stored.encode()) == [("2024/05/café.jpg", "content")]


def test_attachment_meta_gives_sizes_original_sources_and_backups() -> None:
    meta = php_serialize(
        {
            "file": "2024/05/big-scaled.jpg",
            "original_image": "big.jpg",
            "sizes": {
                "medium": {
                    "file": "big-300x200.jpg",
                    "sources": {"image/webp": {"file": "big-300x200.webp"}},
                },
                "thumbnail": {"file": "big-150x150.jpg"},
            },
        }
    )
    backups = php_serialize({"full-orig": {"file": "big-e1700000000.jpg"}})
    assert attachment_files("2024/05/big-scaled.jpg", meta, backups) == [
        ("2024/05/big-scaled.jpg", "attached"),
        ("2024/05/big.jpg", "original"),
        ("2024/05/big-300x200.jpg", "size"),
        ("2024/05/big-300x200.webp", "source"),
        ("2024/05/big-150x150.jpg", "size"),
        ("2024/05/big-e1700000000.jpg", "backup"),
    ]


def test_meta_that_is_not_what_wordpress_writes_adds_only_the_attached_file() -> None:
    assert attachment_files("2024/05/x.pdf", 'a:1:{s:4:"file";') == [("2024/05/x.pdf", "attached")]
    assert attachment_files(None, "plain text") == []
    sizes = php_serialize({"file": "a.png", "sizes": {"m": {"file": "../../etc/passwd"}}})
    assert attachment_files("a.png", sizes) == [("a.png", "attached")]


def test_sidecars_are_optional_and_give_way_to_a_real_reference() -> None:
    found = ReferencedSet()
    found.add_all([("2024/05/p.jpg", "attached")], "attachment 1")
    found.add_sidecars(["{file}.webp", "{stem}.webp"])
    assert {ref.path: ref.optional for ref in found} == {
        "2024/05/p.jpg": False,
        "2024/05/p.jpg.webp": True,
        "2024/05/p.webp": True,
    }
    found.add_all([("2024/05/p.webp", "content")], "post 2")
    assert not next(ref for ref in found if ref.path == "2024/05/p.webp").optional
    assert sidecar_names("2024/05/doc.pdf", ["{file}.webp"]) == []


@pytest.mark.parametrize(
    "raw", ["", "/", "2024/05/", "a/../b.png", ".parity-partial/x.png", "a\\b.png", "noext"]
)
def test_paths_outside_uploads_or_without_a_file_name_are_refused(raw: str) -> None:
    assert clean_path(raw) is None
