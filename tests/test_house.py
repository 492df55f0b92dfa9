"""The house rules of ``qa/`` (docs/architecture.md), read from the source with ``ast``, nothing imported: the
packages by stage, imports that only go down the stages, no import cycle between modules, no file over 400 lines,
a docstring for every package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parents[1] / "qa"

# The stages, lowest first: a module may import its own stage and the stages before it, never one after it.
STAGES = ["qa.settings", "qa.text", "qa.models", "qa.store", "qa.ingest", "qa.retrieval", "qa.answers",
          "qa.summaries", "qa.news", "qa.evaluation", "qa.assistant", "qa.cli", "qa.ui", "qa"]
MAX_LINES = 400


def module_name(path: Path, root: Path = QA) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = QA) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The ``qa`` modules that ``name`` imports anywhere in its file (in functions too: an import put off to
    run time to dodge a cycle is still a cycle). ``from package import module`` counts as the module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # "qa.x.y.Name" imported as a module path: its module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = QA) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def stage_of(name: str) -> str:
    """The stage a module belongs to: the longest stage its name falls under (``qa.__main__``: the top)."""
    matches = [s for s in STAGES if name == s or name.startswith(s + ".")]
    return max(matches, key=len)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    rank = {stage: i for i, stage in enumerate(STAGES)}
    return sorted(f"{name} ({stage_of(name)}) imports {target} ({stage_of(target)})"
                  for name, targets in graph.items() for target in targets
                  if rank[stage_of(target)] > rank[stage_of(name)])


def test_every_package_is_a_stage_with_a_docstring():
    packages = {module_name(p) for p in QA.rglob("__init__.py")}
    top = {p for p in packages if p.count(".") == 1}
    assert top <= set(STAGES), f"packages missing from STAGES: {sorted(top - set(STAGES))}"
    undocumented = [p for p in sorted(packages) if not ast.get_docstring(ast.parse(
        (QA.parent / p.replace(".", "/") / "__init__.py").read_text(encoding="utf-8")))]
    assert not undocumented
    loose = sorted(name for name in modules() if name.count(".") == 1 and name not in STAGES
                   and name != "qa.__main__")
    assert not loose, f"modules at the top of qa/ that belong in a stage's package: {loose}"


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_imports_only_go_down_the_stages():
    assert upward_imports(import_graph()) == []


def test_no_file_over_400_lines():
    long = {module_name(p): n for p in QA.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("code, cycle", [
    ({"a.py": "from qa import b\n", "b.py": "def f():\n    from qa.a import x\n"}, ["qa.a", "qa.b"]),
    ({"a.py": "import qa.b\n", "b.py": "from . import c\n", "c.py": "from .a import x\n"}, ["qa.a", "qa.b", "qa.c"]),
    ({"a.py": "from qa.b import x\n", "b.py": "y = 1\n"}, None),
])
def test_the_scan_sees_cycles_through_any_kind_of_import(tmp_path, code, cycle):
    """The scanner itself: a cycle through a function-level import or a relative import is found, a plain
    downward import is not one."""
    root = tmp_path / "qa"
    root.mkdir()
    (root / "__init__.py").write_text('"""x"""\n')
    for name, text in code.items():
        (root / name).write_text(text)
    found = cycles(import_graph(root))
    assert found == ([cycle] if cycle else [])


def test_the_scan_sees_an_upward_import():
    graph = {"qa.text.facts": {"qa.answers.checking"}, "qa.answers.checking": {"qa.text.facts"}}
    assert upward_imports(graph) == ["qa.text.facts (qa.text) imports qa.answers.checking (qa.answers)"]
