"""A migration file as statements, each with its kind, tables and columns (sqlglot, MySQL).

Pure code. The statements keep the text the user wrote: parity runs that text (with the
table names pointed at the scratch copy by :func:`rename_tables`), never sqlglot's
regenerated SQL, so nothing is lost in a round trip.

>>> [s.kind for s in parse_migration("ALTER TABLE wp_postmeta ADD COLUMN n int; "
...                                  "DROP INDEX meta_key ON wp_postmeta")]
['alter_table', 'drop_index']
>>> parse_migration("ALTER TABLE wp_postmeta ADD COLUMN n int")[0].tables
('wp_postmeta',)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from parity.errors import InputError

__all__ = [
    "DDL_KINDS",
    "Statement",
    "UnparseableStatement",
    "UnsupportedStatement",
    "only_on_scratch",
    "parse_migration",
    "parse_queries",
    "rename_tables",
    "split_statements",
    "with_algorithm",
]

#: Statement kinds that change the schema (and are tried with each ALTER algorithm).
DDL_KINDS = frozenset({"alter_table", "create_index", "drop_index"})
_KINDS = DDL_KINDS | {"create_table", "drop_table", "insert", "update", "delete", "select"}


class UnparseableStatement(InputError):
    """A statement of the migration is not SQL the MySQL dialect parser understands."""


class UnsupportedStatement(InputError):
    """A statement of the migration cannot be rehearsed on a scratch copy."""


@dataclass(frozen=True)
class Statement:
    """One statement: its number in the file (from 1), its text, kind, tables and columns."""

    number: int
    text: str
    kind: str
    tables: tuple[str, ...]
    columns: tuple[str, ...]
    expression: exp.Expr = field(compare=False, repr=False)

    @property
    def is_ddl(self) -> bool:
        """True for ALTER TABLE, CREATE INDEX and DROP INDEX."""
        return self.kind in DDL_KINDS

    @property
    def label(self) -> str:
        """How messages name it: ``statement 2 (ALTER TABLE wp_postmeta ...)``."""
        short = " ".join(self.text.split())
        return f"statement {self.number} ({short[:70]}{'...' if len(short) > 70 else ''})"

    @property
    def index_name(self) -> str | None:
        """The index a CREATE INDEX or DROP INDEX statement names."""
        if self.kind == "create_index":
            return str(self.expression.this.name)
        if self.kind == "drop_index":
            return str(self.expression.args["tables"][0].name)
        return None


def _tokenize(text: str) -> list[Token]:
    try:
        return list(MySQL().tokenizer_class().tokenize(text))
    except TokenError as exc:
        raise UnparseableStatement(f"the SQL could not be read: {exc}") from None


def _label(number: int, text: str) -> str:
    short = " ".join(text.split())
    return f"statement {number} ({short[:70]}{'...' if len(short) > 70 else ''})"


def split_statements(text: str) -> list[str]:
    """The statements of ``text`` as written (comments inside kept), split at ``;``.

    >>> split_statements("SELECT 'a;b'; -- note\\nSELECT 2;")
    ["SELECT 'a;b'", 'SELECT 2']
    """
    out: list[str] = []
    start: int | None = None
    end = 0
    for token in _tokenize(text):
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append(text[start : end + 1])
            start = None
            continue
        if start is None:
            start = token.start
        end = token.end
    if start is not None:
        out.append(text[start : end + 1])
    return out


def _kind(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Alter) and str(node.args.get("kind", "")).upper() == "TABLE":
        return "alter_table"
    if isinstance(node, exp.Create):
        kind = str(node.args.get("kind", "")).upper()
        return {"INDEX": "create_index", "TABLE": "create_table"}.get(kind)
    if isinstance(node, exp.Drop):
        kind = str(node.args.get("kind", "")).upper()
        return {"INDEX": "drop_index", "TABLE": "drop_table"}.get(kind)
    for cls, name in (
        (exp.Insert, "insert"),
        (exp.Update, "update"),
        (exp.Delete, "delete"),
        (exp.Select, "select"),
        (exp.Union, "select"),
    ):
        if isinstance(node, cls):
            return name
    return None


def _target_tables(node: exp.Expr, kind: str) -> list[exp.Table]:
    if kind == "alter_table":
        return [node.this]
    if kind == "create_index":
        return [node.this.args["table"]]
    if kind == "drop_index":
        cluster = node.args.get("cluster")
        return [cluster.this] if cluster is not None else []
    if kind == "create_table":
        target = node.this
        return [target.this if isinstance(target, exp.Schema) else target]
    if kind == "drop_table":
        return list(node.args.get("tables") or [])
    ctes = {cte.alias_or_name for cte in node.find_all(exp.CTE)}
    return [t for t in node.find_all(exp.Table) if t.name not in ctes]


def _columns(node: exp.Expr) -> tuple[str, ...]:
    found: list[str] = []
    for sub in node.walk():
        name = ""
        if isinstance(sub, exp.Column | exp.ColumnDef):
            name = sub.name
        elif isinstance(sub, exp.ColumnPrefix):
            name = sub.this.name
        if name and name not in found:
            found.append(name)
    return tuple(found)


_SQLGLOT_LOG = logging.getLogger("sqlglot")


def _statement(number: int, text: str) -> Statement:
    # sqlglot logs a warning before falling back to an opaque Command; that case is
    # reported below as an error naming the statement, so the warning is only noise.
    level = _SQLGLOT_LOG.level
    _SQLGLOT_LOG.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(text, read="mysql")
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise UnparseableStatement(
            f"{_label(number, text)} is not valid SQL: {first}",
            hint="fix the statement; nothing was changed",
        ) from None
    finally:
        _SQLGLOT_LOG.setLevel(level)
    node = parsed[0] if len(parsed) == 1 else None
    if node is None or isinstance(node, exp.Command):
        raise UnparseableStatement(
            f"{_label(number, text)} is not SQL the MySQL parser (sqlglot) understands",
            hint="fix the statement; nothing was changed",
        )
    kind = _kind(node)
    if kind is None or kind not in _KINDS:
        raise UnsupportedStatement(
            f"{_label(number, text)}: only ALTER TABLE, CREATE/DROP INDEX, CREATE/DROP TABLE,"
            " INSERT, UPDATE, DELETE and SELECT can be rehearsed"
        )
    tables = _target_tables(node, kind)
    if not tables:
        raise UnsupportedStatement(f"{_label(number, text)} names no table")
    for table in tables:
        if table.args.get("db") is not None:
            raise UnsupportedStatement(
                f"{_label(number, text)} names a table in another schema ({table.sql('mysql')})",
                hint="a rehearsal only works on the environment's own schema",
            )
    names: list[str] = []
    for table in tables:
        if table.name not in names:
            names.append(table.name)
    return Statement(number, text, kind, tuple(names), _columns(node), node)


def parse_migration(text: str) -> list[Statement]:
    """Every statement of a migration, parsed; raises a clear error naming a bad one."""
    statements = [_statement(i, s) for i, s in enumerate(split_statements(text), start=1)]
    if not statements:
        raise InputError("the migration holds no statement")
    return statements


def parse_queries(text: str) -> list[Statement]:
    """The statements of a ``--queries`` file: SELECTs only (they are run with ANALYZE)."""
    statements = [_statement(i, s) for i, s in enumerate(split_statements(text), start=1)]
    for statement in statements:
        if statement.kind != "select":
            raise UnsupportedStatement(f"query {statement.label[10:]} is not a SELECT")
    return statements


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def rename_tables(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with every table name of ``mapping`` replaced (quoted), all else as written.

    >>> rename_tables("UPDATE wp_posts SET x = 'wp_posts'", {"wp_posts": "prh_1_wp_posts"})
    "UPDATE `prh_1_wp_posts` SET x = 'wp_posts'"
    """
    out: list[str] = []
    last = 0
    for token in _tokenize(text):
        if token.token_type in (TokenType.VAR, TokenType.IDENTIFIER) and token.text in mapping:
            out.append(text[last : token.start])
            out.append(_quote(mapping[token.text]))
            last = token.end + 1
    out.append(text[last:])
    return "".join(out)


def with_algorithm(statement: Statement, table: str, algorithm: str, lock: str | None) -> str:
    """The DDL's SQL on ``table`` with ``ALGORITHM=...`` (and ``LOCK=...``) added.

    DROP INDEX is written as the equivalent ALTER TABLE (MariaDB's DROP INDEX takes no
    algorithm clause).

    >>> s = parse_migration("DROP INDEX meta_key ON wp_postmeta")[0]
    >>> with_algorithm(s, "prh_1_wp_postmeta", "INSTANT", None)
    'ALTER TABLE `prh_1_wp_postmeta` DROP INDEX `meta_key`, ALGORITHM=INSTANT'
    """
    clause = f"ALGORITHM={algorithm}" + (f", LOCK={lock}" if lock else "")
    if statement.kind == "drop_index":
        index = _quote(statement.index_name or "")
        return f"ALTER TABLE {_quote(table)} DROP INDEX {index}, {clause}"
    renamed = rename_tables(statement.text, {statement.tables[0]: table})
    if statement.kind == "create_index":
        return f"{renamed} {clause.replace(', ', ' ')}"
    return f"{renamed}, {clause}"


_TRAILING_ALGORITHM = re.compile(r"\s+ALGORITHM=\w+(\s+LOCK=\w+)?\s*$", re.IGNORECASE)


def only_on_scratch(sql: str, prefix: str) -> str:
    """``sql`` unchanged when every table it names starts with ``prefix``; else an error.

    The last check before a statement runs on the copy: whatever the renaming missed, a
    statement that would reach one of the environment's own tables never runs.

    >>> only_on_scratch("ALTER TABLE `prh_1_wp_posts` ADD COLUMN a int", "prh_1_")
    'ALTER TABLE `prh_1_wp_posts` ADD COLUMN a int'
    """
    # CREATE INDEX ... ALGORITHM=X LOCK=Y: sqlglot reads it without the trailing clause.
    statement = _statement(0, _TRAILING_ALGORITHM.sub("", sql))
    outside = [t for t in statement.tables if not t.startswith(prefix)]
    if outside:
        raise UnsupportedStatement(
            f"{statement.label[12:]} would reach {', '.join(outside)} outside the scratch copy"
        )
    return sql
