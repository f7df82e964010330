"""The copy's INSERT builder: byte for byte what the value-by-value builder writes."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.refresh import inserts
from parity.refresh.inserts import escape, insert_statements
from parity.targets.database import _escape_bytes
from parity.targets.database import insert_statements as reference

COLUMNS = ["id", "key", "value"]
SPECIAL = b"\\'\"\n\r\x00\x1a"


def both(
    rows: list[tuple[bytes | None, ...]], columns: list[str] = COLUMNS, **kwargs: object
) -> list[tuple[bytes, int]]:
    fast = list(insert_statements("wp_t", columns, rows, **kwargs))  # type: ignore[arg-type]
    assert fast == list(reference("wp_t", columns, rows, **kwargs))  # type: ignore[arg-type]
    return fast


def test_escape_is_mysqlclients_on_every_byte() -> None:
    every = bytes(range(256))
    assert escape(every) == _escape_bytes(every)
    rnd = random.Random(3)
    for _ in range(2000):
        value = bytes(rnd.choice(SPECIAL + b"a\xc3\xa9 ") for _ in range(rnd.randrange(20)))
        assert escape(value) == _escape_bytes(value)


def test_rows_with_special_bytes_nulls_and_binary_columns() -> None:
    rows: list[tuple[bytes | None, ...]] = [
        (b"1", b"it's", b'a:1:{s:3:"url";s:19:"https:\\/\\/x.com";}'),
        (b"2", b"line\nbreak\r", b"\x00\x1a"),
        (b"3", None, b"plain"),
        (b"4", b"", b""),
    ]
    assert both(rows)[0][0].startswith(b"INSERT INTO `wp_t` (`id`, `key`, `value`) VALUES ('1',")
    both(rows, binary_columns=[False, False, True])
    both([(b"only",)], ["id"])
    both([])


def test_data_holding_the_separator_takes_the_value_by_value_path() -> None:
    separator = inserts._SEPARATOR
    rows: list[tuple[bytes | None, ...]] = [
        (b"1", separator, b"x"),
        (b"2", b"a" + separator[:2], separator[2:] + b"b"),  # one across two values
        (b"3", separator * 3, separator[1:] + separator[:1]),
    ]
    both(rows)


def test_statements_are_cut_where_the_reference_cuts_them() -> None:
    rnd = random.Random(5)
    rows: list[tuple[bytes | None, ...]] = [
        (
            str(i).encode(),
            b"k",
            bytes(rnd.choice(SPECIAL + b"xyz") for _ in range(rnd.randrange(300))),
        )
        for i in range(300)
    ]
    for limit in (200, 1000, 4096, 1 << 20):
        statements = both(rows, max_bytes=limit)
        assert sum(count for _, count in statements) == 300
    big = [(b"1", b"k", b"v" * 5000), (b"2", b"k", b"w")]
    assert [count for _, count in both(big, max_bytes=1000)] == [1, 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.binary(max_size=12),
            st.one_of(st.none(), st.binary(max_size=40)),
            st.binary(max_size=60),
        ),
        max_size=12,
    ),
    st.integers(min_value=60, max_value=400),
)
def test_any_rows_any_limit(rows: list[tuple[bytes | None, ...]], limit: int) -> None:
    both(rows, max_bytes=limit)
