"""Every generated ml_service module is imported by some generated test with no settings, network
or credentials (`ml_service.testing.imports_quietly`). The core test names the modules every
project has rather than listing ml_service/ (a listing would make it depend on the options, and the
run tier would run it once per option set); this keeps that explicit list and the options' own
lists complete."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import every_target

FULLEST = [
    {"deployment_targets": every_target(), "canary_release": True, "batch_scoring": True, "r_training": "aml"},
    {"deployment_targets": every_target(), "canary_release": True, "batch_scoring": True, "r_training": "databricks"},
]


def _module_name(project: Path, path: Path) -> str:
    parts = path.relative_to(project).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_by(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules_not_imported_quietly(project: Path) -> list[str]:
    """The ml_service modules no `imports_quietly` call reaches, directly or through their imports."""
    modules = {_module_name(project, path): path for path in (project / "ml_service").rglob("*.py")}
    named: set[str] = set()
    for test in (project / "tests").glob("test_ml_service_*.py"):
        text = test.read_text(encoding="utf-8")
        if "imports_quietly(" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
                named.add(node.value)
    reached, pending = set(), list(named)
    while pending:
        module = pending.pop()
        if module in reached:
            continue
        reached.add(module)
        parent = module.rpartition(".")[0]
        pending += [parent] if parent in modules else []  # importing a submodule runs its package
        tree = ast.parse(modules[module].read_text(encoding="utf-8"))
        pending += [name for name in _imported_by(tree) if name in modules]
    return sorted(set(modules) - reached)


@pytest.mark.parametrize("overrides", FULLEST, ids=["r_aml", "r_databricks"])
def test_every_ml_service_module_is_imported_quietly_by_a_test(render: Callable[..., Path], overrides) -> None:
    assert modules_not_imported_quietly(render(**overrides)) == []


def test_a_module_no_test_imports_is_named(render: Callable[..., Path], tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(render(**FULLEST[0]), project, symlinks=True)
    (project / "ml_service" / "deploy" / "forgotten.py").write_text('"""Nobody imports me."""\n')
    assert modules_not_imported_quietly(project) == ["ml_service.deploy.forgotten"]
