"""The layers of the design: drivers only in targets/, presentation only in the shells.

Every import in the source counts here, at module level or inside a function: a driver or
rich imported lazily is still used from the wrong layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import parity

PACKAGE = Path(parity.__file__).parent


def _importers(top_level: str) -> list[str]:
    """The modules (paths under parity/) that import ``top_level`` or one of its modules."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name == top_level or name.startswith(f"{top_level}.") for name in names):
                found.append(path.relative_to(PACKAGE).as_posix())
                break
    return found


def test_only_targets_imports_the_mysql_driver() -> None:
    users = _importers("MySQLdb")
    assert users, "the scan found no importer at all: is the driver still mysqlclient?"
    assert [u for u in users if not u.startswith("targets/")] == []


def test_only_the_shells_import_rich() -> None:
    users = _importers("rich")
    assert users, "the scan found no importer at all"
    shells = ("cli/", "web/")
    assert [u for u in users if not u.startswith(shells)] == []
