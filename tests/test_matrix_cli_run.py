"""`mlops-scaffold matrix --run` as a user runs it, in a module of its own: it needs none of the
whole-matrix session fixtures of test_matrix.py, and pytest-xdist (`--dist loadscope`) gives each
module to one worker, so here it runs beside the whole matrix instead of after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_scaffold.matrix.combinations import valid_combinations
from mlops_scaffold.options import QUESTIONS_BY_NAME

COMBINATIONS = valid_combinations()


@pytest.mark.slow
def test_matrix_run_needs_no_environment_variable(tmp_path):
    """`mlops-scaffold matrix --run` on a fresh machine: it provides the project's Python itself.
    Two combinations of one run group (the second reuses the first's runs); only the shared venv
    is reused, through the documented --venv-cache option."""
    from mlops_scaffold.venvs import CACHE_ROOT

    default_python = QUESTIONS_BY_NAME["python_version"].default  # the venv the render tier needs too
    # Few runs (no target, no batch scoring): what is under test is the CLI providing its
    # environments; every unit's runs are the run tier's (test_matrix.py).
    smallest = [c for c in COMBINATIONS if not c.answers["deployment_targets"] and not c.answers["batch_scoring"]]
    first = next(c for c in smallest if c.answers["python_version"] == default_python)
    second = next(c for c in COMBINATIONS if c.id != first.id and c.id.split("-")[2:] == first.id.split("-")[2:])
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MLOPS_SCAFFOLD_")}
    report_path = tmp_path / "report.json"
    command = [str(Path(sys.executable).with_name("mlops-scaffold")), "matrix", "--run", "--jobs", "1"]
    command += ["--only", f"{first.id},{second.id}", "--report", str(report_path), "--venv-cache", str(CACHE_ROOT)]
    command += ["--cache-dir", str(tmp_path / "checks"), "--run-cache-dir", str(tmp_path / "runs")]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=3600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    summary = json.loads(report_path.read_text())
    assert (summary["combinations"], summary["passed"], summary["failed"]) == (2, 2, 0)
    assert summary["runs_passed"] >= 1 and summary["runs_failed"] == 0
