"""The Azure ML environments' pip pins (environments/*.yml) resolve together, for every Python version.

Azure ML builds these images in the cloud, where a conflict surfaces only as a failed image build.
uv resolves the same pins here against the package index (the suite already installs from it).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import require
from memo import Memo, tool_version

from mlops_scaffold.venvs import find_uv

PYTHONS = ("3.10", "3.11", "3.12")


def pip_pins(environment: Path) -> list[str]:
    spec = yaml.safe_load(environment.read_text(encoding="utf-8"))
    return [pin for entry in spec["dependencies"] if isinstance(entry, dict) for pin in entry.get("pip", [])]


def resolution_error(pins: list[str], python: str, scratch: Path) -> str:
    """ "" when uv finds versions satisfying every pin, else uv's explanation."""
    uv = find_uv()
    require(uv is not None, "uv (make install puts it into .venv)")
    requirements = scratch / f"pins-{python}.txt"
    requirements.write_text("\n".join(pins) + "\n")
    result = subprocess.run(
        [str(uv), "pip", "compile", "--quiet", "--python-version", python, str(requirements)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return "" if result.returncode == 0 else result.stderr.strip()


@pytest.mark.slow
@pytest.mark.parametrize("python", PYTHONS)
def test_every_environment_resolves(render: Callable[..., Path], tmp_path: Path, python: str, memo: Memo) -> None:
    project = render(python_version=python, batch_scoring=True, deployment_targets=["online_endpoint"])
    uv = find_uv()
    require(uv is not None, "uv (make install puts it into .venv)")
    # exact pins stay resolvable: the same pins, Python and uv resolve as they did
    memo.unchanged(project / "environments", python, tool_version(str(uv), "--version"))
    environments = sorted((project / "environments").glob("*.yml"))
    assert environments
    for environment in environments:
        pins = pip_pins(environment)
        assert pins, environment
        assert resolution_error(pins, python, tmp_path) == "", environment.name


@pytest.mark.slow
def test_conflicting_pins_are_caught(render: Callable[..., Path], tmp_path: Path) -> None:
    # The conflict this test was written for: azureml-mlflow 1.62.0.post6 caps mlflow-skinny at 3.15.0.
    project = render(python_version="3.11")
    # The environment's own packages (their dependencies pinned too would conflict on others first).
    own = {"mlflow", "numpy", "pandas", "scikit-learn"}
    pins = [pin for pin in pip_pins(project / "environments" / "train.yml") if pin.split("==")[0] in own]
    error = resolution_error([*pins, "azureml-mlflow==1.62.0.post6"], "3.11", tmp_path)
    assert "mlflow-skinny" in error
