"""Shared test harness: the canonical answers, a fast renderer and the repository paths."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from mlops_scaffold.matrix.render_tier import snapshot_template
from mlops_scaffold.render import render_project

REPO_ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
# Helper modules: the update tests' release history (fixtures), the order of modules for xdist,
# and the slow tests' remembered passes.
pytest_plugins = ["update_history", "scheduling", "memo"]
CANONICAL_ANSWERS: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "answers" / "canonical.yml").read_text())


def require(found: object, what: str) -> None:
    """A tool the test needs: locally a missing one skips with the install hint; in CI (CI=true)
    it fails, so a missing install step in .ci/run can never pass as a skipped test."""
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI lacks {what}")
    pytest.skip(f"needs {what}")


def answers_with(**overrides: Any) -> dict[str, Any]:
    """The canonical answers with `overrides` applied, dropping answers that no longer apply. A
    canonical answer that is its question's derived default (model_name from sample_name, …)
    follows the overrides, as copier's default would."""
    from mlops_scaffold.options import QUESTIONS, Derived

    canonical: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for question in QUESTIONS:
        value = CANONICAL_ANSWERS.get(question.name)
        derived = isinstance(question.default, Derived)
        follows = derived and question.name not in overrides and value == question.default_for(canonical)
        canonical[question.name] = value
        if not question.applies(answers):
            continue
        if question.name in overrides:
            answers[question.name] = overrides[question.name]
        elif follows:
            answers[question.name] = question.default_for(answers)
        elif question.name in CANONICAL_ANSWERS:
            answers[question.name] = value
    return answers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that ask for the generated project's venv are marked `venv`, so `make check` (the fast
    tier: -m "not slow and not matrix and not venv") leaves them, and the venv, to `make test`.
    (scheduling.py then orders the modules for pytest-xdist.)"""
    for item in items:
        if "project_venv" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.venv)


@pytest.fixture(scope="session")
def template_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is in the working tree, copied outside git so copier renders it
    directly (no clone per render). Tests about the answers file's source use REPO_ROOT."""
    return snapshot_template(REPO_ROOT, tmp_path_factory.mktemp("template") / "template")


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory, template_snapshot: Path) -> Callable[..., Path]:
    """render(**overrides) -> a rendered project (shared within the session: do not modify it;
    use `render_copy` for a project a test may change)."""
    cache: dict[str, Path] = {}

    def _render(**overrides: Any) -> Path:
        answers = answers_with(**overrides)
        key = json.dumps(answers, sort_keys=True)
        if key not in cache:
            dest = tmp_path_factory.mktemp("project") / answers["sample_name"]
            cache[key] = render_project(dest, answers, template=template_snapshot)
        return cache[key]

    return _render


@pytest.fixture(scope="session")
def project_venv(template_snapshot: Path) -> Path:
    """The shared venv with every generated project's requirements (Python 3.11, the default), built
    once per requirements content, on demand: only tests that ask for it (they run project code,
    e.g. the Azure ML dry run of `mlops-scaffold check`) wait for it; `make check` asks for none."""
    from mlops_scaffold.venvs import ensure_venv, shared_requirements

    version = CANONICAL_ANSWERS["python_version"]
    venv = ensure_venv(version, shared_requirements(template_snapshot / "template", python_version=version))
    os.environ["MLOPS_SCAFFOLD_PROJECT_PYTHON"] = str(venv / "bin" / "python")
    return venv


@pytest.fixture
def render_copy(render: Callable[..., Path], tmp_path: Path) -> Callable[..., Path]:
    """Like `render`, but the project is a private copy the test may change."""

    def _render_copy(**overrides: Any) -> Path:
        source = render(**overrides)
        dest = tmp_path / source.name
        shutil.copytree(source, dest, symlinks=True)
        return dest

    return _render_copy


def subset_renderer(
    tmp_path_factory: pytest.TempPathFactory,
    template_snapshot: Path,
    exclude: list[str],
    name_of: Callable[[dict[str, Any]], str],
) -> Callable[[dict[str, Any]], Path]:
    """render(combo) -> the canonical answers with `combo` applied, rendered by the real copier with
    only the files `exclude` lets through, once per name_of(combo): checks that read a few files
    sweep many combinations without rendering the rest."""
    import copier

    from mlops_scaffold.copier_compat import fast_rendering
    from mlops_scaffold.options import resolve_answers
    from mlops_scaffold.traits.paths import absent_paths

    cache: dict[str, Path] = {}

    def _render(combo: dict[str, Any]) -> Path:
        key = name_of(combo)
        if key not in cache:
            dest = tmp_path_factory.mktemp("subset") / key
            answers = resolve_answers(answers_with(**combo))
            # copier applies the template's `_exclude` before ours, so a `!path` of ours would bring
            # back an optional path these answers leave out: leave those out again, last.
            leave_out = [*exclude, *(f"/{path}" for path in absent_paths(answers))]
            with fast_rendering():  # many renderings of one template: compile each Jinja source once
                copier.run_copy(
                    str(template_snapshot), dest, data=answers, defaults=True, quiet=True, exclude=leave_out
                )
            cache[key] = dest
        return cache[key]

    return _render


# --- deployment targets, taken from the options model and the traits rows --------------------------
# Generic tests pick their example targets here, by what a target does, never by name; a test of
# one target's own behaviour lives in tests/test_target_<target>.py.


def pairwise_cover(candidates: list[T], pairs: Callable[[T], set]) -> list[T]:
    """A small subset of `candidates` that covers every pair of factor values any candidate covers
    (greedy: each pick covers the most pairs not yet covered). The fast tier sweeps these; the whole
    matrix (`make test`) renders every combination."""
    uncovered = set().union(*(pairs(candidate) for candidate in candidates))
    chosen = []
    while uncovered:
        best = max(candidates, key=lambda candidate: len(pairs(candidate) & uncovered))
        chosen.append(best)
        uncovered -= pairs(best)
    return chosen


def every_target() -> list[str]:
    """Every deployment target, in the options model's order."""
    from mlops_scaffold.options import QUESTIONS_BY_NAME

    return list(QUESTIONS_BY_NAME["deployment_targets"].choices)


def target_row(target: str) -> Any:
    """The target's traits row (title, short_title, staging, flags)."""
    from mlops_scaffold.traits.values import TRAITS

    return TRAITS[("deployment_targets", target)]


def targets_with(flag: str) -> list[str]:
    """The targets whose row carries `flag` (traits.values.SERVES, SCORING_IMAGE)."""
    return [target for target in every_target() if flag in target_row(target).flags]


def staging_target() -> str:
    """The pre-production target: its CD job runs in `staging`, before every production change."""
    return next(target for target in every_target() if target_row(target).staging)


def production_image_target() -> str:
    """A production target serving the scoring image the staging target serves: the image checked
    in staging is the one promoted to production."""
    from mlops_scaffold.traits.values import SCORING_IMAGE

    return next(target for target in targets_with(SCORING_IMAGE) if not target_row(target).staging)


def target_questions(target: str) -> list[Any]:
    """The text questions asked only when `target` is chosen (its resource names)."""
    from mlops_scaffold.options import QUESTIONS

    chosen, none = {"deployment_targets": [target]}, {"deployment_targets": []}
    return [
        question
        for question in QUESTIONS
        if question.type == "str" and not question.choices and question.applies(chosen) and not question.applies(none)
    ]


def per_target(name: str) -> dict[str, Any]:
    """{target: value} of the module-level `name` in each target's own test module
    (tests/test_target_<target>.py), for the targets whose module defines it: generic tests sweep
    what each target declares there instead of naming targets."""
    import importlib

    found = {}
    for target in every_target():
        try:
            module = importlib.import_module(f"test_target_{target}")
        except ModuleNotFoundError as missing:
            if missing.name != f"test_target_{target}":
                raise
            continue
        if hasattr(module, name):
            found[target] = getattr(module, name)
    return found


@pytest.fixture
def references() -> None:
    """The IaC schema check's references: Azure's ARM schemas and the azurerm provider schema."""
    from mlops_scaffold.checks.iac_schema.locate import arm_schema_dir, azurerm_assembly

    require(arm_schema_dir(), "Azure ARM schemas in ../shared/schemas/arm (or set MLOPS_SCAFFOLD_ARM_SCHEMAS)")
    require(azurerm_assembly(), "the azurerm provider schema: make azurerm-schema")


@pytest.fixture(scope="module")
def every_target_dry_run(
    tmp_path_factory: pytest.TempPathFactory, render: Callable[..., Path], project_venv: Path
) -> tuple[Path, Path]:
    """(project, build/aml) of a private copy of every target with canary, after the Azure ML dry run
    (as test_aml's "all targets+canary"), for the targets' own tests of what it writes."""
    from mlops_scaffold.checks import aml

    project = tmp_path_factory.mktemp("aml") / "project"
    shutil.copytree(render(deployment_targets=every_target(), canary_release=True), project, symlinks=True)
    output = project / "build" / "aml"
    findings = aml.dry_run_output(project, output)
    assert not findings, "; ".join(map(str, findings))
    return project, output


# --- planting defects: shared by the generic tests and the targets' own ----------------------------


def edit_once(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file (which must hold it) by `new`."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(project: Path, relative: str, needle: str) -> int:
    """The line of the first `needle` in the project's file."""
    text = (project / relative).read_text()
    return text[: text.index(needle)].count("\n") + 1


def drop_arm_resource(project: Path, marker: str) -> None:
    """Remove the one ARM resource whose JSON contains `marker`."""
    from mlops_scaffold.checks.iac import ARM_TEMPLATE

    path = project / ARM_TEMPLATE
    template = json.loads(path.read_text())
    kept = [resource for resource in template["resources"] if marker not in json.dumps(resource)]
    assert len(kept) == len(template["resources"]) - 1, marker
    template["resources"] = kept
    path.write_text(json.dumps(template, indent=2))


def drop_tf_block(project: Path, header: str) -> None:
    """Remove the one top-level block of main.tf that starts with `header`."""
    import re

    from mlops_scaffold.checks.iac import TF_DIR

    path = project / TF_DIR / "main.tf"
    text = path.read_text()
    pattern = re.compile(rf"^{re.escape(header)} \{{\n.*?^\}}\n", re.MULTILINE | re.DOTALL)
    assert len(pattern.findall(text)) == 1, header
    path.write_text(pattern.sub("", text))


def only_identity_finding(project: Path) -> str:
    """The one finding of the identity checks, as its line."""
    from mlops_scaffold.checks import identity, run_checks

    findings = run_checks(project, identity.CHECKS)
    assert len(findings) == 1, [str(finding) for finding in findings]
    return str(findings[0])
