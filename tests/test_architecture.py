"""The package's layout holds its design: dependencies point one way, from the command line
down to the records, with no cycle and no private name used across modules."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "dedup"
LAYERS = {
    "dedup.records": 0,
    "dedup.settings": 0,
    "dedup.files": 0,
    "dedup.read": 1,
    "dedup.detect": 2,
    "dedup.engines": 3,
    "dedup.views": 4,
    "dedup.cli": 5,
    "dedup.__main__": 6,
    "dedup": 6,  # the package's own __init__: the public API, on top
}
"""Each module's layer, by its longest prefix here: a module may import its own layer and
those below."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int:
    best = max(
        (prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len
    )
    return LAYERS[best]


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import of a dedup module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dedup"):
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.startswith("dedup")]
    return found


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def resolved(module: str, name: str) -> str:
    """``from module import name`` names a module when module.name is one."""
    return f"{module}.{name}" if f"{module}.{name}" in MODULES else module


def test_dependencies_point_down_the_layers():
    wrong = []
    for name, path in MODULES.items():
        for module, names in imports(path):
            for target in {resolved(module, n) for n in names} or {module}:
                if target in MODULES and layer(target) > layer(name):
                    wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_is_imported_from_another_module():
    wrong = [
        f"{name} imports {module}.{imported}"
        for name, path in MODULES.items()
        for module, names in imports(path)
        for imported in names
        if imported.startswith("_") and module != name
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {
        name: {
            target
            for module, names in imports(path)
            for target in ({resolved(module, n) for n in names} or {module})
            if target in MODULES and target != name and target != "dedup"
        }
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, child]))
            if child not in state:
                visit(child, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_readme_architecture_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    for name, path in MODULES.items():
        relative = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and name != "dedup":
            relative = relative.rsplit("/", 1)[0] + "/"
        assert relative.split("/")[-1] in section or relative in section, relative
