"""copier behind one door: only mlops_scaffold.copier_compat touches copier's internals, and its
patches last only as long as their `with` block."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import copier
import jinja2
import yaml
from conftest import REPO_ROOT, answers_with

from mlops_scaffold import copier_compat
from mlops_scaffold.examples import tree_differences
from mlops_scaffold.options import resolve_answers
from mlops_scaffold.render import render_project

COMPAT = REPO_ROOT / "src" / "mlops_scaffold" / "copier_compat.py"
# Private attributes of copier objects we know of, and copier's temporary folder names.
PRIVATE_TEXT = re.compile(r"\._raw_config\b|_sync_git_index_executable_bit|\._render_string\b|copier\*old_copy")


def private_copier_uses(source: str) -> list[str]:
    """'line: what' for each import of a private copier module or name, and each known private
    attribute or temporary-folder name of copier, in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "copier":
            module_parts = (node.module or "").split(".")[1:]
            names = [alias.name for alias in node.names]
            if any(part.startswith("_") or part == "main" for part in module_parts) or any(
                name.startswith("_") or name == "main" for name in names
            ):
                found.append(f"{node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "copier" and any(part.startswith("_") or part == "main" for part in parts[1:]):
                    found.append(f"{node.lineno}: import {alias.name}")
    for number, line in enumerate(source.splitlines(), 1):
        if PRIVATE_TEXT.search(line) and not line.lstrip().startswith("#"):
            found.append(f"{number}: {line.strip()}")
    return found


def test_no_module_outside_copier_compat_uses_copier_internals():
    sources = [
        path
        for folder in ("src", "hooks", "tests", "scripts")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if path not in (COMPAT, Path(__file__).resolve())
    ]
    assert len(sources) > 20
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{use}" for path in sources for use in private_copier_uses(path.read_text())
    ]
    assert offenders == []


def test_the_scan_finds_each_kind_of_private_use():
    planted = "\n".join(
        [
            "from copier._main import Worker",
            "from copier.main import Worker",
            "from copier import _main",
            "import copier._vcs",
            "config = template._raw_config",
            "glob('copier*old_copy*')",
            "from copier import run_copy  # public: not reported",
        ]
    )
    assert [use.split(":")[0] for use in private_copier_uses(planted)] == ["1", "2", "3", "4", "5", "6"]


# Renderings that between them turn on every optional part of the template: the fast paths
# (literal path parts, the answers file's path) must give the same files for each.
FAST_RENDERING_CASES = (
    {},
    {"iac": "terraform", "ci_platform": "github_actions", "deployment_targets": ["aks", "online_endpoint"]},
    {
        "deployment_targets": ["aci", "aks", "webapp", "online_endpoint"],
        "canary_release": True,
        "r_training": "databricks",
    },
)


def test_fast_rendering_is_undone_and_renders_the_same(tmp_path, template_snapshot):
    patched = (copier_compat.Worker, ("_sync_git_index_executable_bit", "_render_string", "answers_relpath"))
    before = {name: copier_compat.Worker.__dict__.get(name) for name in patched[1]}
    compile_before = jinja2.Environment.compile
    safe_loader_before = yaml.SafeLoader
    for number, overrides in enumerate(FAST_RENDERING_CASES):
        answers = answers_with(**overrides)
        plain = tmp_path / f"plain{number}"  # copier alone, no patch: what the fast paths must equal
        copier.run_copy(str(template_snapshot), plain, data=resolve_answers(answers), defaults=True, quiet=True)
        with copier_compat.fast_rendering():
            assert jinja2.Environment.compile is not compile_before
            assert yaml.SafeLoader is yaml.CSafeLoader
            assert copier_compat.Worker.__dict__["_render_string"] is not before["_render_string"]
            with copier_compat.fast_rendering():  # re-entrant
                fast = render_project(tmp_path / f"fast{number}", answers, template=template_snapshot)
            again = render_project(tmp_path / f"again{number}", answers, template=template_snapshot)
        assert jinja2.Environment.compile is compile_before
        assert yaml.SafeLoader is safe_loader_before is yaml.loader.SafeLoader
        assert {name: copier_compat.Worker.__dict__.get(name) for name in patched[1]} == before
        assert tree_differences(plain, fast) == [] and tree_differences(plain, again) == []


def test_literal_strings_are_the_ones_jinja_renders_to_themselves():
    env = jinja2.Environment()
    for text in ("src", "train.py", ".copier-answers.yml", "a}b", "{ not jinja }", "100%"):
        assert copier_compat._is_literal(env, text) and env.from_string(text).render() == text
    for text in ("{{ x }}", "{% if x %}a{% endif %}", "{# c #}a", "a\n", "a\nb", "a\r\nb"):
        assert not copier_compat._is_literal(env, text)
    assert not copier_compat._is_literal(jinja2.Environment(line_statement_prefix="#"), "src")


def test_raw_config_reads_the_templates_copier_yml(template_snapshot):
    with copier_compat.Worker(src_path=str(template_snapshot), dst_path=".", defaults=True) as worker:
        config = copier_compat.raw_config(worker.template)
    assert config["_subdirectory"] == "template"
