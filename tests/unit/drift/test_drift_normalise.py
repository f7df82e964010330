"""Normalisation: own URL and host to placeholders, masks for what must not be compared."""

from __future__ import annotations

import json

import pytest

from parity.drift.normalise import (
    EMAIL,
    MAX_DEPTH,
    SECRET,
    Normaliser,
    glob_match,
    is_secret_key,
)

PROD = Normaliser("https://example.com")
STAGING = Normaliser("http://127.0.0.1:8082")


@pytest.mark.parametrize(
    ("normaliser", "text", "expected"),
    [
        (PROD, "https://example.com/wp-content/x.png", "{site}/wp-content/x.png"),
        (PROD, "http://example.com", "{site}"),
        (PROD, "//example.com/path", "{site}/path"),
        (PROD, "https:\\/\\/example.com\\/feed", "{site}\\/feed"),
        (PROD, "https%3A%2F%2Fexample.com%2Fx", "{site}%2Fx"),
        (PROD, "HTTPS://EXAMPLE.COM/", "{site}/"),
        (PROD, "cookie domain example.com.", "cookie domain {host}."),
        (STAGING, "http://127.0.0.1:8082/?p=1", "{site}/?p=1"),
        (STAGING, "127.0.0.1:8082", "{host}"),
    ],
)
def test_own_url_in_every_form_becomes_a_placeholder(
    normaliser: Normaliser, text: str, expected: str
) -> None:
    assert normaliser.text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://cdn.example.com/a.js",  # another host ending in ours
        "https://example.com.evil.org/",  # ours as a prefix of another
        "https://example.community/",
        "notexample.com",
    ],
)
def test_other_hosts_are_left_alone(text: str) -> None:
    assert PROD.text(text) == text


def test_other_port_on_the_same_ip_is_another_site() -> None:
    assert STAGING.text("http://127.0.0.1:8081/") == "http://127.0.0.1:8081/"
    assert STAGING.text("http://127.0.0.1:80820/") == "http://127.0.0.1:80820/"


def test_production_and_staging_values_compare_equal_after_normalising() -> None:
    prod = 'a:1:{s:4:"home";s:19:"https://example.com";}'
    staging = 'a:1:{s:4:"home";s:21:"http://127.0.0.1:8082";}'
    assert PROD.value(prod) == STAGING.value(staging) == {"home": "{site}"}


def test_extra_hosts_of_an_environment_are_normalised_too() -> None:
    normaliser = Normaliser("https://example.com", ["cdn.example.com"])
    assert normaliser.text("https://cdn.example.com/x") == "{site}/x"


def test_email_addresses_never_survive() -> None:
    value = PROD.value('a:2:{s:2:"to";s:17:"alice@example.org";s:2:"cc";s:0:"";}')
    assert value == {"to": EMAIL, "cc": ""}
    assert "alice" not in json.dumps(value)


def test_secret_keys_inside_structures_are_masked() -> None:
    value = PROD.value(
        json.dumps({"api_key": "sk_live_123", "smtp": {"password": "hunter2", "host": "h"}})
    )
    assert value == {"api_key": SECRET, "smtp": {"password": SECRET, "host": "h"}}
    assert "hunter2" not in json.dumps(value)


def test_empty_secret_keys_stay_visible_so_a_missing_key_is_seen() -> None:
    assert PROD.value('{"token": ""}') == {"token": ""}


def test_timestamps_and_datetimes_are_masked_small_numbers_are_not() -> None:
    value = PROD.value(
        json.dumps(
            {"last": 1795696330, "text": "1795696330.25", "when": "2026-11-26 10:00:00", "n": 42}
        )
    )
    assert value == {"last": "<timestamp>", "text": "<timestamp>", "when": "<datetime>", "n": 42}


def test_timestamp_masking_can_be_turned_off() -> None:
    assert Normaliser("https://example.com", mask_times=False).value("1795696330") == ("1795696330")


def test_serialized_inside_json_inside_serialized_is_decoded() -> None:
    inner = 'a:1:{s:1:"k";s:19:"https://example.com";}'
    outer = json.dumps({"payload": inner})
    value = PROD.value(f's:{len(outer.encode())}:"{outer}";')
    assert value == {"payload": {"k": "{site}"}}


def test_structures_deeper_than_the_limit_become_a_stable_digest() -> None:
    depth = MAX_DEPTH + 20
    prod = "a:1:{i:0;" * depth + 's:19:"https://example.com";' + "}" * depth
    staging = "a:1:{i:0;" * depth + 's:21:"http://127.0.0.1:8082";' + "}" * depth
    a, b = PROD.value(prod), STAGING.value(staging)
    assert a == b
    json.dumps(a)  # safe to serialise
    other = PROD.value(prod.replace("example.com", "example.org"))
    assert other != a


def test_glob_match_treats_brackets_literally() -> None:
    assert glob_match("opt[a]*", "opt[a][b]")
    assert not glob_match("opt[ab]", "opta")
    assert glob_match("*", "")


@pytest.mark.parametrize("key", ["password", "smtp_pass", "api_key", "apikey", "auth_key", "salt"])
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["color", "passage", "keywords", "compass", "bypass"])
def test_ordinary_key_names(key: str) -> None:
    assert not is_secret_key(key)
