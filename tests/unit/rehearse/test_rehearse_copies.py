"""A kept copy's record lives in its table comment: written and read back exactly, and a
comment that is not a record (or a damaged one) means "not a reusable copy"."""

from __future__ import annotations

from parity.rehearse.copies import CopyRecord, kept_name


def record() -> CopyRecord:
    return CopyRecord(
        origin="staging",
        source_checksum=919725490,
        copy_checksum=919725490,
        rows=200_002,
        copied_at="2026-12-03T13:24:05.861616+00:00",
        samples={"meta_key": "_wp_page_template", "meta_value": "default", "post_id": 2},
    )


def test_a_record_reads_back_from_the_comment_it_writes() -> None:
    comment = record().comment()
    assert len(comment) <= 2048  # MariaDB's limit for a table comment
    assert CopyRecord.from_comment(comment) == record()


def test_a_table_comment_that_is_not_a_record_gives_none() -> None:
    assert CopyRecord.from_comment("") is None
    assert CopyRecord.from_comment("WordPress post meta") is None
    assert CopyRecord.from_comment(record().comment()[:-5]) is None


def test_kept_copies_have_one_name_per_table() -> None:
    assert kept_name("wp_postmeta") == "prh_kept_wp_postmeta"
