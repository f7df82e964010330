"""An expected.sql check is one SELECT statement: a second one is refused at load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parity.jobs.settings import SqlExpectation
from parity.jobs.sqlcheck import single_select


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DELETE FROM wp_posts",
        "SELECT 1; SET SESSION TRANSACTION READ WRITE; INSERT INTO t VALUES (1)",
        "SELECT 1;;",
        "SELECT 1 /*!; DELETE FROM wp_posts */",
        "SELECT 'unclosed",
        "DELETE FROM wp_posts",
        "SELECT 1 /* never closed",
    ],
)
def test_more_than_one_select_is_refused(sql: str) -> None:
    with pytest.raises(ValueError):
        single_select(sql)
    with pytest.raises(ValidationError):
        SqlExpectation(sql=sql, env="staging", equals=1)


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ("SELECT COUNT(*) FROM t;", "SELECT COUNT(*) FROM t"),
        ("SELECT 'a;b', \"c;\", `d;` FROM t ; -- done", "SELECT 'a;b', \"c;\", `d;` FROM t"),
        ("SELECT 'it''s; fine' # note;", "SELECT 'it''s; fine' # note;"),
        ("select(1) /* ; */", "select(1) /* ; */"),
        (
            "WITH x AS (SELECT 1) SELECT COUNT(*) FROM x",
            "WITH x AS (SELECT 1) SELECT COUNT(*) FROM x",
        ),
    ],
)
def test_one_select_with_semicolons_in_strings_and_comments_is_accepted(
    sql: str, kept: str
) -> None:
    assert single_select(sql) == kept
    assert SqlExpectation(sql=sql, env="staging", equals=1).timeout_s == 30


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        SqlExpectation(sql="SELECT 1", env="staging", equals=1, timeout_s=0)
