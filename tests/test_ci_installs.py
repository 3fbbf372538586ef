"""Generated code quality (issue 16): on both CI platforms, three jobs that each install only what
they need from the lock with uv: the lock check, lint (the `lint` group only), unit tests (runtime
dependencies and `test`); Azure DevOps restores uv's cache with Cache@2 keyed on uv.lock. Read from
the behaviour model's job graph, so a job template's commands count where the pipeline uses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlops_scaffold.checks.behaviour import pipeline_graphs

PR = {"azure_devops": ".pipelines/pr.yml", "github_actions": ".github/workflows/pr.yml"}
CI = {
    "azure_devops": ".pipelines/diabetes_regression-ci.yml",
    "github_actions": ".github/workflows/diabetes_regression-ci.yml",
}
ADO_JOBS = ("Lock_Check", "Lint", "Unit_Tests")


def _commands(project: Path, platform: str) -> dict[str, list[str]]:
    jobs = pipeline_graphs(project)[PR[platform]]
    return {job.name: [command.text for command in job.commands] for job in jobs}


def test_ado_code_quality_jobs_install_only_their_groups(render: Callable[..., Path]) -> None:
    project = render(ci_platform="azure_devops")
    commands = _commands(project, "azure_devops")
    assert set(commands) == set(ADO_JOBS)
    lock, lint, tests = (" && ".join(commands[name]) for name in ADO_JOBS)
    assert "make lock-check" in lock and "uv sync" not in lock and "make install" not in lock
    assert "uv sync --locked --only-group lint" in lint and "make lint" in lint and "make install" not in lint
    assert "uv sync --locked --no-default-groups --group test" in tests and "make test" in tests
    assert "make install" not in tests


@pytest.mark.parametrize("platform", ("azure_devops", "github_actions"))
def test_model_ci_runs_the_lock_check_lint_and_tests(render: Callable[..., Path], platform: str) -> None:
    """Model CI runs the same code quality as the pull-request gate, lock check included."""
    project = render(ci_platform=platform)
    texts = [command.text for job in pipeline_graphs(project)[CI[platform]] for command in job.commands]
    assert "make lock-check" in texts and "make lint" in texts and "make test" in texts


def test_ado_cache_is_keyed_on_the_lock_and_the_job(render: Callable[..., Path]) -> None:
    project = render(ci_platform="azure_devops")
    install = yaml.safe_load((project / ".pipelines" / "install-template.yml").read_text())
    (cache,) = [step for step in install["steps"] if step.get("task") == "Cache@2"]
    assert cache["inputs"]["key"].endswith("| uv.lock")
    assert "parameters.cacheKey" in cache["inputs"]["key"]
    template = yaml.safe_load((project / ".pipelines" / "code-quality-template.yml").read_text())
    keys = [job["steps"][0]["parameters"]["cacheKey"] for job in template["jobs"]]
    assert len(set(keys)) == len(keys) == 3, "each job saves its own cache"
