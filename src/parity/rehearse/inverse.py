"""Inverse statements: how to undo each statement of a migration, where that can be said.

Pure code. An inverse is derived from the statement and the table's definition just
before it ran (``SHOW CREATE TABLE``): an added column or index is dropped, a dropped
index or column is added back with its old definition and position, a changed column gets
its old definition back. What an inverse cannot bring back is said plainly in its notes
(a dropped column's values; rows an UPDATE changed).

>>> table = parse_create_table(
...     "CREATE TABLE `wp_postmeta` (\\n  `meta_id` bigint(20) unsigned NOT NULL,\\n"
...     "  `meta_key` varchar(255) DEFAULT NULL,\\n  PRIMARY KEY (`meta_id`),\\n"
...     "  KEY `meta_key` (`meta_key`(191))\\n) ENGINE=InnoDB")
>>> from parity.rehearse.parse import parse_migration
>>> inverse_of(parse_migration("DROP INDEX meta_key ON wp_postmeta")[0], table).sql
'ALTER TABLE `wp_postmeta` ADD KEY `meta_key` (`meta_key`(191))'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

from parity.rehearse.parse import Statement

__all__ = ["Inverse", "TableDefinition", "inverse_of", "parse_create_table"]

_COLUMN = re.compile(r"^`((?:[^`]|``)+)`\s")
_KEY = re.compile(r"^(?:(UNIQUE|FULLTEXT|SPATIAL)\s+)?KEY\s+`((?:[^`]|``)+)`\s")
_KEY_COLUMNS = re.compile(r"`((?:[^`]|``)+)`(?:\(\d+\))?")


@dataclass(frozen=True)
class TableDefinition:
    """A table as ``SHOW CREATE TABLE`` prints it: column lines and key lines by name."""

    name: str
    create_sql: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)

    def column_line(self, name: str) -> str | None:
        """The definition of column ``name`` (``\\`meta_key\\` varchar(255) ...``)."""
        return next((line for col, line in self.columns if col == name), None)

    def position_of(self, name: str) -> str:
        """``FIRST`` or ``AFTER \\`previous\\``` for column ``name``."""
        names = [col for col, _ in self.columns]
        at = names.index(name)
        return "FIRST" if at == 0 else f"AFTER {_quote(names[at - 1])}"

    def key_columns(self, key: str) -> list[str]:
        """Column names of key ``key`` (without prefix lengths)."""
        line = self.keys[key]
        inside = line[line.index("(") :]
        return [m.replace("``", "`") for m in _KEY_COLUMNS.findall(inside)]


def parse_create_table(create_sql: str, name: str | None = None) -> TableDefinition:
    """Read ``SHOW CREATE TABLE`` output into column and key lines."""
    head = re.match(r"CREATE TABLE `((?:[^`]|``)+)`", create_sql)
    table = name or (head.group(1) if head else "")
    columns: list[tuple[str, str]] = []
    keys: dict[str, str] = {}
    for raw in create_sql.splitlines()[1:]:
        if not raw.startswith("  "):
            continue
        line = raw.strip().rstrip(",")
        if line.startswith("PRIMARY KEY"):
            keys["PRIMARY"] = line
        elif match := _KEY.match(line):
            keys[match.group(2).replace("``", "`")] = line
        elif match := _COLUMN.match(line):
            columns.append((match.group(1).replace("``", "`"), line))
    return TableDefinition(table, create_sql, columns, keys)


@dataclass(frozen=True)
class Inverse:
    """The statement that undoes one statement (None when none can be derived), and
    what it cannot restore."""

    statement: int
    sql: str | None
    notes: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _unnamed_index(table: TableDefinition, first_column: str) -> str:
    """The name MariaDB gives an index added without one: its first column, then _2..."""
    name, n = first_column, 2
    while name in table.keys:
        name, n = f"{first_column}_{n}", n + 1
    return name


def _index_name(node: exp.Expr, table: TableDefinition) -> str | None:
    this = node.args.get("this")
    if isinstance(this, exp.Schema):
        this = this.this
    if this is not None:
        return str(this.name)
    cols = [c for c in node.walk() if isinstance(c, exp.Column | exp.ColumnPrefix)]
    first = cols[0] if cols else None
    if first is None:
        return None
    name = first.name if isinstance(first, exp.Column) else first.this.name
    return _unnamed_index(table, str(name))


def _undo_action(action: exp.Expr, table: TableDefinition) -> tuple[list[str], list[str]]:
    """Inverse alter specifications of one action, and notes (empty list: not derivable)."""
    if isinstance(action, exp.ColumnDef):
        return [f"DROP COLUMN {_quote(action.name)}"], []
    if isinstance(action, exp.AddConstraint):
        specs: list[str] = []
        for item in action.expressions:
            if isinstance(item, exp.PrimaryKey) or (
                isinstance(item, exp.Constraint)
                and any(isinstance(k, exp.PrimaryKey) for k in item.walk())
            ):
                specs.append("DROP PRIMARY KEY")
            elif isinstance(item, exp.IndexColumnConstraint | exp.UniqueColumnConstraint):
                name = _index_name(item, table)
                if name is None:
                    return [], []
                specs.append(f"DROP INDEX {_quote(name)}")
            else:
                return [], []
        return specs, []
    if isinstance(action, exp.DropPrimaryKey):
        line = table.keys.get("PRIMARY")
        return ([f"ADD {line}"], []) if line else ([], [])
    if isinstance(action, exp.Drop):
        kind = str(action.args.get("kind", "")).upper()
        target = action.args["tables"][0].name
        if kind in ("INDEX", "KEY") and target in table.keys:
            return [f"ADD {table.keys[target]}"], []
        if kind == "COLUMN" and table.column_line(target):
            specs = [f"ADD COLUMN {table.column_line(target)} {table.position_of(target)}"]
            for key in table.keys:
                cols = table.key_columns(key)
                if target in cols:
                    if len(cols) > 1:
                        drop = "PRIMARY KEY" if key == "PRIMARY" else f"INDEX {_quote(key)}"
                        specs.append(f"DROP {drop}")
                    specs.append(f"ADD {table.keys[key]}")
            return specs, [f"the values of the dropped column {target} are not restored"]
        return [], []
    if isinstance(action, exp.ModifyColumn):
        new = action.this.name
        old_ident = action.args.get("rename_from")
        old = old_ident.name if old_ident is not None else new
        line = table.column_line(old)
        if line is None:
            return [], []
        specs = [f"CHANGE COLUMN {_quote(new)} {line} {table.position_of(old)}"]
        # A new length can change the column's indexes (a prefix becoming the whole
        # column): give them their old definition too.
        for key in table.keys:
            if old in table.key_columns(key):
                drop = "PRIMARY KEY" if key == "PRIMARY" else f"INDEX {_quote(key)}"
                specs = [f"DROP {drop}", *specs, f"ADD {table.keys[key]}"]
        return specs, [f"values of {old} converted to the new definition are not converted back"]
    if isinstance(action, exp.AlterColumn):
        name = action.this.name
        line = table.column_line(name)
        return ([f"CHANGE COLUMN {_quote(name)} {line}"], []) if line else ([], [])
    if isinstance(action, exp.RenameColumn):
        return [f"RENAME COLUMN {_quote(action.args['to'].name)} TO {_quote(action.this.name)}"], []
    return [], []


def inverse_of(statement: Statement, table: TableDefinition | None) -> Inverse:
    """The inverse of ``statement`` given ``table`` as it was just before it ran."""
    name = statement.tables[0]
    number = statement.number
    if statement.kind == "create_table":
        return Inverse(number, f"DROP TABLE {_quote(name)}")
    if statement.kind in ("insert", "update", "delete"):
        return Inverse(number, None, ["rows a data change wrote are not restored"])
    if statement.kind == "select":
        return Inverse(number, None)
    if table is None:
        return Inverse(number, None, [f"{name} did not exist before this statement"])
    if statement.kind == "drop_table":
        return Inverse(
            number, table.create_sql, [f"the rows of the dropped table {name} are not restored"]
        )
    if statement.kind == "create_index":
        index = statement.index_name or ""
        return Inverse(number, f"DROP INDEX {_quote(index)} ON {_quote(name)}")
    if statement.kind == "drop_index":
        index = statement.index_name or ""
        line = table.keys.get(index)
        if line is None:
            return Inverse(number, None, [f"index {index} is not defined on {name}"])
        return Inverse(number, f"ALTER TABLE {_quote(name)} ADD {line}")
    node = statement.expression
    if node.args.get("options"):
        return Inverse(number, None, ["table options (ENGINE=, ...) are not reversed"])
    specs: list[str] = []
    notes: list[str] = []
    for action in reversed(node.args.get("actions") or []):
        undo, said = _undo_action(action, table)
        if not undo:
            return Inverse(
                number, None, [f"no inverse is derived for: {action.sql(dialect='mysql')}"]
            )
        specs += undo
        notes += said
    return Inverse(number, f"ALTER TABLE {_quote(name)} {', '.join(specs)}", notes)
