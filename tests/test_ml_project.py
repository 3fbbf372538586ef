"""The generated ML code for each answer that shapes it: files present or absent, ruff-clean for every
python_version and a renamed sample (the projects' toolchains run in test_local_loop.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CONTRACT = (
    "{s}/training/train.py",
    "{s}/training/train_step.py",
    "{s}/evaluate/evaluate_step.py",
    "{s}/register/register_step.py",
    "{s}/scoring/score.py",
    "{s}/parameters.json",
    "ml_service/__init__.py",
    "ml_service/smoke_test.py",
    "environments/train.yml",
    "environments/score.yml",
    "requirements.txt",
    "Makefile",
    "data/diabetes.csv",
    "tests/conftest.py",
)
BATCH = ("{s}/scoring/batch_score.py", "{s}/scoring/copy_output.py", "data/diabetes_scoring_input.csv")
R = ("{s}/training/R/r_train.r", "data/weight_data.csv", "tests/test_r_train.py")


def present(project: Path, patterns: tuple[str, ...], sample: str) -> dict[str, bool]:
    return {pattern.format(s=sample): (project / pattern.format(s=sample)).is_file() for pattern in patterns}


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."], cwd=project, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "overrides",
    [{}, {"python_version": "3.10"}, {"python_version": "3.12"}, {"sample_name": "churn_model"}],
    ids=["default", "py3.10", "py3.12", "churn_model"],
)
def test_generated_python_is_ruff_clean(render: Callable[..., Path], overrides: dict[str, str]) -> None:
    project = render(**overrides, r_training="aml")
    for args in (["check"], ["format", "--check"]):
        result = ruff(project, *args)
        assert result.returncode == 0, f"ruff {' '.join(args)} in {project} ({overrides}):\n{result.stdout}"


def test_python_version_reaches_ruff_and_conda(render: Callable[..., Path]) -> None:
    project = render(python_version="3.10")
    assert 'target-version = "py310"' in (project / "pyproject.toml").read_text()
    for environment in ("train.yml", "score.yml"):
        text = (project / "environments" / environment).read_text()
        assert "- python=3.10\n" in text
        assert "scikit-learn==1.7.2" in text  # the last scikit-learn for Python 3.10


def test_default_project_has_the_contract_files(render: Callable[..., Path]) -> None:
    project = render()
    assert all(present(project, CONTRACT + BATCH, "diabetes_regression").values())
    assert not any(present(project, R, "diabetes_regression").values())
    assert "\nbatch-score:" in (project / "Makefile").read_text()


def test_without_batch_scoring_there_is_no_batch_code(render: Callable[..., Path]) -> None:
    project = render(batch_scoring=False)
    assert not any(present(project, BATCH, "diabetes_regression").values())
    makefile = (project / "Makefile").read_text()
    assert "batch-score" not in makefile
    assert not (project / "tests" / "test_batch_score.py").exists()


@pytest.mark.parametrize("r_training", ["aml", "databricks"])
def test_r_training_adds_the_r_script(render: Callable[..., Path], r_training: str) -> None:
    project = render(r_training=r_training)
    assert all(present(project, R, "diabetes_regression").values())
    assert "\ntrain-r:" in (project / "Makefile").read_text()


def test_renamed_sample_leaves_no_trace_of_the_default(render: Callable[..., Path]) -> None:
    project = render(sample_name="churn_model", r_training="aml")
    assert all(present(project, CONTRACT + BATCH + R, "churn_model").values())
    for path in [*project.rglob("*.py"), *project.rglob("*.r"), project / "pyproject.toml"]:
        assert "diabetes_regression" not in path.read_text(), path


def test_requirements_are_pinned(render: Callable[..., Path]) -> None:
    lines = (render() / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line and not line.startswith(("#", " "))]
    assert requirements
    assert all("==" in line and line.endswith(" \\") for line in requirements), requirements  # hashes follow
