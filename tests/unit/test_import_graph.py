"""No import cycle among parity's modules.

The graph is built from the source, as Python runs it: module-level imports only
(``if TYPE_CHECKING:`` blocks and imports inside functions do not run at import time).
Importing ``a.b.c`` also runs the ``__init__`` of ``a.b`` unless the importer lives inside
``a.b`` itself (its package is then already being imported), so that package counts as
imported too. ``from package import name`` inside the package counts as an import of the
package itself, unless ``name`` is a submodule: reading a name from a package that is
still being initialised is exactly the cycle this test is here to prevent.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import parity

SOURCE = Path(parity.__file__).parent.parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.joinpath("parity").rglob("*.py"):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node):
                yield from _runtime_imports(node.body)
                yield from _runtime_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _runtime_imports(block)
            for handler in node.handlers:
                yield from _runtime_imports(handler.body)


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def import_graph() -> dict[str, set[str]]:
    """Module -> the parity modules its import runs first."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}

    def inside(importer: str, package: str) -> bool:
        return importer == package or importer.startswith(package + ".")

    def add(importer: str, target: str) -> None:
        parts = target.split(".")
        for end in range(2, len(parts) + 1):
            name = ".".join(parts[:end])
            if name != importer and name in modules and not inside(importer, name):
                graph[importer].add(name)

    for module, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        for node in _runtime_imports(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(module, alias.name)
                continue
            if node.level:
                base = _package_of(module, path).split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("parity"):
                continue
            add(module, source)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in modules:
                    add(module, sub)
                elif source in modules and inside(module, source) and source != module:
                    graph[module].add(source)  # a name read from a package mid-import
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_detector_finds_a_cycle_through_a_package_init() -> None:
    graph = {
        "parity.config": {"parity.jobs"},
        "parity.jobs": {"parity.jobs.runner"},
        "parity.jobs.runner": {"parity.config"},
        "parity.errors": set(),
    }
    assert cycles(graph) == [["parity.config", "parity.jobs", "parity.jobs.runner"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_parity_modules() -> None:
    graph = import_graph()
    assert "parity.config" in graph and graph["parity.cli.main"], "the graph is empty"
    found = cycles(graph)
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_lazy_exports_are_gone() -> None:
    assert not SOURCE.joinpath("parity", "lazy.py").exists()
    for path in SOURCE.joinpath("parity").rglob("__init__.py"):
        assert "__getattr__" not in path.read_text("utf-8"), path
