"""Shared test harness: the canonical answers, a fast renderer and the repository paths."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_scaffold.matrix.render_tier import snapshot_template
from mlops_scaffold.render import render_project

REPO_ROOT = Path(__file__).resolve().parents[1]
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
    tier: -m "not slow and not matrix and not venv") leaves them, and the venv, to `make test`."""
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
