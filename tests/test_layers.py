"""The arrows of the house point one way (docs/architecture.md): ``core`` ← ``rules`` ← the
domain apps ← ``demo`` / ``api``. A module never imports an app above its own, and no two
modules import each other, however long the way round. The imports are read from the source
(``ast``), so the test sees every import, including those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gridlight"

# An app's layer: it may import its own layer's modules only where listed in SIDEWAYS, and any
# layer below. A new app must be given its layer here.
LAYERS = {
    "core": 0,
    "rules": 1,
    "households": 2,
    "tickets": 3,  # raises tickets from households' visits
    "talent": 4,  # talent problems are tickets
    "policies": 5,  # eligibility of talents and enterprises
    "evaluation": 4,  # action items and overdue tasks become tickets
    "development": 4,  # key projects' supervision is a ticket
    "dashboard": 6,  # the cockpit reads every pillar's records
    "demo": 9,
    "api": 9,
}
# Modules of the project itself (settings, URL conf, the command line, Celery's app) wire the
# apps together and sit above all of them.
PROJECT = {"settings", "urls", "cli", "celery", "wsgi", "asgi", "context_processors"}
# Leaf utilities of the project that any layer may use; they import nothing of Gridlight.
BASE = {"i18n"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level?) for every gridlight import in the file,
    leaving out imports only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str, bool]] = []
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only |= {id(n) for n in ast.walk(node)}
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.startswith("gridlight."):
                found.append((node.lineno, name, id(node) in top))
    return found


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _app(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}
    assert apps - set(LAYERS) == set()


def test_no_module_imports_an_app_above_its_own() -> None:
    wrong = []
    for module, path in _sources().items():
        app = _app(module)
        if app in PROJECT or app not in LAYERS:
            continue
        for line, name, _top in _imports(path):
            target = _app(name)
            if target in BASE:
                continue
            if target in PROJECT:
                wrong.append(f"{path.name}:{line} {module} imports the project's {name}")
            elif target in LAYERS and target != app and LAYERS[target] >= LAYERS[app]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} {module} → {name}")
    assert wrong == []


def test_no_import_cycle_between_modules() -> None:
    sources = _sources()
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, path in sources.items():
        for _line, name, top in _imports(path):
            # "from gridlight.x import y" names module x.y when y is a module, else x.
            target = name if name in sources else name.rsplit(".", 1)[0]
            if top and target in sources and target != module:
                graph[module].add(target)
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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


def test_base_utilities_import_nothing_of_gridlight() -> None:
    sources = _sources()
    assert [n for m in BASE for _l, n, _t in _imports(sources[f"gridlight.{m}"])] == []


def test_the_checks_see_a_wrong_arrow_and_a_cycle() -> None:
    # The detectors themselves: a cycle of three is found, a chain is not.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert _app("gridlight.core.middleware") == "core"
