"""WordPress password hashes made in Python, checked by WordPress's own PHP code."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from parity.refresh.phpass import check_portable_hash, portable_hash, salt_for

PHPASS = Path("/usr/share/wordpress/wp-includes/class-phpass.php")


def _php_check(pairs: list[tuple[str, str]]) -> list[bool]:
    """Ask WordPress's PasswordHash (as wp_check_password builds it) about each pair."""
    script = (
        f"require '{PHPASS}'; $h = new PasswordHash(8, true);"
        " $in = json_decode(stream_get_contents(STDIN), true); $out = [];"
        " foreach ($in as $p) { $out[] = $h->CheckPassword($p[0], $p[1]); }"
        " echo json_encode($out);"
    )
    done = subprocess.run(
        ["php", "-r", script], input=json.dumps(pairs), capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout))


def test_hash_has_wordpress_shape() -> None:
    hashed = portable_hash("secret", salt="abcdefgh")
    assert hashed.startswith("$P$Babcdefgh")
    assert len(hashed) == 34


def test_same_password_and_salt_give_the_same_hash() -> None:
    salt = salt_for("parity-refresh", "staging")
    assert portable_hash("pw", salt=salt) == portable_hash("pw", salt=salt)
    assert salt != salt_for("parity-refresh", "other")


def test_python_check_accepts_the_right_password_only() -> None:
    hashed = portable_hash("right", salt="12345678")
    assert check_portable_hash("right", hashed)
    assert not check_portable_hash("wrong", hashed)
    assert not check_portable_hash("right", "*")


@pytest.mark.skipif(not PHPASS.exists(), reason="Debian's wordpress package is not installed")
def test_wordpress_accepts_the_hashes_and_rejects_wrong_passwords() -> None:
    passwords = ["correct horse", "ünïcødé-pässwörd", "x" * 100, "quote'\"\\"]
    pairs: list[tuple[str, str]] = []
    for index, password in enumerate(passwords):
        hashed = portable_hash(password, salt=salt_for("t", str(index)))
        pairs.append((password, hashed))
        pairs.append((password + "!", hashed))
    assert _php_check(pairs) == [True, False] * len(passwords)


def test_bad_salt_is_refused() -> None:
    with pytest.raises(ValueError):
        portable_hash("pw", salt="short")
