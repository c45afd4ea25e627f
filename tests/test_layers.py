"""The dependency arrow points down: the import graph among telos modules, read from the source.

Every ``import`` counts, also the late ones inside functions (a late import hides a cycle from
Python, not from the design); only ``if TYPE_CHECKING:`` imports (annotations) do not. ``from telos.x import y`` is an edge to ``telos.x.y`` when that is
a module, else to ``telos.x``; importing a submodule is not counted as importing its package
(Python runs the package's ``__init__`` first, but that is the package's own business).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TELOS = Path(__file__).resolve().parent.parent / "telos"
MAX_LINES = 500

# The object model is the bottom of the image: it may use only these telos modules (plus the
# standard library and persistent). Everything above reaches it, never the other way round;
# the image installs what the object model needs from above (the kernel hook) at import.
OBJECT_MODEL = {"telos.uvm", "telos.reflect"}
OBJECT_MODEL_MAY_IMPORT = {"telos.errors", "telos.slots", "telos.uvm", "telos.reflect"}
EXECUTION_PREFIX = "telos.execution"

# Line-count exceptions, each owned by someone else right now (the integrator removes them):
LINE_COUNT_EXEMPT = (
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(TELOS.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(TELOS.rglob("*.py"))}


MODULES = _modules()


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _walk(tree: ast.AST):
    """Every node, except what sits under ``if TYPE_CHECKING:`` (names for annotations only:
    a lower module may *mention* the type of an object an upper one hands it)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _type_checking(node):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _imports(name: str, path: Path) -> set[str]:
    """The telos modules ``name`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                out.add(sub if sub in MODULES else mod)
    return {m for m in out if m == "telos" or m.startswith("telos.")} - {name}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = set()
        for m in _imports(name, path):
            while m not in MODULES and "." in m:     # `import telos.x.attr`: the module part
                m = m.rsplit(".", 1)[0]
            if m in MODULES and m != name:
                targets.add(m)
        graph[name] = targets
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _path(graph: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """One import path start → … → goal (to show a cycle)."""
    seen, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w not in seen:
                seen[w] = v
                if w == goal:
                    path = [w]
                    while seen[path[-1]] is not None:
                        path.append(seen[path[-1]])
                    return path[::-1]
                queue.append(w)
    return []


def test_the_graph_sees_late_imports():
    """The reader finds imports inside functions: ``open_image`` imports genesis late (at
    module level image.py does not), and kernel.area imports the kernel's cycle late."""
    import ast as _ast
    top = {n.module for n in _ast.parse((TELOS / "image.py").read_text()).body
           if isinstance(n, _ast.ImportFrom)}
    assert "telos.genesis" not in top and "telos.genesis" in GRAPH["telos.image"]
    assert "telos.kernel.cycle" in GRAPH["telos.kernel.area"]


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    shown = []
    for comp in cycles:
        a = comp[0]
        b = next(iter(sorted(GRAPH[a] & set(comp))))
        shown.append(" → ".join([a] + _path(GRAPH, b, a)))
    assert not cycles, "import cycles:\n" + "\n".join(shown)


@pytest.mark.parametrize("module", sorted(OBJECT_MODEL))
def test_the_object_model_imports_nothing_above_it(module):
    above = {m for m in GRAPH[module] if m not in OBJECT_MODEL_MAY_IMPORT
             and not m.startswith(EXECUTION_PREFIX)}
    assert not above, f"{module} imports {sorted(above)} (allowed: {sorted(OBJECT_MODEL_MAY_IMPORT)}, {EXECUTION_PREFIX}.*)"


def test_execution_imports_only_errors_and_itself():
    for name in MODULES:
        if name == EXECUTION_PREFIX or name.startswith(EXECUTION_PREFIX + "."):
            bad = {m for m in GRAPH[name] if m != "telos.errors"
                   and not m.startswith(EXECUTION_PREFIX)}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_no_module_over_the_line_limit():
    long = []
    for name, path in MODULES.items():
        rel = path.relative_to(TELOS.parent).as_posix()
        if rel.startswith(LINE_COUNT_EXEMPT):
            continue
        n = len(path.read_text().splitlines())
        if n > MAX_LINES:
            long.append(f"{rel}: {n} lines")
    assert not long, f"modules over {MAX_LINES} lines: {long}"


SLOT_TABLES = {"_data", "_parents", "_methods"}


def test_slots_are_read_through_mirrors():
    """Outside the object model, an object's slots (data, parents, methods) are read and
    written with ``mirror(obj)``, never through its private tables."""
    readers = []
    for name, path in MODULES.items():
        if name in OBJECT_MODEL:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in SLOT_TABLES:
                readers.append(f"{path.relative_to(TELOS.parent)}:{node.lineno} .{node.attr}")
    assert not readers, f"slot tables used outside uvm/reflect: {readers}"
