"""The layers of the code, enforced: imports flow one way and never round in a circle.

Two checks. Only ``studio/gui`` may import Qt: every other module imports with PySide6/pyqtgraph
blocked. And every import statement of ``nodes/`` and ``studio/`` -- at module level or inside a
function, since a lazy import still ties two modules together -- points to the same layer or one
before it in ``LAYERS``, and no two modules import each other, directly or round a longer loop.
The second check reads the source with ``ast`` (nothing is imported), so it sees every file.
"""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("nodes", "studio")

# Each layer may import from itself and the layers before it. A layer of several packages (the
# two front ends) may not import across them: each package of a layer is independent.
LAYERS = (
    ("nodes",),
    ("studio.core",),
    ("studio.compile",),
    ("studio.train",),
    ("studio.export",),
    ("studio.importer",),
    ("studio.inspect",),
    ("studio.search",),
    ("studio.gui", "studio.cli"),
)
# Modules outside the packages of LAYERS, by exact name: (layer, the package they count as).
PINNED = {
    "studio": (0, "studio"),  # the root package only holds __version__, which exporters record
    "studio.__main__": (len(LAYERS) - 1, "studio.cli"),  # `python -m studio` is `netstudio`
}

# Imports that break the rules on purpose, each with its reason: (importer, imported prefix).
ALLOWED_EDGES = {
    ("studio.cli.launch", "studio.gui"):
        "`netstudio` without a command opens the window: the one door from the CLI to the GUI",
}
# Import cycles nobody could untie yet: each a frozenset of its modules, with its reason.
ALLOWED_CYCLES: dict[frozenset, str] = {}


def _module_names(root: Path, packages) -> dict[str, bool]:
    """Every module under ``root``'s ``packages``: dotted name -> whether it is a package."""
    names = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            names[".".join(parts[:-1] if is_package else parts)] = is_package
    return names


def _known(name: str, modules) -> str | None:
    """The module an import of ``name`` loads: ``a.b.func`` -> ``a.b`` (longest known prefix)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported(node, module: str, is_package: bool, modules) -> list[str]:
    """The modules of ours one ``import`` / ``from ... import`` statement names."""
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: the package of this module, then one level up per extra dot
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    # ``from a import b`` imports the submodule a.b when there is one, else a name from a
    return [_known(f"{base}.{alias.name}", modules) for alias in node.names]


def import_graph(root: Path, packages=PACKAGES) -> nx.DiGraph:
    """module -> module for every import in the sources, lazy ones (inside functions) included."""
    modules = _module_names(root, packages)
    graph = nx.DiGraph()
    for module, is_package in modules.items():
        graph.add_node(module)
        path = root.joinpath(*module.split("."), *(["__init__"] if is_package else []))
        tree = ast.parse(path.with_suffix(".py").read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(node, module, is_package, modules):
                    if target and target != module:
                        graph.add_edge(module, target)
    return graph


def _layer_of(module: str, layers) -> tuple[int, str] | None:
    """(layer index, package of that layer) of ``module``; None when no layer holds it."""
    if module in PINNED:
        return PINNED[module]
    for index, layer in enumerate(layers):
        for package in layer:
            if module == package or module.startswith(package + "."):
                return index, package
    return None


def layer_problems(graph: nx.DiGraph, layers=LAYERS, allowed=ALLOWED_EDGES) -> list[str]:
    """One line per import against the layer order, or per module that no layer holds."""
    problems = [f"{m} is in no layer: add its package to LAYERS in {Path(__file__).name}"
                for m in sorted(graph) if _layer_of(m, layers) is None]
    for importer, imported in sorted(graph.edges):
        a, b = _layer_of(importer, layers), _layer_of(imported, layers)
        if a is None or b is None or any(
                importer == i and (imported == p or imported.startswith(p + "."))
                for i, p in allowed):
            continue
        if b[0] > a[0]:
            problems.append(f"{importer} imports {imported}: a later layer ({b[1]} comes after "
                            f"{a[1]})")
        elif b[0] == a[0] and a[1] != b[1]:
            problems.append(f"{importer} imports {imported}: {a[1]} and {b[1]} are independent "
                            "packages of the same layer")
    return problems


def cycle_problems(graph: nx.DiGraph, allowed=ALLOWED_CYCLES) -> list[str]:
    """One line per group of modules that import each other, naming one loop through them."""
    problems = []
    for group in nx.strongly_connected_components(graph):
        if len(group) > 1 and frozenset(group) not in allowed:
            loop = [edge[0] for edge in nx.find_cycle(graph.subgraph(group))]
            start = loop.index(min(loop))  # the same message on every run
            loop = loop[start:] + loop[:start]
            more = len(group) - len(loop)
            problems.append(f"import cycle: {' -> '.join(loop + loop[:1])}" + (
                f" (and {more} more module{'s' * (more > 1)} in the same knot)" if more else ""))
    return sorted(problems)


def test_imports_follow_the_layers():
    problems = layer_problems(import_graph(ROOT))
    assert problems == [], "\n".join(problems)


def test_no_import_cycles_lazy_imports_included():
    problems = cycle_problems(import_graph(ROOT))
    assert problems == [], "\n".join(problems)


def test_the_graph_sees_the_imports_it_must():
    """Guards the checks above against passing because the graph came out empty."""
    graph = import_graph(ROOT)
    assert len(graph) > 100
    assert graph.has_edge("studio.core.serialize", "studio.core.document")  # module level
    assert graph.has_edge("studio.cli.launch", "studio.gui.app")  # inside a function
    assert graph.has_edge("studio.train.data", "studio.train.data.bundled")  # from pkg import mod


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_an_upward_import_fails_the_check(tmp_path):
    root = _plant(tmp_path, {
        "nodes/__init__.py": "",
        "studio/__init__.py": "",
        "studio/core/__init__.py": "",
        "studio/core/doc.py": "def f():\n    from studio.compile import fx\n",
        "studio/compile/__init__.py": "",
        "studio/compile/fx.py": "from ..core import doc\n",
        "studio/gui/__init__.py": "from studio.cli import main\n",
        "studio/cli/__init__.py": "def main(): pass\n",
        "studio/extra.py": "",
    })
    problems = layer_problems(import_graph(root))
    assert problems == [
        f"studio.extra is in no layer: add its package to LAYERS in {Path(__file__).name}",
        "studio.core.doc imports studio.compile.fx: a later layer (studio.compile comes after "
        "studio.core)",
        "studio.gui imports studio.cli: studio.gui and studio.cli are independent packages of "
        "the same layer",
    ]


def test_a_cycle_through_a_lazy_import_fails_the_check(tmp_path):
    root = _plant(tmp_path, {
        "studio/__init__.py": "",
        "studio/core/__init__.py": "from studio.core.a import x\n",
        "studio/core/a.py": "from . import b\nx = 1\n",
        "studio/core/b.py": "def f():\n    from studio.core.a import x\n    return x\n",
        "studio/core/c.py": "from studio.core import a\n",
    })
    graph = import_graph(root)
    assert cycle_problems(graph) == [
        "import cycle: studio.core.a -> studio.core.b -> studio.core.a"]
    assert cycle_problems(graph, {frozenset({"studio.core.a", "studio.core.b"}): "planted"}) == []


SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys
    for blocked in ("PySide6", "pyqtgraph", "shiboken6"):
        sys.modules[blocked] = None  # any import of them now raises ImportError
    import nodes, studio
    names = ["nodes", "studio"]
    for package in (nodes, studio):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith("studio.gui") or info.name == "studio.__main__":
                continue
            names.append(info.name)
    for name in names:
        importlib.import_module(name)
    print(len(names))
""")


def test_core_layers_import_without_qt():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) > 20
