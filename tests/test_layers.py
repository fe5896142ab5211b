"""The layers stay visible: imports point one way and no module imports itself round a loop.

The graph is drawn from the source with `ast`, every import counted, also those inside
functions or under `TYPE_CHECKING`: a hidden import is still a dependency.

    socmon (application: CLI, daemon, web, demo)
      -> notifications (digests)  -> monitor's foundation only
      -> monitor (engine: cycle, runner, connect, health; foundation: config, registry, store, lapses)
      -> checks (pure rules)  -> connectors.base only
      -> connectors (platform APIs; nothing of ours)

The sandbox is a stand-in for the platforms: it imports nothing of the product, and only
the demo (application layer) imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("socmon", "notifications", "monitor", "checks", "connectors", "sandbox")
# Higher may import lower, never the reverse.
RANK = {"socmon": 4, "notifications": 3, "monitor": 2, "checks": 1, "connectors": 0}
# monitor's engine: what runs a cycle. Everything else in monitor/ is the foundation
# (config, registry, store and migrations, lapse lifecycle), which must not import these.
ENGINE = {
    "monitor.breaker",
    "monitor.connect",
    "monitor.cycle",
    "monitor.cycle_record",
    "monitor.cycle_writer",
    "monitor.grant",
    "monitor.health",
    "monitor.image_cache",
    "monitor.lease",
    "monitor.logo",
    "monitor.logo_enricher",
    "monitor.progress",
    "monitor.runner",
}


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (absolute imports; the code uses no relative ones)."""
    files = {module_name(root, p): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` only mod.
                targets.add(node.module)
                targets.update(f"{node.module}.{a.name}" for a in node.names)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def wrong_way(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import that breaks the layering, as 'a -> b: why'."""
    bad: list[str] = []
    for source, targets in sorted(graph.items()):
        top = source.split(".")[0]
        for target in sorted(targets):
            under = target.split(".")[0]
            edge = f"{source} -> {target}"
            if top == "sandbox" and under != "sandbox":
                bad.append(f"{edge}: the sandbox imports nothing of the product")
            elif under == "sandbox" and top not in ("sandbox", "socmon"):
                bad.append(f"{edge}: only the application (the demo) runs the sandbox")
            elif top in RANK and under in RANK and RANK[under] > RANK[top]:
                bad.append(f"{edge}: {top} sits below {under}")
            elif top == "checks" and under == "connectors" and target != "connectors.base":
                bad.append(f"{edge}: checks read snapshots (connectors.base), never a connector")
            elif top == "notifications" and (target in ENGINE or under == "connectors"):
                bad.append(f"{edge}: notifications use the foundation, not the engine")
            elif top == "monitor" and source not in ENGINE and target in ENGINE:
                bad.append(f"{edge}: the foundation imports nothing of the engine")
    return bad


def test_imports_point_down_the_layers() -> None:
    assert wrong_way(import_graph()) == []


def test_no_module_imports_itself_round_a_loop() -> None:
    assert cycles(import_graph()) == []


def test_the_checker_sees_a_wrong_way_import_and_a_loop() -> None:
    graph = {
        "monitor.registry": {"socmon.cli"},
        "monitor.lapses": {"monitor.cycle"},
        "checks.comments": {"connectors.facebook"},
        "socmon.cli": {"monitor.registry"},
        "monitor.cycle": set(),
        "connectors.facebook": set(),
    }
    bad = wrong_way(graph)
    assert any(b.startswith("monitor.registry -> socmon.cli") for b in bad)
    assert any(b.startswith("monitor.lapses -> monitor.cycle") for b in bad)
    assert any(b.startswith("checks.comments -> connectors.facebook") for b in bad)
    assert cycles(graph) == [["monitor.registry", "socmon.cli"]]


def test_the_graph_reads_imports_inside_functions(tmp_path: Path) -> None:
    pkg = tmp_path / "monitor"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from monitor import b\n    return b\n")
    (pkg / "b.py").write_text("import monitor.a\n")
    graph = import_graph(tmp_path, ("monitor",))
    assert graph["monitor.a"] == {"monitor", "monitor.b"}
    assert cycles(graph) == [["monitor.a", "monitor.b"]]
