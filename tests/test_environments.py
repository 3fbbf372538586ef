"""Environments (issue 17, ADR 28): the `environments` answer, not offered yet, its per-environment
names and the local promotion loop it brings. The matrix does not vary it until it is offered, so
these tests render its values themselves."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml
from conftest import REPO_ROOT, answers_with

from mlops_scaffold.checks import run_checks
from mlops_scaffold.cli import main as cli_main
from mlops_scaffold.cli import options_table
from mlops_scaffold.deployment_environments import (
    ENVIRONMENT_SETS,
    SINGLE,
    environments_of,
    per_environment_names,
    previous,
)
from mlops_scaffold.matrix.render_tier import manifest_findings
from mlops_scaffold.options import AnswerError, resolve_answers
from mlops_scaffold.project_files import read_answers

MULTI = [answer for answer, chosen in ENVIRONMENT_SETS.items() if chosen]


def test_the_question_is_not_offered_yet(tmp_path: Path, capsys) -> None:
    question = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["environments"]
    assert question["when"] is False and question["default"] == SINGLE
    assert "environments" not in {row["name"] for row in options_table()}
    dest = tmp_path / "project"
    assert cli_main(["new", str(dest), "--defaults", "-d", "environments=dev_prod"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        "environments: not offered yet (docs/decisions/0028-environments-behind-a-flag.md)"
    )
    assert not dest.exists()


def test_promotion_order_and_who_trains() -> None:
    assert environments_of(SINGLE) == ()
    for answer in MULTI:
        chosen = environments_of(answer)
        assert [environment.trains for environment in chosen] == [True] + [False] * (len(chosen) - 1)
        assert chosen[-1].approval and not any(environment.approval for environment in chosen[:-1])
        assert [previous(environment, chosen) for environment in chosen] == [None, *chosen[:-1]]


@pytest.mark.parametrize("answer", MULTI)
def test_each_environment_has_its_workspace_and_resource_group(answer: str) -> None:
    answers = resolve_answers({"environments": answer, "workspace_name": "ml-ws", "resource_group": "ml-rg"})
    names = per_environment_names(answers)
    assert list(names) == [environment.name for environment in environments_of(answer)]
    for environment, named in names.items():
        assert named == {"resource_group": f"ml-rg-{environment}", "workspace_name": f"ml-ws-{environment}"}


@pytest.mark.parametrize("answer", MULTI)
def test_a_name_too_long_once_suffixed_is_refused_alike_by_python_and_copier(
    answer: str, template_snapshot: Path, tmp_path: Path
) -> None:
    workspace = "w" * 29  # 33 characters with -dev (the rule's maximum), 34 with -test or -prod
    longest = next(environment.name for environment in environments_of(answer) if len(environment.name) == 4)
    with pytest.raises(AnswerError) as python_error:
        resolve_answers({"environments": answer, "workspace_name": workspace})
    assert str(python_error.value).startswith(
        f"workspace_name: '{workspace}' makes the {longest} name '{workspace}-{longest}'"
    )
    data = {**answers_with(), "environments": answer, "workspace_name": workspace}
    with pytest.raises(ValueError) as copier_error:
        copier.run_copy(str(template_snapshot), tmp_path / "bad", data=data, defaults=True, pretend=True, quiet=True)
    assert str(python_error.value) in str(copier_error.value)
    assert not (tmp_path / "bad").exists()
    assert resolve_answers({"environments": SINGLE, "workspace_name": workspace})["workspace_name"] == workspace


@pytest.mark.parametrize("answer", [SINGLE, *MULTI])
def test_the_answer_is_recorded_and_only_promotion_brings_its_files(
    answer: str, render: Callable[..., Path], template_snapshot: Path
) -> None:
    project = render(environments=answer)
    recorded = read_answers(project)
    assert recorded.get("environments", SINGLE) == answer
    promotes = answer != SINGLE
    assert (project / "diabetes_regression" / "util" / "promote.py").is_file() == promotes
    assert (project / "tests" / "test_promote.py").is_file() == promotes
    makefile = (project / "Makefile").read_text()
    assert ("\npromote:" in makefile) == promotes
    answers = resolve_answers(answers_with(environments=answer))
    assert manifest_findings(project, template_snapshot, answers) == []


# --- the rendering passes every check, and its promotion tests pass ---------------------------------


def _generated_tests(project: Path, venv: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    command = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.parametrize(
    "answer, overrides",
    [("dev_prod", {}), ("dev_test_prod", {"ci_platform": "github_actions", "iac": "terraform"})],
)
def test_a_rendering_with_environments_passes_every_check(
    answer: str, overrides: dict, render: Callable[..., Path], project_venv: Path
) -> None:
    assert run_checks(render(environments=answer, **overrides)) == []


def test_the_generated_promotion_tests_pass(render: Callable[..., Path], project_venv: Path) -> None:
    """In the longest chain (its refusal loop covers test and prod); dev_prod's module is the same
    text with one environment fewer in that loop."""
    project = render(environments="dev_test_prod", deployment_targets=["aks", "online_endpoint", "webapp"])
    modules = ("tests/test_promote.py", "tests/test_ml_service_promote.py")
    result = _generated_tests(project, project_venv, *modules)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "11 passed" in result.stdout


def test_a_kubernetes_deployment_from_the_registry_fails_the_generated_test(
    render_copy: Callable[..., Path], project_venv: Path
) -> None:
    """Planted defect: the AKS target claims its deployments can reference a registry model, which
    azure-ai-ml's loader refuses; the generated test loads what the next environment creates."""
    project = render_copy(environments="dev_prod", deployment_targets=["aks"])
    aks = project / "ml_service" / "deploy" / "aks.py"
    aks.write_text(aks.read_text().replace("REGISTRY_MODELS = False", "REGISTRY_MODELS = True"))
    result = _generated_tests(project, project_venv, "tests/test_ml_service_promote.py", "-k", "load_with")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Registry reference for models is not supported for K8SDeployment" in result.stdout


def test_a_promotion_that_changes_the_model_fails_the_generated_test(
    render_copy: Callable[..., Path], project_venv: Path
) -> None:
    """Planted defect: promote.py adds a file to what it copies into the registry."""
    project = render_copy(environments="dev_prod")
    promote = project / "diabetes_regression" / "util" / "promote.py"
    text = promote.read_text()
    copy = "    shutil.copytree(model, destination)\n"
    assert copy in text
    promote.write_text(text.replace(copy, copy + '    (destination / "extra.txt").write_text("not trained")\n'))
    result = _generated_tests(project, project_venv, "tests/test_promote.py", "-k", "trained_one")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "artifact_digest(registry_model) == promote.artifact_digest(dev_model)" in result.stdout
