"""The copy's INSERT builder: byte for byte what the value-by-value builder writes."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.targets import insert_sql
from parity.targets.insert_sql import escape, escape_value, insert_statements, quote_identifier

COLUMNS = ["id", "key", "value"]
SPECIAL = b"\\'\"\n\r\x00\x1a"


def reference(
    table: str,
    columns: list[str],
    rows: list[tuple[bytes | None, ...]],
    *,
    binary_columns: list[bool] | None = None,
    max_bytes: int = 4 * 1024 * 1024,
) -> list[tuple[bytes, int]]:
    """Value by value with the driver's escaping: what the joined-row path must equal."""
    head = (
        f"INSERT INTO {quote_identifier(table)}"
        f" ({', '.join(quote_identifier(c) for c in columns)}) VALUES "
    ).encode()
    openers = [b"_binary'" if flag else b"'" for flag in binary_columns or [False] * len(columns)]
    out: list[tuple[bytes, int]] = []
    parts: list[bytes] = []
    size = len(head)
    for row in rows:
        encoded = (
            b"("
            + b",".join(
                b"NULL" if value is None else opener + escape_value(value) + b"'"
                for opener, value in zip(openers, row, strict=True)
            )
            + b")"
        )
        if parts and size + len(encoded) + 1 > max_bytes:
            out.append((head + b",".join(parts), len(parts)))
            parts, size = [], len(head)
        parts.append(encoded)
        size += len(encoded) + 1
    if parts:
        out.append((head + b",".join(parts), len(parts)))
    return out


def both(
    rows: list[tuple[bytes | None, ...]], columns: list[str] = COLUMNS, **kwargs: object
) -> list[tuple[bytes, int]]:
    fast = list(insert_statements("wp_t", columns, rows, **kwargs))  # type: ignore[arg-type]
    assert fast == reference("wp_t", columns, rows, **kwargs)  # type: ignore[arg-type]
    return fast


def test_escape_is_mysqlclients_on_every_byte() -> None:
    every = bytes(range(256))
    assert escape(every) == escape_value(every)
    rnd = random.Random(3)
    for _ in range(2000):
        value = bytes(rnd.choice(SPECIAL + b"a\xc3\xa9 ") for _ in range(rnd.randrange(20)))
        assert escape(value) == escape_value(value)


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
    separator = insert_sql._SEPARATOR
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
