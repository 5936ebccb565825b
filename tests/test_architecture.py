"""Apps point one way: the import graph between the apps under ``jinguo/`` has no cycle, and
``lib/`` imports no app.

Every module is parsed with ``ast`` (nothing is imported), and every import statement counts,
including those inside functions and under ``TYPE_CHECKING``: a deferred import is still a
dependency, only a hidden one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "jinguo"

Edges = dict[tuple[str, str], list[str]]

# The foundations, each with the apps it may import: a lower app announces (a signal) and the
# higher one listens, so none of these ever imports an app built on it.
LOWER_APPS: dict[str, set[str]] = {
    "lib": set(),
    "audit": {"lib"},
    "notifications": {"lib"},
    "orgs": {"lib", "audit", "notifications"},
    "accounts": {"lib", "audit", "notifications", "orgs"},
}


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_modules(path: Path, root: Path) -> list[tuple[str, int]]:
    """The absolute names of the modules ``path`` imports, with the line of each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from jinguo import orgs`` imports the app itself: count the names too.
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _app_of(module: str, package: Path) -> str | None:
    """``jinguo.orgs.services`` -> ``orgs``; project modules (``jinguo.urls``) belong to no app."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != package.name or not (package / parts[1]).is_dir():
        return None
    return parts[1]


def app_import_graph(package: Path = PACKAGE) -> Edges:
    """``{(importer app, imported app): ["jinguo/x/y.py:12", ...]}`` for imports across apps."""
    edges: Edges = defaultdict(list)
    for path in sorted(package.rglob("*.py")):
        source = _app_of(_module_name(path, package), package)
        if source is None:
            continue
        for module, line in _imported_modules(path, package):
            target = _app_of(module, package)
            where = f"{path.relative_to(package.parent)}:{line}"
            if target is not None and target != source and where not in edges[(source, target)]:
                edges[(source, target)].append(where)
    return dict(edges)


def cycle_edges(edges: Edges) -> list[tuple[str, str]]:
    """The edges that lie on a cycle: ``a -> b`` where ``b`` also reaches ``a``."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    return sorted((a, b) for a, b in edges if reaches(b, a))


def _describe(edges: Edges, offending: list[tuple[str, str]]) -> str:
    return "\n".join(f"{a} -> {b}: {', '.join(edges[(a, b)])}" for a, b in offending)


def test_apps_import_each_other_without_cycles():
    edges = app_import_graph()
    offending = cycle_edges(edges)
    assert not offending, "imports that close a cycle between apps:\n" + _describe(edges, offending)


def test_lib_imports_no_app():
    edges = app_import_graph()
    offending = sorted(edge for edge in edges if edge[0] == "lib")
    assert not offending, "lib/ holds plain helpers and imports no app:\n" + _describe(edges, offending)


def test_lower_apps_import_only_what_lies_below_them():
    edges = app_import_graph()
    offending = sorted((a, b) for a, b in edges if a in LOWER_APPS and b not in LOWER_APPS[a])
    assert not offending, "a foundation imports an app above it:\n" + _describe(edges, offending)


def test_graph_sees_function_level_and_relative_imports(tmp_path):
    """The checker itself: a deferred import inside a function and a relative import both count,
    and a cycle is reported edge by edge (a checker that sees nothing passes everything)."""
    root = tmp_path / "jinguo"
    for app in ("low", "high", "lib"):
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
    (root / "high" / "views.py").write_text("from ..low import models\n")
    (root / "low" / "services.py").write_text("def move():\n    from jinguo.high.rollups import go\n")
    (root / "lib" / "helpers.py").write_text("import jinguo.low.models\n")

    edges = app_import_graph(root)

    assert edges == {
        ("high", "low"): ["jinguo/high/views.py:1"],
        ("low", "high"): ["jinguo/low/services.py:2"],
        ("lib", "low"): ["jinguo/lib/helpers.py:1"],
    }
    assert cycle_edges(edges) == [("high", "low"), ("low", "high")]
