"""The house's dependency rules, read from the source (in-function imports included):

- `supervision` may import the other apps; they never import it (they publish through the bus);
- no app imports the demo package (`ondijon.demo`): it fakes a city, the domain never needs it;
- the platform's own plumbing (`ondijon` less its composition roots) imports no app;
- no import cycle between modules anywhere.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ondijon", "equipment", "interventions", "hotline", "geography", "supervision")
APPS = ("equipment", "interventions", "hotline", "geography", "supervision")
# Modules of `ondijon` that put the apps together: they may import any app.
COMPOSITION_ROOTS = (
    "ondijon.urls",
    "ondijon.asgi",
    "ondijon.roles",
    "ondijon.navigation",
    "ondijon.demo",
    "ondijon.management",
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path = ROOT) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path, root)] = path
    return modules


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """First-party modules a module imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` depends on the module, not only the package.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in known)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = source_modules(root)
    known = set(modules)
    return {name: imported_modules(path, name, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def top(module: str) -> str:
    return module.split(".")[0]


def is_composition_root(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in COMPOSITION_ROOTS)


def rule_breaches(graph: dict[str, set[str]]) -> list[str]:
    breaches = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if (
                top(module) in APPS
                and top(module) != "supervision"
                and top(target) == "supervision"
            ):
                breaches.append(f"{module} imports {target}: only supervision imports supervision")
            if top(module) in APPS and is_composition_root(target):
                breaches.append(f"{module} imports {target}: apps never import the demo")
            if top(module) == "ondijon" and not is_composition_root(module) and top(target) in APPS:
                breaches.append(f"{module} imports {target}: platform plumbing imports no app")
    return breaches


def test_apps_depend_one_way_and_never_on_the_demo():
    assert rule_breaches(import_graph()) == []


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


@pytest.fixture
def tangled_tree(tmp_path):
    """A small tree with each kind of breach, to prove the checks can fail."""
    files = {
        "equipment/__init__.py": "",
        "equipment/commands.py": "def enqueue():\n    from equipment.tasks import send\n",
        "equipment/tasks.py": "from equipment import commands\n",
        "equipment/views.py": "from supervision.models import Alert\n",
        "hotline/__init__.py": "",
        "hotline/services.py": "from ondijon.demo import seed\n",
        "ondijon/__init__.py": "",
        "ondijon/bus.py": "from equipment import commands\n",
        "ondijon/demo/__init__.py": "",
        "ondijon/demo/seed.py": "import equipment.tasks\n",
        "supervision/__init__.py": "",
        "supervision/models.py": "",
        "interventions/__init__.py": "",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checks_catch_a_cycle_hidden_in_a_function_and_each_wrong_direction(tangled_tree):
    graph = import_graph(tangled_tree)
    assert cycles(graph) == [["equipment.commands", "equipment.tasks"]]
    assert rule_breaches(graph) == [
        "equipment.views imports supervision.models: only supervision imports supervision",
        "hotline.services imports ondijon.demo.seed: apps never import the demo",
        "ondijon.bus imports equipment.commands: platform plumbing imports no app",
    ]
