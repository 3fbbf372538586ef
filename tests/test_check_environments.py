"""`mlops-scaffold check PATH` works on any generated repo: before its `make install` (a .venv
without the requirements), after it (a .venv that has them), and with no .venv at all (an
environment of its own, built from the project's requirements.txt and shared)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv as venv_module
from pathlib import Path

import pytest

from mlops_scaffold import venvs
from mlops_scaffold.checks import aml


def _check(project: Path) -> subprocess.CompletedProcess[str]:
    """`mlops-scaffold check` as a user runs it: no MLOPS_SCAFFOLD_PROJECT_PYTHON."""
    environ = {key: value for key, value in os.environ.items() if key != "MLOPS_SCAFFOLD_PROJECT_PYTHON"}
    environ["MLOPS_SCAFFOLD_CACHE"] = str(venvs.CACHE_ROOT)  # where project_venv built the shared venv
    command = [sys.executable, "-m", "mlops_scaffold.cli", "check", str(project)]
    return subprocess.run(command, capture_output=True, text=True, env=environ, timeout=1800)


@pytest.fixture
def no_configured_python(monkeypatch: pytest.MonkeyPatch, project_venv: Path) -> Path:
    monkeypatch.delenv("MLOPS_SCAFFOLD_PROJECT_PYTHON", raising=False)
    return project_venv


def _installed_venv(project: Path, shared: Path) -> Path:
    """What `make install` leaves: the requirements installed in the project's own .venv (a
    hard-linked copy of the shared venv with the same requirements, instead of minutes of pip)."""
    target = project / ".venv"
    linked = subprocess.run(["cp", "-al", str(shared), str(target)], capture_output=True)
    if linked.returncode != 0:
        shutil.copytree(shared, target, symlinks=True)
    config = target / "pyvenv.cfg"
    assert config.is_file()
    return target


def test_with_no_venv_it_uses_an_environment_of_its_own(render_copy, no_configured_python: Path) -> None:
    project = render_copy()
    assert not (project / ".venv").exists()
    assert Path(aml.project_python(project)).parent.parent == no_configured_python
    result = _check(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project / ".venv").exists(), "the check must not write a .venv into the project"


def test_before_make_install_an_empty_venv_is_not_used(render_copy, no_configured_python: Path) -> None:
    project = render_copy()
    venv_module.create(project / ".venv", with_pip=False)  # created, requirements not installed yet
    assert Path(aml.project_python(project)).parent.parent == no_configured_python
    result = _check(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_after_make_install_the_projects_own_venv_is_used(render_copy, no_configured_python: Path) -> None:
    """The dry run runs in the project's .venv, which lives under the project: the loader must
    not purge azure.ai.ml's modules as if they were the project's ("Nested fields must be passed
    a Schema"). Online deployments load schemas lazily, after the purge, so they showed it."""
    project = render_copy(deployment_targets=["online_endpoint", "aks"], canary_release=True)
    own = _installed_venv(project, no_configured_python)
    assert aml.project_python(project) == str(own / "bin" / "python")
    with_schemas = aml.dry_run_output(project, project / "build" / "aml")
    assert with_schemas == [], [str(finding) for finding in with_schemas]
    shutil.rmtree(project / "build")
    result = _check(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_project_without_requirements_is_one_finding(render_copy, no_configured_python: Path) -> None:
    project = render_copy()
    (project / "requirements.txt").unlink()
    findings = aml.dry_run_loads(project)
    assert [str(finding) for finding in findings] == [
        "requirements.txt: cannot run the Azure ML dry run: requirements.txt is missing: "
        "no environment for azure-ai-ml can be built"
    ]


@pytest.mark.parametrize(
    ("compiled", "steps"),
    [(False, ["waiting", "building", "built"]), (True, ["waiting", "building", "built", "compiling", "compiled"])],
)
def test_building_the_environment_says_so(tmp_path: Path, compiled: bool, steps: list[str]) -> None:
    """A cold build takes minutes: each step is announced (a ready venv says nothing)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("")  # nothing to install: the steps run in seconds
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    heard: list[str] = []
    cache = tmp_path / "cache"
    venv = venvs.ensure_venv(version, requirements, cache_root=cache, progress=heard.append, compiled=compiled)
    assert (venv / ".requirements.txt").is_file()
    assert [message.split()[0] for message in heard] == steps
    heard.clear()
    venvs.ensure_venv(version, requirements, cache_root=cache, progress=heard.append, compiled=compiled)
    assert heard == []
