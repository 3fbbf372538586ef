"""The generated projects' local loop, run for real: make install, lint, test, train, smoke-test,
batch-score (and train-r), in one shared, cached venv (the `project_venv` fixture).

Every combination's whole generated test suite runs in the matrix's run tier (tests/test_matrix.py),
so here `make test` runs one module where the run tier already covers the rest: what is checked
is the recipe (pytest with coverage and a JUnit report), not the suite twice."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require
from memo import Memo, tool_version

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def venv(project_venv: Path) -> Path:
    return project_venv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make(project: Path, venv: Path, *targets: str, pytest_args: str | None = None) -> str:
    """Run `make targets` in `project` with the shared venv; the output, or a failure that shows it.
    `pytest_args` reach `make test`'s pytest through PYTEST_ADDOPTS."""
    command = ["make", *targets, f"VENV={venv}", f"PORT={free_port()}"]
    # Our own pytest options (PYTEST_ADDOPTS, e.g. --record-durations) are not the project's.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    if pytest_args:
        env["PYTEST_ADDOPTS"] = pytest_args
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=900, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`{' '.join(command)}` failed in {project}:\n{output[-6000:]}"
    return output


def test_default_project_runs_the_local_loop(render_copy: Callable[..., Path], venv: Path, memo: Memo) -> None:
    project = render_copy()
    memo.unchanged(project, venv.name, tool_version("make", "--version"))
    tested = make(project, venv, "install", "lint", "test", pytest_args="tests/test_data.py")
    assert "already has requirements.txt installed" in tested
    assert re.search(r"\b\d+ passed\b", tested), tested[-2000:]
    assert (project / "test-results.xml").is_file() and (project / "coverage.xml").is_file()
    output = make(project, venv, "train", "smoke-test", "batch-score")
    model = json.loads((project / "outputs" / "train" / "model.json").read_text())
    assert model == {
        "registered": True,
        "name": "diabetes_regression_model",
        "version": "1",
        "reason": "first model: there is no production model to compare with",
    }
    assert "Smoke test passed" in output
    predictions = (project / "outputs" / "batch" / "diabetes_scoring_output.csv").read_text().splitlines()
    assert predictions[0] == "file,row,prediction"
    assert len(predictions) == 443

    again = make(project, venv, "train")
    assert "Model was not registered for this run: new mse" in again
    assert "is not better than production mse" in again
    assert json.loads((project / "outputs" / "train" / "model.json").read_text())["registered"] is False


def test_renamed_sample_with_r_training(render_copy: Callable[..., Path], venv: Path, memo: Memo) -> None:
    """One rendering covers two answers (to keep the suite short): sample_name renames the package,
    its imports and the R script's path, and r_training=aml adds an R model that Rscript really trains."""
    require(shutil.which("Rscript"), "Rscript (apt-get install r-base-core)")
    project = render_copy(sample_name="churn_model", r_training="aml")
    memo.unchanged(project, venv.name, tool_version("make", "--version"), tool_version("Rscript", "--version"))
    assert (project / "churn_model" / "training" / "R" / "r_train.r").is_file()
    assert not (project / "diabetes_regression").exists()
    # The whole renamed suite; coverage, which only slows it here, is the default project's check above.
    output = make(project, venv, "install", "lint", "test", "train-r", pytest_args="--no-cov")
    assert "test_r_train.py .." in output
    assert "Trained lm(weight ~ height) on 15 rows" in output
    assert (project / "outputs" / "r" / "model.rds").stat().st_size > 0


def test_r_on_databricks_project_trains_its_r_model_locally(render_copy: Callable[..., Path], venv: Path) -> None:
    """The other R variant: the same R script, run here with Rscript, that Databricks runs in Azure.
    (Its generated tests run in the run tier.)"""
    require(shutil.which("Rscript"), "Rscript (apt-get install r-base-core)")
    project = render_copy(r_training="databricks")
    output = make(project, venv, "train-r")
    assert "Trained lm(weight ~ height) on 15 rows" in output
    assert (project / "outputs" / "r" / "model.rds").stat().st_size > 0
