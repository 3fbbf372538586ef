"""The ML-area checks: quiet on real renderings, and each one fires on a broken project."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

# Loaded by path: this checkout's checks/ml.py, whichever mlops_scaffold.checks package is installed.
_SPEC = importlib.util.spec_from_file_location(
    "mlops_scaffold_checks_ml", Path(__file__).resolve().parents[1] / "src" / "mlops_scaffold" / "checks" / "ml.py"
)
ml = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ml)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"batch_scoring": False},
        {"r_training": "databricks", "sample_name": "churn_model"},
        {"python_version": "3.10"},
    ],
)
def test_renderings_pass(render: Callable[..., Path], overrides: dict) -> None:
    project = render(**overrides)
    assert [str(finding) for check in ml.CHECKS for finding in check(project)] == []


def test_missing_step_script_is_found(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    (project / "diabetes_regression" / "register" / "register_step.py").unlink()
    assert [str(f) for f in ml.contract_files(project)] == [
        "diabetes_regression/register/register_step.py: missing (the pipelines and Makefile call it)"
    ]


def test_missing_target_and_fixed_venv_are_found(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("smoke-test:", "smoke:").replace("VENV ?=", "VENV :="))
    messages = [finding.message for finding in ml.makefile_targets(project)]
    assert messages == ["no `smoke-test` target", "VENV must be overridable (`VENV ?= .venv`)"]


def test_unpinned_packages_and_wrong_python_are_found(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text() + "scipy>=1\nsix==1.17.0\n")
    train = project / "environments" / "train.yml"
    train.write_text(train.read_text().replace("python=3.11", "python=3.9").replace("mlflow==3.17.2", "mlflow"))
    findings = [str(finding) for finding in ml.environments_pinned(project)]
    assert any(finding.startswith("requirements.txt:") and "scipy>=1" in finding for finding in findings)
    assert any(finding.endswith("no --hash (run make lock): six==1.17.0") for finding in findings)
    assert "environments/train.yml: must pin python=3.11, has ['python=3.9']" in findings
    assert "environments/train.yml: pip package not pinned with ==: mlflow" in findings


def test_an_environment_off_the_lock_is_found(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    score = project / "environments" / "score.yml"
    text = score.read_text()
    score.write_text(text.replace("mlflow==3.17.2", "mlflow==3.17.1"))
    number = text.splitlines().index("      - mlflow==3.17.2") + 1
    assert [str(finding) for finding in ml.environments_match_lock(project)] == [
        f"environments/score.yml:{number}: mlflow==3.17.1, but uv.lock locks 3.17.2"
    ]


def test_an_environment_package_the_lock_lacks_is_found(render_copy: Callable[..., Path]) -> None:
    project = render_copy()
    train = project / "environments" / "train.yml"
    lines = train.read_text().splitlines()
    number = lines.index("      - mlflow==3.17.2") + 1
    lines.insert(number, "      - left-pad==1.0.0")
    train.write_text("\n".join(lines) + "\n")
    assert [str(finding) for finding in ml.environments_match_lock(project)] == [
        f"environments/train.yml:{number + 1}: left-pad==1.0.0, but uv.lock does not lock it"
    ]


def test_registry_admin_credentials_fail_the_guard(render_copy: Callable[..., Path]) -> None:
    project = render_copy(deployment_targets=["aci"])
    pipeline = sorted((project / ".pipelines").glob("*.yml"))[0]
    pipeline.write_text(pipeline.read_text() + "# az acr credential show --name registry\n")
    found = [str(finding) for finding in ml.registry_guard_passes(project)]
    assert len(found) == 1 and "the registry guard fails" in found[0] and pipeline.name in found[0]
    assert "acr credential" in found[0]
