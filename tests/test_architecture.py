"""The layering in ARCHITECTURE.md, enforced: every import between the project's apps
points down the layer table, no module takes part in an import cycle, and
function-level imports are rare and explained."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_FUNCTION_LEVEL_IMPORTS = 3


def documented_layers() -> dict[str, int]:
    """{app: layer} from the table in ARCHITECTURE.md (rows like "| 2 | `a`, `b` | ...")."""
    layers = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text().splitlines():
        match = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if match:
            for app in re.findall(r"`([a-z_]+)`", match.group(2)):
                layers[app] = int(match.group(1))
    return layers


def project_apps() -> list[str]:
    return sorted(path.parent.name for path in ROOT.glob("*/apps.py"))


def modules() -> dict[str, Path]:
    """Every module of the project's apps: {"ratings.services": path}."""
    found = {}
    for app in project_apps():
        for path in (ROOT / app).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]):
    """(imported project module, line number, at module level?) for each import."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = set()
    for node in tree.body:
        top_level.add(node)
        if isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:` and guarded imports
            top_level.update(ast.walk(node))
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, path.name == "__init__.py")
            # `from taste import services` imports the module taste.services.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        resolved = []
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            resolved.append(target)
        for target in dict.fromkeys(filter(None, resolved)):  # once per module and statement
            yield target, node.lineno, node in top_level


@pytest.fixture(scope="module")
def graph():
    known = modules()
    return {module: list(imports_of(module, path, known)) for module, path in sorted(known.items())}


def test_every_app_has_a_documented_layer():
    layers = documented_layers()
    assert set(project_apps()) <= set(layers), "apps missing from ARCHITECTURE.md's table"
    assert layers["core"] == 0 and layers["pages"] == max(layers.values())


def test_imports_point_down_the_layers(graph):
    layers = documented_layers()
    wrong = []
    for module, imports in graph.items():
        app = module.split(".")[0]
        for target, line, _top in imports:
            other = target.split(".")[0]
            if other != app and layers[other] >= layers[app]:
                wrong.append(
                    f"{module}:{line} imports {target} (layer {app}={layers[app]}, "
                    f"{other}={layers[other]})"
                )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles(graph):
    edges = {
        module: {target for target, _l, _t in imports if target != module}
        for module, imports in graph.items()
    }
    cycles = [scc for scc in _strongly_connected(edges) if len(scc) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_function_level_imports_are_few_and_explained(graph):
    found = []
    for module, imports in graph.items():
        lines = modules()[module].read_text().splitlines()
        for _target, line, top in imports:
            if not top:
                context = lines[line - 1] + (lines[line - 2] if line > 1 else "")
                found.append((module, line, "#" in context))
    assert len(found) <= MAX_FUNCTION_LEVEL_IMPORTS, found
    assert all(explained for _m, _l, explained in found), "say why in a comment: " + str(found)


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative enough for a few hundred modules."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            result.append(component)

    for node in edges:
        if node not in index:
            visit(node)
    return result


def test_the_checker_sees_a_forbidden_arrow(tmp_path):
    """The checks above would catch a lower app importing a higher one."""
    source = "from pages import builders\n\ndef f():\n    from taste import services\n"
    path = tmp_path / "selectors.py"
    path.write_text(source)
    known = {"catalog.selectors": path, "pages.builders": path, "taste.services": path}
    found = list(imports_of("catalog.selectors", path, known))
    assert found == [("pages.builders", 1, True), ("taste.services", 4, False)]
