"""Artifacts that may carry secrets (checks/artifacts.py): no pipeline publishes a binary Terraform
plan, state, the Terraform folder or a credential file; a planted one is named in one line with
file and line, on both CI platforms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_scaffold.checks import ALL_CHECKS
from mlops_scaffold.checks.artifacts import check_artifacts

TF_PIPELINE = {
    "github_actions": ".github/workflows/iac-create-environment.yml",
    "azure_devops": "environment_setup/iac-create-environment-pipeline-tf.yml",
}


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_check_runs_in_check_and_the_render_tier() -> None:
    assert check_artifacts in ALL_CHECKS


@pytest.mark.parametrize("iac", ("arm", "terraform"))
@pytest.mark.parametrize("platform", TF_PIPELINE)
def test_renderings_publish_nothing_secret(render: Callable[..., Path], platform: str, iac: str) -> None:
    assert check_artifacts(render(ci_platform=platform, iac=iac)) == []


@pytest.mark.parametrize("platform", TF_PIPELINE)
def test_a_published_binary_plan_is_caught(render_copy: Callable[..., Path], platform: str) -> None:
    project = render_copy(ci_platform=platform, iac="terraform")
    path = project / TF_PIPELINE[platform]
    path.write_text(path.read_text().replace("/tfplan.txt", "/tfplan", 1))
    findings = check_artifacts(project)
    assert len(findings) == 1, findings
    assert findings[0].path == TF_PIPELINE[platform]
    assert findings[0].line == _line_of(path, "TF_DIR }}/tfplan" if platform == "github_actions" else "publish:")
    assert "binary Terraform plan" in findings[0].message and "\n" not in str(findings[0])


def test_one_secret_path_among_several_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_copy(ci_platform="github_actions")
    path = project / ".github/workflows/code-quality.yml"
    path.write_text(
        path.read_text().replace("            coverage.xml\n", "            coverage.xml\n            .env\n", 1)
    )
    findings = check_artifacts(project)
    assert [(f.path, f.line) for f in findings] == [(".github/workflows/code-quality.yml", _line_of(path, "    .env"))]
