"""The exposure checks: no anonymous scoring endpoint and no floating action ref in any rendering,
and each planted defect named in one line with its file and line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import every_target, per_target

from mlops_scaffold.checks import ALL_CHECKS, exposure
from mlops_scaffold.checks.base import Finding

EVERY_TARGET = every_target()
RENDERINGS = [
    {"ci_platform": "github_actions", "iac": "terraform", "deployment_targets": EVERY_TARGET},
    {"ci_platform": "github_actions", "iac": "arm", "deployment_targets": EVERY_TARGET, "canary_release": True},
    {"ci_platform": "azure_devops", "iac": "arm", "deployment_targets": EVERY_TARGET},
    {"ci_platform": "azure_devops", "iac": "terraform", "deployment_targets": []},
]


def findings(project: Path) -> list[Finding]:
    return [finding for check in exposure.CHECKS for finding in check(project)]


def only_finding(project: Path) -> Finding:
    found = findings(project)
    assert len(found) == 1, "\n".join(map(str, found))
    assert "\n" not in str(found[0])
    return found[0]


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the first line containing `old` by itself with `old` replaced; returns its number."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(number for number, line in enumerate(lines) if old in line)
    lines[index] = lines[index].replace(old, new)
    path.write_text("".join(lines))
    return index + 1


def test_the_checks_run_in_check_and_the_render_tier() -> None:
    assert set(exposure.CHECKS) <= set(ALL_CHECKS)
    assert all(hasattr(check, "reads") for check in exposure.CHECKS)  # cached by content in the matrix


@pytest.mark.parametrize("answers", RENDERINGS, ids=["gh-tf", "gh-arm-canary", "ado-arm", "ado-none"])
def test_renderings_have_no_exposure(render: Callable[..., Path], answers: dict) -> None:
    assert findings(render(**answers)) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            ".github/workflows/code-quality.yml",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@v4",
            "actions/checkout@v4 is a floating action ref",
        ),
        (
            ".github/actions/azure-ml-setup/action.yml",
            "azure/login@a457da9ea143d694b1b9c7c869ebb04ebe844ef5 # v2.3.0",
            "azure/login@main",
            "azure/login@main is a floating action ref",
        ),
        (
            ".github/workflows/code-quality.yml",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
            "has no version comment",
        ),
    ],
    ids=["major-tag", "branch", "no-comment"],
)
def test_a_floating_action_ref_is_caught(
    render_copy: Callable[..., Path], file: str, old: str, new: str, expected: str
) -> None:
    project = render_copy(ci_platform="github_actions")
    line = replace_line(project / file, old, new)
    finding = only_finding(project)
    assert (finding.path, finding.line) == (file, line)
    assert expected in finding.message


def test_a_missing_dependabot_config_is_caught(render_copy: Callable[..., Path]) -> None:
    project = render_copy(ci_platform="github_actions")
    (project / ".github" / "dependabot.yml").unlink()
    assert str(only_finding(project)) == (
        ".github/dependabot.yml: missing: nothing keeps the action pins of the workflows current"
    )


def test_every_target_declares_its_planted_exposures() -> None:
    assert set(per_target("EXPOSURE_DEFECTS")) == set(every_target())


# Each target's planted exposures, declared by tests/test_target_<target>.py:
# (id, answers, file, old, new, expected).
EXPOSURE_DEFECTS = [defect for defects in per_target("EXPOSURE_DEFECTS").values() for defect in defects]


@pytest.mark.parametrize(
    ("answers", "file", "old", "new", "expected"),
    [defect[1:] for defect in EXPOSURE_DEFECTS],
    ids=[defect[0] for defect in EXPOSURE_DEFECTS],
)
def test_an_anonymous_endpoint_is_caught(
    render_copy: Callable[..., Path], answers: dict, file: str, old: str, new: str, expected: str
) -> None:
    project = render_copy(**answers)
    replace_line(project / file, old, new)
    finding = only_finding(project)
    assert finding.path == file and finding.line, str(finding)
    assert expected in finding.message
    assert re.fullmatch(rf"{re.escape(file)}:\d+: .+", str(finding))
