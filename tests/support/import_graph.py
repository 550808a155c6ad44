"""The import graph of the shipped package, read from the source (no module is imported).

Every ``import`` and ``from ... import`` of an ``awsip`` module counts, wherever it stands: at the
top, inside a function (the command line's lazy imports) or under ``TYPE_CHECKING``. A cycle of
lazy imports works at run time, but it still means that two modules each need the other, which is
what the layering rule forbids (docs/architecture.md, "Layers").

``python -m tests.support.import_graph`` prints the figures; tests/test_import_graph.py asserts
that there is no cycle and that every import goes down the floors.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "operator" / "awsip"


def module_names(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """``awsip.policy.model`` -> its file, ``awsip.policy`` -> its ``__init__.py``."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = ["awsip", *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(node: ast.AST, module: str, is_package: bool, known: Mapping[str, Path]) -> Iterable[str]:
    """The awsip modules one import statement loads (the deepest that exists for each name)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from _deepest(alias.name, known)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            package = module.split(".") if is_package else module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if candidate in known:  # from awsip.trust import severities: the submodule
                yield candidate
            else:
                yield from _deepest(base, known)


def _deepest(dotted: str, known: Mapping[str, Path]) -> Iterable[str]:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in known:
            yield name
            return


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """Each awsip module and the awsip modules it imports (itself excluded)."""
    known = module_names(root)
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            edges.update(_imported(node, module, is_package, known))
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative, so that deep graphs do not hit the recursion limit
        nonlocal counter
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
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
    return sorted(found)


def main() -> int:
    graph = import_graph()
    found = cycles(graph)
    edges = sum(len(targets) for targets in graph.values())
    print(f"awsip modules: {len(graph)}, imports between them: {edges}")
    print(f"import cycles (strongly connected components of more than one module): {len(found)}")
    for component in found:
        print(f"  {len(component)} modules: {', '.join(component)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
