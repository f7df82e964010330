"""URL pair expansion: every form of the source URL maps to the target URL."""

from __future__ import annotations

from parity.refresh.urls import refresh_pairs, url_pairs, url_variants
from parity.rewrite import rewrite


def test_https_source_gets_http_www_and_schemeless_forms() -> None:
    pairs = dict(url_pairs("https://example.com", "https://staging.example.com"))
    assert pairs == {
        "https://www.example.com": "https://staging.example.com",
        "http://www.example.com": "https://staging.example.com",
        "https://example.com": "https://staging.example.com",
        "http://example.com": "https://staging.example.com",
        "//www.example.com": "//staging.example.com",
        "//example.com": "//staging.example.com",
    }


def test_www_source_also_matches_the_bare_host() -> None:
    assert url_variants("https://www.example.com") == [
        "https://www.example.com",
        "http://www.example.com",
        "https://example.com",
        "http://example.com",
    ]


def test_ip_and_port_hosts_get_no_www_variant_and_keep_the_port() -> None:
    pairs = url_pairs("http://127.0.0.1:8081", "http://127.0.0.1:8082")
    assert pairs == [
        ("http://127.0.0.1:8081", "http://127.0.0.1:8082"),
        ("https://127.0.0.1:8081", "http://127.0.0.1:8082"),
        ("//127.0.0.1:8081", "//127.0.0.1:8082"),
    ]


def test_path_of_a_subdirectory_install_is_kept_and_trailing_slash_dropped() -> None:
    pairs = dict(url_pairs("https://example.com/blog/", "https://stage.example.com/b"))
    assert pairs["https://example.com/blog"] == "https://stage.example.com/b"
    assert pairs["//example.com/blog"] == "//stage.example.com/b"


def test_trailing_slash_and_every_scheme_are_rewritten_in_text() -> None:
    pairs = url_pairs("https://example.com", "https://staging.example.com")
    text = b"a https://example.com/ b http://www.example.com c //example.com/x.js"
    assert rewrite(text, pairs) == (
        b"a https://staging.example.com/ b https://staging.example.com c //staging.example.com/x.js"
    )


def test_target_that_is_a_variant_of_the_source_gets_no_identity_pair() -> None:
    pairs = url_pairs("https://example.com", "https://www.example.com")
    assert all(search != replace for search, replace in pairs)
    assert ("https://www.example.com", "https://www.example.com") not in pairs


def test_refresh_pairs_add_the_uploads_path_and_extra_pairs_after_urls() -> None:
    pairs = refresh_pairs(
        "https://example.com",
        "https://stage.example.com",
        source_content_dir="/srv/prod/wp-content/",
        target_content_dir="/srv/stage/wp-content",
        extra=[("cdn.example.com", "cdn.stage.example.com"), ("https://example.com", "x")],
    )
    assert ("/srv/prod/wp-content", "/srv/stage/wp-content") in pairs
    assert pairs[-1] == ("cdn.example.com", "cdn.stage.example.com")
    # An extra pair may not take over a URL pair's search string.
    assert dict(pairs)["https://example.com"] == "https://stage.example.com"


def test_same_content_dir_adds_no_pair() -> None:
    pairs = refresh_pairs(
        "https://a.example", "https://b.example", source_content_dir="/x", target_content_dir="/x"
    )
    assert pairs == url_pairs("https://a.example", "https://b.example")
