"""The package's shape, checked: imports point down the data flow, kernels stay behind the
drivers of their package, and the top level holds only the entry points."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "item2vec"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Each module's imports of other item2vec modules, at any depth (function-level ones too).
    ``from package import module`` is an edge to the module, not to the package's ``__init__``."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                source = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                if not source.startswith("item2vec"):
                    continue
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    found.add(child if child in modules else source)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("item2vec")}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycle():
    graph = imports()
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_kernels_are_imported_by_their_own_package_only():
    """A private (kernel) module is the business of the drivers beside it: the engine's kernels of
    ``item2vec.engine``, the session baselines' of ``item2vec.evaluation.models``."""
    for module, targets in imports().items():
        private = [t for t in targets if t.rsplit(".", 1)[-1].startswith("_") and not t.endswith("__init__")]
        for target in private:
            package = target.rpartition(".")[0]
            assert module.rpartition(".")[0] == package, f"{module} imports the kernel module {target}"


def test_the_top_level_holds_at_most_eight_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= 8, top


def test_stages_import_only_upstream():
    """scoring never imports evaluation or integrations; evaluation never imports integrations or
    the CLI; nothing but the CLI imports the CLI."""
    forbidden = {
        "item2vec.data": ("item2vec.scoring", "item2vec.evaluation", "item2vec.integrations", "item2vec.cli"),
        "item2vec.engine": ("item2vec.scoring", "item2vec.evaluation", "item2vec.integrations", "item2vec.cli"),
        "item2vec.sessions": ("item2vec.scoring", "item2vec.evaluation", "item2vec.integrations", "item2vec.cli"),
        "item2vec.scoring": ("item2vec.evaluation", "item2vec.integrations", "item2vec.cli"),
        "item2vec.evaluation": ("item2vec.integrations", "item2vec.cli"),
        "item2vec.integrations": ("item2vec.cli",),
    }
    for module, targets in imports().items():
        for stage, below in forbidden.items():
            if module.startswith(stage):
                bad = [t for t in targets if t.startswith(below)]
                assert not bad, f"{module} imports {bad}, downstream of it"
